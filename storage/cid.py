"""Exact kubo CIDv0 of a file, computed in bounded memory at close to sha256 speed.

The CID the product shows for a file must be the one ``ipfs add FILE`` prints
with kubo's defaults, because the contract stores its digest and anyone may
re-check it with a real node. Those defaults are:

* fixed-size chunks of 256 KiB;
* every chunk becomes a dag-pb leaf holding a UnixFS ``File`` message
  (``Type=File, Data=chunk, filesize=len``); raw leaves are off for CIDv0;
* a file of one chunk is that leaf; otherwise leaves are joined in kubo's
  *balanced* layout: nodes of up to 174 links, the tree grown one level at a
  time, every subtree but the last full (a partial last subtree may be a chain
  of one-link nodes);
* an internal node writes its links first (Hash, an empty Name written out,
  Tsize = the child's block size plus everything below it), then a UnixFS
  ``File`` message with the total filesize and each child's filesize;
* an empty file is a leaf without a Data field (``0a 04 08 02 18 00``).

Speed: a leaf block is ``header + chunk + trailer``; we feed those three
pieces to one sha256 object so the chunk is never copied, which keeps the
whole computation within a few percent of hashing the bytes alone. Memory:
at most one read buffer plus up to 174 pending links per tree level.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from storage.errors import InvalidCid, StorageError

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174
_READ_CHUNKS = 16  # chunks per read from a file: 4 MiB, large enough to amortise syscalls

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_MULTIHASH_SHA256 = b"\x12\x20"
_CIDV1_DAG_PB = b"\x01\x70"

Buffer = bytes | bytearray | memoryview
Source = Buffer | str | os.PathLike | BinaryIO
# Called with (digest, pieces, is_leaf) for every block, children before parents; the pieces joined
# are the block. A leaf's chunk piece is a view into a reused read buffer: copy it to keep it.
BlockSink = Callable[[bytes, Sequence[Buffer], bool], None]


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _leaf_frame(size: int) -> tuple[bytes, bytes]:
    """dag-pb bytes before and after a chunk of ``size`` bytes in its leaf block."""
    if size == 0:
        return b"\x0a\x04\x08\x02\x18\x00", b""
    size_varint = _varint(size)
    unixfs_len = 2 + 1 + len(size_varint) + size + 1 + len(size_varint)
    header = b"\x0a" + _varint(unixfs_len) + b"\x08\x02\x12" + size_varint
    trailer = b"\x18" + size_varint
    return header, trailer


_FULL_HEADER, _FULL_TRAILER = _leaf_frame(CHUNK_SIZE)
_FULL_TSIZE = len(_FULL_HEADER) + CHUNK_SIZE + len(_FULL_TRAILER)


class DagBuilder:
    """Kubo's balanced DAG, built one chunk at a time.

    ``levels[k]`` holds the (digest, tsize, filesize) of finished nodes of
    height ``k`` waiting for their parent. A level that reaches 174 entries is
    folded into one node a level up at once, which is exactly how kubo's
    balanced builder fills full subtrees; :meth:`finish` folds the partial
    right edge. ``on_block`` receives every block (the embedded store writes
    them); without it nothing but digests is kept.
    """

    def __init__(self, on_block: BlockSink | None = None, max_links: int = MAX_LINKS) -> None:
        self._on_block = on_block
        self._max_links = max_links  # kubo's is fixed; tests use small ones to check deep trees
        self._levels: list[list[tuple[bytes, int, int]]] = [[]]
        self._finished = False

    def add_chunk(self, chunk: Buffer) -> None:
        """Add the next chunk (1..CHUNK_SIZE bytes; only the last may be short)."""
        size = len(chunk)
        if size == CHUNK_SIZE:
            header, trailer, tsize = _FULL_HEADER, _FULL_TRAILER, _FULL_TSIZE
        else:
            header, trailer = _leaf_frame(size)
            tsize = len(header) + size + len(trailer)
        h = hashlib.sha256(header)
        h.update(chunk)
        h.update(trailer)
        digest = h.digest()
        if self._on_block is not None:
            self._on_block(digest, (header, chunk, trailer), True)
        self._push(0, (digest, tsize, size))

    def finish(self) -> str:
        """Fold the right edge of the tree and return the root CID."""
        if self._finished:
            raise RuntimeError("DagBuilder.finish() called twice")
        self._finished = True
        levels = self._levels
        if not any(levels):
            header, _ = _leaf_frame(0)
            digest = hashlib.sha256(header).digest()
            if self._on_block is not None:
                self._on_block(digest, (header,), True)
            return digest_to_cid(digest)
        top = max(k for k, level in enumerate(levels) if level)
        for k in range(top):
            if levels[k]:
                levels[k + 1].append(self._node(levels[k]))
                levels[k] = []
        root = levels[top]
        digest = root[0][0] if len(root) == 1 else self._node(root)[0]
        return digest_to_cid(digest)

    def _push(self, level: int, entry: tuple[bytes, int, int]) -> None:
        levels = self._levels
        levels[level].append(entry)
        while len(levels[level]) == self._max_links:
            node = self._node(levels[level])
            levels[level] = []
            level += 1
            if level == len(levels):
                levels.append([])
            levels[level].append(node)

    def _node(self, children: list[tuple[bytes, int, int]]) -> tuple[bytes, int, int]:
        parts = []
        total = 0
        below = 0
        blocksizes = []
        for digest, tsize, filesize in children:
            link = b"\x0a\x22" + _MULTIHASH_SHA256 + digest + b"\x12\x00\x18" + _varint(tsize)
            parts.append(b"\x12" + _varint(len(link)) + link)
            blocksizes.append(b"\x20" + _varint(filesize))
            total += filesize
            below += tsize
        unixfs = b"\x08\x02\x18" + _varint(total) + b"".join(blocksizes)
        parts.append(b"\x0a" + _varint(len(unixfs)) + unixfs)
        block = b"".join(parts)
        digest = hashlib.sha256(block).digest()
        if self._on_block is not None:
            self._on_block(digest, (block,), False)
        return digest, len(block) + below, total


def iter_chunks(source: Source) -> Iterator[memoryview]:
    """The 256 KiB chunks of ``source``; each view is valid until the next one is asked for."""
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source).cast("B")
        for start in range(0, len(view), CHUNK_SIZE):
            yield view[start : start + CHUNK_SIZE]
        return
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            stream = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below, generator-owned
        except FileNotFoundError:
            raise StorageError(
                f"There is no file at {path}. Check the path; to hash text, pass text.encode() instead."
            ) from None
        except IsADirectoryError:
            raise StorageError(f"{path} is a folder; add the files inside it one by one.") from None
        except PermissionError:
            raise StorageError(f"{path} cannot be read (permission denied); check its permissions.") from None
        with stream:
            yield from _stream_chunks(stream)
        return
    if hasattr(source, "readinto") or hasattr(source, "read"):
        yield from _stream_chunks(source)
        return
    raise TypeError(f"expected bytes, a file path or a binary file object, not {type(source).__name__}")


def _stream_chunks(stream: BinaryIO) -> Iterator[memoryview]:
    """Exact 256 KiB chunks from a stream that may return short reads, reusing one buffer."""
    buffer = bytearray(CHUNK_SIZE * _READ_CHUNKS)
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    eof = False
    while not eof:
        filled = 0
        while filled < len(buffer):
            if readinto is not None:
                n = readinto(view[filled:])
            else:
                data = stream.read(len(buffer) - filled)
                if isinstance(data, str):
                    raise TypeError("the stream is in text mode; open the file in binary mode ('rb')")
                n = len(data)
                view[filled : filled + n] = data
            if not n:
                eof = True
                break
            filled += n
        for start in range(0, filled, CHUNK_SIZE):
            yield view[start : min(start + CHUNK_SIZE, filled)]


def build_dag(source: Source, on_block: BlockSink | None = None) -> str:
    """Chunk ``source``, build kubo's DAG, hand each block to ``on_block``; return the root CID."""
    builder = DagBuilder(on_block)
    for chunk in iter_chunks(source):
        builder.add_chunk(chunk)
    return builder.finish()


