"""One suite, both backends (the ``store`` fixture runs each test on the embedded store and a real node)."""

from __future__ import annotations

import io
import os

import pytest

from settings import Settings
from storage import (
    ContentStore,
    InvalidCid,
    NotFound,
    StorageError,
    digest_to_cid,
    ipfs_cid,
    open_store,
    publish,
)
from storage.embedded import EmbeddedStore
from storage.kubo import KuboStore
from tests.storage.vectors import K, pattern

ABSENT = digest_to_cid(b"\x42" * 32)  # a well-formed CID that no one has added


def unique(size: int, tag: str) -> bytes:
    """Content no other test adds (the kubo backend shares one node across tests)."""
    salt = f"{tag}:{os.urandom(8).hex()}".encode()
    return (salt + pattern(size))[:size] if size >= len(salt) else os.urandom(size)


@pytest.mark.parametrize("size", [0, 1, K - 1, K + 1, 3 * K + 7])
def test_add_then_cat_round_trips_with_the_exact_cid(store: ContentStore, size):
    data = unique(size, "roundtrip")
    cid = store.add(data)
    assert cid == ipfs_cid(data)
    assert store.cat(cid) == data
    assert store.has(cid)
    assert cid in store.list()


def test_path_stream_and_bytes_give_one_cid(store, tmp_path):
    data = unique(2 * K + 3, "inputs")
    path = tmp_path / "train.csv"
    path.write_bytes(data)
    assert store.add(path) == store.add(str(path)) == store.add(io.BytesIO(data)) == ipfs_cid(data)


def test_pin_unpin_and_list(store):
    cid = store.add(unique(100, "pins"))
    assert cid in store.list()
    store.unpin(cid)
    assert cid not in store.list()
    assert store.cat(cid)  # unpinned content is still readable until garbage-collected
    with pytest.raises(NotFound, match="not pinned"):
        store.unpin(cid)
    store.pin(cid)
    assert cid in store.list()
    assert store.list() == sorted(store.list())


def test_absent_content_is_not_found(store):
    assert not store.has(ABSENT)
    with pytest.raises(NotFound, match=ABSENT):
        store.cat(ABSENT)
    with pytest.raises(NotFound):
        store.pin(ABSENT)
    assert ABSENT not in store.list()


@pytest.mark.parametrize("method", ["cat", "pin", "unpin", "has"])
def test_malformed_cid_is_refused_before_anything_happens(store, method):
    before = store.list()
    with pytest.raises(InvalidCid, match="not a valid IPFS CID"):
        getattr(store, method)("Qm-not-a-cid")
    assert store.list() == before


def test_cidv1_of_the_same_content_is_served(store):
    cid = store.add(b"hello ipfs\n")
    assert store.cat("bafybeicchf4xyrxmdwz5raasiohhwujb5t5dlqs57a4xuq2gffzyw25t7e") == b"hello ipfs\n"
    assert cid == "QmSoASxb8aNVGk3pNWpZvXEZTQKxjGeu9bvpYHuo5bP1VJ"


def test_save_writes_the_file_atomically(store, tmp_path):
    data = unique(K + 9, "save")
    cid = store.add(data)
    target = store.save(cid, tmp_path / "out" / "train.csv")
    assert target.read_bytes() == data
    with pytest.raises(NotFound):
        store.save(ABSENT, tmp_path / "out" / "missing.csv")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["train.csv"]


def test_missing_source_file_says_so(store, tmp_path):
    with pytest.raises(StorageError, match="no file at"):
        store.add(tmp_path / "nope.csv")


def test_publish_from_the_embedded_store_keeps_the_cid(store, tmp_path):
    source = EmbeddedStore(tmp_path / "source-ipfs")
    data = unique(3 * K + 1, "publish")
    cid = source.add(data)
    assert publish(source, store, cid) == cid
    assert store.cat(cid) == data
    assert cid in store.list()


def test_publish_of_absent_content_changes_nothing(store, tmp_path):
    source = EmbeddedStore(tmp_path / "source-ipfs")
    before = store.list()
    with pytest.raises(NotFound):
        publish(source, store, ABSENT)
    assert store.list() == before


def test_kind_and_gateway_url(store):
    cid = store.add(b"gateway")
    assert store.kind in ("embedded", "kubo")
    url = store.gateway_url(cid)
    if store.kind == "embedded":
        assert url is None  # nothing outside this machine can fetch it
    else:
        assert url.endswith(f"/ipfs/{cid}")
    assert store.describe()


def test_open_store_follows_the_settings(tmp_path):
    embedded = open_store(Settings(data_dir=tmp_path))
    assert isinstance(embedded, EmbeddedStore) and embedded.kind == "embedded"
    assert embedded.root == tmp_path / "ipfs"
    kubo = open_store(Settings(data_dir=tmp_path, ipfs_api="http://127.0.0.1:5001"))
    assert isinstance(kubo, KuboStore) and kubo.kind == "kubo"
    assert kubo.api == "/ip4/127.0.0.1/tcp/5001/http"


def test_open_store_defaults_to_the_data_dir(isolated_data_dir):
    store = open_store()
    assert store.kind == "embedded"
    assert store.root == isolated_data_dir / "ipfs"
