"""Read dag-pb / UnixFS blocks: just enough protobuf to walk a file's DAG.

The writer lives in :mod:`storage.cid` (it never builds a block it does not
have to); the embedded store needs the reader to serve ``cat``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from storage.errors import StorageError

UNIXFS_RAW = 0
UNIXFS_FILE = 2
_TYPE_NAMES = {1: "directory", 3: "metadata", 4: "symlink", 5: "HAMT-sharded directory"}


class MalformedBlock(StorageError):
    """Bytes that hash correctly but are not a dag-pb UnixFS file node."""


@dataclass(frozen=True)
class Node:
    links: list[bytes]  # child multihashes (0x12 0x20 + sha256 digest) in order
    unixfs_type: int
    data: bytes | memoryview  # the file bytes a leaf holds (empty for internal nodes); a view, no copy
    filesize: int


def _varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise MalformedBlock("truncated varint in a dag-pb block")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """(field number, value) pairs; value is an int (varint) or a view (length-delimited)."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise MalformedBlock("a length-delimited field runs past the end of the block")
            value, pos = buf[pos : pos + length], pos + length
        else:
            raise MalformedBlock(f"unexpected protobuf wire type {wire}")
        yield field, value


def decode_node(block: bytes) -> Node:
    """Parse a dag-pb block holding a UnixFS file (or raw) node; fields are views into ``block``."""
    links: list[bytes] = []
    unixfs: memoryview | None = None
    for field, value in _fields(memoryview(block)):
        if field == 2 and not isinstance(value, int):
            links.append(bytes(next((v for f, v in _fields(value) if f == 1), b"")))
        elif field == 1 and not isinstance(value, int):
            unixfs = value
    if unixfs is None:
        raise MalformedBlock("the block has no UnixFS data: it is not a file")
    kind: int | None = None
    data: bytes | memoryview = b""
    filesize: int | None = None
    for field, value in _fields(unixfs):
        if field == 1 and isinstance(value, int):
            kind = value
        elif field == 2 and not isinstance(value, int):
            data = value
        elif field == 3 and isinstance(value, int):
            filesize = value
    if kind is None or kind not in (UNIXFS_FILE, UNIXFS_RAW):
        name = f"type {kind}" if kind is None else _TYPE_NAMES.get(kind, f"type {kind}")
        raise MalformedBlock(f"this CID names a UnixFS {name}, not a file; pass the CID of a file")
    return Node(links, kind, data, filesize if filesize is not None else len(data))
