"""What only the embedded store promises: real dag-pb blocks on disk, atomic writes, corruption caught."""

from __future__ import annotations

import hashlib
import os

import pytest

from storage import CorruptContent, NotFound, StorageError, cid_to_digest, digest_to_cid, ipfs_cid
from storage.embedded import EmbeddedStore
from tests.storage.vectors import K, pattern


def block_files(store: EmbeddedStore) -> list:
    return sorted(p for p in store.root.joinpath("blocks").rglob("*") if p.is_file())


def test_blocks_are_dag_pb_named_by_their_sha256(embedded_store):
    cid = embedded_store.add(pattern(3 * K))
    files = block_files(embedded_store)
    assert len(files) == 4  # three leaves and the root
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    root = embedded_store.root / "blocks" / cid_to_digest(cid).hex()[:2] / cid_to_digest(cid).hex()
    assert root in files


def leaf_path(store: EmbeddedStore, data: bytes):
    """Where the block of the first chunk lives (a one-chunk file's CID is its leaf)."""
    digest = cid_to_digest(ipfs_cid(data[:K]))
    return store.root / "blocks" / digest.hex()[:2] / digest.hex()


def test_a_damaged_block_is_reported_never_served_and_re_adding_repairs_it(embedded_store):
    data = pattern(2 * K + 1)
    cid = embedded_store.add(data)
    leaf = leaf_path(embedded_store, data)
    damaged = bytearray(leaf.read_bytes())
    damaged[100] ^= 0x01
    leaf.write_bytes(damaged)
    with pytest.raises(CorruptContent, match="damaged") as caught:
        embedded_store.cat(cid)
    assert "Add the original file again" in str(caught.value)
    with pytest.raises(CorruptContent):
        embedded_store.pin(cid)
    assert embedded_store.add(data) == cid
    assert embedded_store.cat(cid) == data


def test_a_missing_inner_block_is_reported(embedded_store):
    data = pattern(2 * K)
    cid = embedded_store.add(data)
    leaf_path(embedded_store, data).unlink()
    assert embedded_store.has(cid)  # the root is there ...
    with pytest.raises(CorruptContent, match="missing"):
        embedded_store.cat(cid)  # ... but the file cannot be served


def test_an_interrupted_add_leaves_no_pin_and_no_temp_file(embedded_store):
    class FailingStream:
        """Delivers one chunk and a half, then the connection drops."""

        def __init__(self) -> None:
            self.sent = 0

        def read(self, size: int) -> bytes:
            if self.sent >= K + K // 2:
                raise OSError("connection reset by peer")
            piece = pattern(K + K // 2)[self.sent : self.sent + min(size, K // 2)]
            self.sent += len(piece)
            return piece

    before = embedded_store.list()
    with pytest.raises(OSError, match="connection reset"):
        embedded_store.add(FailingStream())
    assert embedded_store.list() == before
    assert list(embedded_store.root.joinpath("tmp").iterdir()) == []


def test_a_failed_block_write_is_explained_and_nothing_is_pinned(embedded_store, monkeypatch):
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(StorageError, match=r"No space left on device.*nothing was pinned"):
        embedded_store.add(pattern(3 * K))
    monkeypatch.setattr(os, "replace", real_replace)
    assert embedded_store.list() == []
    assert list(embedded_store.root.joinpath("tmp").iterdir()) == []
    assert not embedded_store.has(ipfs_cid(pattern(3 * K)))  # no root block without its children
    assert embedded_store.add(pattern(3 * K)) in embedded_store.list()  # the retry succeeds


def test_a_block_is_never_half_written(embedded_store, monkeypatch):
    """The block appears only by rename after fsync: a crash before the rename leaves no block."""

    def crash(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(StorageError):
        embedded_store.add(b"x" * 10)
    monkeypatch.undo()
    assert block_files(embedded_store) == []
    assert not embedded_store.has(ipfs_cid(b"x" * 10))


def test_a_directory_node_is_not_served_as_a_file(embedded_store):
    # An empty UnixFS directory: dag-pb Data = {Type: Directory}
    block = b"\x0a\x02\x08\x01"
    digest = hashlib.sha256(block).digest()
    path = embedded_store.root / "blocks" / digest.hex()[:2] / digest.hex()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(block)
    assert digest_to_cid(digest) == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"  # kubo's empty dir
    with pytest.raises(StorageError, match="directory, not a file"):
        embedded_store.cat(digest_to_cid(digest))


def test_not_found_says_how_to_get_the_content(embedded_store):
    with pytest.raises(NotFound, match="Add the file first"):
        embedded_store.cat("QmSoASxb8aNVGk3pNWpZvXEZTQKxjGeu9bvpYHuo5bP1VJ")


@pytest.mark.ipfsd
def test_stored_blocks_are_byte_identical_to_the_nodes(embedded_store, kubo_store):
    """Not only the root CID: every block the embedded store writes is the block a real node holds."""
    data = pattern(3 * K + 5)
    cid = kubo_store.add(data)
    assert embedded_store.add(data) == cid
    client = kubo_store._client
    for path in block_files(embedded_store):
        assert client.block.get(digest_to_cid(bytes.fromhex(path.name))) == path.read_bytes()


def test_temp_files_left_by_a_killed_process_are_cleaned_up(tmp_path):
    store = EmbeddedStore(tmp_path / "ipfs")
    stale = store.root / "tmp" / "tmpabc123"
    fresh = store.root / "tmp" / "tmpdef456"
    stale.write_bytes(b"half a block")
    fresh.write_bytes(b"an add in progress")
    os.utime(stale, (0, 0))
    EmbeddedStore(tmp_path / "ipfs")
    assert not stale.exists()
    assert fresh.exists()