def ipfs_cid(data: Source) -> str:
    """The CIDv0 that ``ipfs add`` prints for these bytes, this file path, or this binary stream.

    A ``str`` is a file path, never the content: pass ``text.encode()`` to hash text.
    """
    return build_dag(data)


# --- CID <-> digest ------------------------------------------------------------


def _b58encode(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    pad = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def _b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + _B58_INDEX[c]
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + n.to_bytes((n.bit_length() + 7) // 8, "big")


def _describe(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, bytes | bytearray) else type(value).__name__


def digest_to_cid(digest: bytes) -> str:
    """The CIDv0 ('Qm...') of a dag-pb block with this 32-byte sha256 digest."""
    if not isinstance(digest, bytes | bytearray) or len(digest) != 32:
        raise InvalidCid(
            f"A CID digest is 32 bytes of sha256; got {_describe(digest)}. "
            "Pass the bytes32 value exactly as the contract stores it."
        )
    return _b58encode(_MULTIHASH_SHA256 + bytes(digest))


def cid_to_digest(cid: str) -> bytes:
    """The 32-byte sha256 inside a CIDv0 (or a dag-pb sha2-256 CIDv1 'bafy...'): what the contract stores."""
    if not isinstance(cid, str):
        raise InvalidCid(f"A CID is text like 'Qm...'; got {type(cid).__name__}.")
    text = cid.strip()
    if text.startswith("Qm") and len(text) == 46 and all(c in _B58_INDEX for c in text):
        raw = _b58decode(text)
        if len(raw) == 34 and raw.startswith(_MULTIHASH_SHA256):
            return raw[2:]
    elif text.startswith("bafy"):
        body = text[1:].upper()
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8))
        except ValueError:
            raw = b""
        if len(raw) == 36 and raw.startswith(_CIDV1_DAG_PB + _MULTIHASH_SHA256):
            return raw[4:]
    shown = text if len(text) <= 80 else text[:77] + "..."
    raise InvalidCid(
        f"'{shown}' is not a valid IPFS CID. Expected a CIDv0: 46 characters starting with 'Qm' "
        "(as `ipfs add` prints it), or a dag-pb CIDv1 starting with 'bafy'. "
        "Check for a typo or a cut-off copy."
    )


def normalize_cid(cid: str) -> str:
    """The CIDv0 form of a CID (checks it on the way); every store keys content by this form."""
    return digest_to_cid(cid_to_digest(cid))
