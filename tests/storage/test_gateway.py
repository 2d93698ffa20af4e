"""Reading from anywhere, trusting only the hash: a real gateway (js-ipfs), a tampering one, none at all.

The gateways here are real HTTP servers on loopback: the js-ipfs daemon's own gateway, and small
``http.server`` threads that serve altered bytes, nothing, or count what they are asked.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from settings import Settings
from storage import (
    ContentReader,
    CorruptContent,
    DaemonUnavailable,
    GatewayReader,
    NotFound,
    PinStatus,
    StorageError,
    ipfs_cid,
    open_reader,
)
from storage.cid import CHUNK_SIZE
from storage.embedded import EmbeddedStore
from storage.gateway import gateway_base
from storage.jsipfs import free_port
from storage.kubo import KuboStore

BIG = os.urandom(3 * CHUNK_SIZE + 12_345)  # four leaves under one root: several chunks to verify
ABSENT = ipfs_cid(b"content nobody ever added")


@contextmanager
def http_gateway(body_for: Callable[[str], bytes | None]) -> Iterator[tuple[str, list[str]]]:
    """A gateway on loopback serving ``body_for(cid)`` (None: 404); yields its URL and the paths asked."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = body_for(self.path.rsplit("/", 1)[-1])
            self.send_response(404 if body is None else 200)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def cidv1(codec: bytes, digest: bytes) -> str:
    """A base32 CIDv1 of a sha2-256 digest: codec 0x70 (dag-pb, 'bafy...') or 0x55 (raw, 'bafk...')."""
    return "b" + base64.b32encode(b"\x01" + codec + b"\x12\x20" + digest).decode().lower().rstrip("=")


def tampered(data: bytes) -> bytes:
    """The same length with one byte changed in the middle (a leaf the root still names)."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]


# --- a real gateway ------------------------------------------------------------------------------


@pytest.mark.ipfsd
def test_fetch_through_the_daemons_gateway(kubo_store, jsipfs_daemon):
    small = b"a manifest, say\n"
    cids = kubo_store.add(small), kubo_store.add(BIG)
    reader = GatewayReader(jsipfs_daemon.gateway_url, timeout=30)
    assert reader.cat(cids[0]) == small
    assert reader.cat(cids[1]) == BIG, "a file of several chunks is rebuilt and verified"


@pytest.mark.ipfsd
def test_a_cid_the_gateway_cannot_find_fails_in_time(jsipfs_daemon):
    reader = GatewayReader(jsipfs_daemon.gateway_url, timeout=2)  # js-ipfs looks for ever: we do not
    started = time.monotonic()
    with pytest.raises(DaemonUnavailable, match=f"did not deliver {ABSENT} within 2 s"):
        reader.cat(ABSENT)
    assert time.monotonic() - started < 10


# --- gateways that must be refused ---------------------------------------------------------------


def test_a_tampering_gateway_is_refused_with_a_sentence(tmp_path):
    cid = ipfs_cid(BIG)
    with http_gateway(lambda _: tampered(BIG)) as (url, _):
        with pytest.raises(CorruptContent) as refused:
            GatewayReader(url).cat(cid)
        assert str(refused.value) == (
            f"The gateway {url} served bytes for {cid} that do not hash to it; it was refused. "
            "Try another gateway (HYPERBOUNTY_IPFS_GATEWAY)."
        )
        local = EmbeddedStore(tmp_path / "ipfs")
        with pytest.raises(CorruptContent, match="do not hash to it"):
            ContentReader(local, [GatewayReader(url)]).cat(cid)
        assert not local.has(cid) and local.list() == [], "refused bytes are never kept"


def test_a_cidv1_with_other_settings_is_refused_not_trusted():
    # What a CIDv1 names may have been built with raw leaves: the bytes cannot be checked by our rules.
    data = b"added elsewhere with --cid-version 1"
    digest = hashlib.sha256(data).digest()  # what a raw-leaf CIDv1 would hash: not our dag-pb block
    with http_gateway(lambda _: data) as (url, asked):
        with pytest.raises(CorruptContent, match=r"do not hash to it; it was refused\..*raw leaves"):
            GatewayReader(url).cat(cidv1(b"\x70", digest))
        with pytest.raises(StorageError, match="not a valid IPFS CID"):  # raw codec: refused before asking
            GatewayReader(url).cat(cidv1(b"\x55", digest))
        assert len(asked) == 1


def test_an_unreachable_gateway_is_refused_fast():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(DaemonUnavailable, match=f"Could not reach the IPFS gateway {url} to fetch {ABSENT}"):
        GatewayReader(url).cat(ABSENT)
    assert time.monotonic() - started < 5


def test_a_silent_gateway_is_given_up_on():
    class Silent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(5)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(DaemonUnavailable, match="did not deliver"):
            GatewayReader(f"http://127.0.0.1:{server.server_address[1]}", timeout=1).cat(ABSENT)
        assert time.monotonic() - started < 4
    finally:
        server.shutdown()
        server.server_close()


def test_missing_and_oversized_answers_are_explained():
    cid = ipfs_cid(BIG)
    with http_gateway(lambda asked: BIG if asked == cid else None) as (url, _):
        with pytest.raises(NotFound, match=f"could not find {ABSENT} \\(HTTP 404\\)"):
            GatewayReader(url).cat(ABSENT)
        with pytest.raises(StorageError, match="more than 0 MiB"):
            GatewayReader(url, max_bytes=CHUNK_SIZE).cat(cid)


@pytest.mark.parametrize("bad", ["ftp://example.org", "ipfs.io", ""])
def test_bad_gateway_address_is_explained(bad):
    with pytest.raises(StorageError, match="not an IPFS gateway address"):
        GatewayReader(bad)


def test_gateway_address_forms():
    assert gateway_base("https://ipfs.io/") == "https://ipfs.io"
    assert gateway_base("http://127.0.0.1:8080/ipfs/") == "http://127.0.0.1:8080"


# --- the reader: order and caching --------------------------------------------------------------


def test_the_default_reader_reads_locally_and_fails_at_once(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.ipfs_gateway == "", "no network unless asked for"
    local = EmbeddedStore(tmp_path / "ipfs")
    reader = open_reader(settings, local)
    assert reader.remotes == []
    cid = local.add(b"here already")
    assert reader.cat(cid) == b"here already"
    started = time.monotonic()
    with pytest.raises(NotFound, match=r"fetches from nowhere else\. Set HYPERBOUNTY_IPFS_GATEWAY"):
        reader.cat(ABSENT)
    assert time.monotonic() - started < 1


def test_open_reader_follows_the_settings(tmp_path):
    local = EmbeddedStore(tmp_path / "ipfs")
    gateway_only = open_reader(Settings(data_dir=tmp_path, ipfs_gateway="http://127.0.0.1:9"), local)
    assert [type(r) for r in gateway_only.remotes] == [GatewayReader]
    both = Settings(data_dir=tmp_path, ipfs_api="http://127.0.0.1:5001", ipfs_gateway="https://ipfs.io")
    assert [type(r) for r in open_reader(both, local).remotes] == [KuboStore, GatewayReader]
    node = KuboStore("http://127.0.0.1:5001")
    node_is_the_store = open_reader(both, node)
    assert node_is_the_store.local is node
    assert [type(r) for r in node_is_the_store.remotes] == [GatewayReader], "the node is not asked twice"
    assert "then IPFS gateway https://ipfs.io" in node_is_the_store.describe()


def test_the_gateway_answer_is_kept_locally(tmp_path):
    cid = ipfs_cid(BIG)
    local = EmbeddedStore(tmp_path / "ipfs")
    with http_gateway(lambda _: BIG) as (url, asked):
        reader = open_reader(Settings(data_dir=tmp_path, ipfs_gateway=url), local)
        assert reader.cat(cid) == BIG
        assert asked == [f"/ipfs/{cid}"]
        assert local.pin_status(cid) == PinStatus(held=True, pinned=True)
        assert local.cat(cid) == BIG, "the local copy has the same CID"
        assert reader.cat(cid) == BIG
        assert len(asked) == 1, "the second read is local"


def test_a_damaged_local_copy_is_repaired_from_the_gateway(tmp_path):
    local = EmbeddedStore(tmp_path / "ipfs")
    cid = local.add(BIG)
    leaf = max((local.root / "blocks").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)
    leaf.write_bytes(tampered(leaf.read_bytes()))
    with pytest.raises(CorruptContent):
        local.cat(cid)
    with http_gateway(lambda _: BIG) as (url, _):
        assert ContentReader(local, [GatewayReader(url)]).cat(cid) == BIG
    assert local.cat(cid) == BIG


@pytest.mark.ipfsd
def test_the_node_is_asked_before_the_gateway(kubo_store, tmp_path):
    on_node = kubo_store.add(b"on the node")
    elsewhere = b"only on the gateway"
    local = EmbeddedStore(tmp_path / "ipfs")
    with http_gateway(lambda _: elsewhere) as (url, asked):
        reader = ContentReader(local, [kubo_store, GatewayReader(url)])
        assert reader.cat(on_node) == b"on the node"
        assert asked == [], "the node had it: the gateway is not asked"
        assert reader.cat(ipfs_cid(elsewhere)) == elsewhere
        assert len(asked) == 1
    assert set(local.list()) == {on_node, ipfs_cid(elsewhere)}


def test_nothing_anywhere_names_every_place(tmp_path):
    local = EmbeddedStore(tmp_path / "ipfs")
    with http_gateway(lambda _: None) as (url, _), pytest.raises(NotFound) as missing:
        ContentReader(local, [GatewayReader(url)]).cat(ABSENT)
    places = f"the embedded store at {local.root}, nor in the IPFS gateway {url}"
    assert f"{ABSENT} was not found in {places}." in str(missing.value)


# --- pin status ----------------------------------------------------------------------------------


def test_pin_status(store):
    cid = store.add(b"pinned, then not")
    assert store.pin_status(cid) == PinStatus(held=True, pinned=True)
    store.unpin(cid)
    assert store.pin_status(cid) == PinStatus(held=True, pinned=False), "unpinned blocks stay until a GC"
    store.pin(cid)
    assert store.pin_status(cid).pinned
    assert store.pin_status(ABSENT) == PinStatus(held=False, pinned=False)


@pytest.mark.ipfsd
def test_a_node_without_a_configured_gateway_links_through_its_own(jsipfs_daemon):
    import requests

    store = KuboStore(jsipfs_daemon.api_multiaddr, find_timeout=1, has_timeout=1)
    cid = store.add(b"linked through the node's gateway")
    assert store.gateway_url(cid) == f"{jsipfs_daemon.gateway_url}/ipfs/{cid}"
    assert requests.get(store.gateway_url(cid), timeout=10).content == b"linked through the node's gateway"


def test_a_node_that_is_down_does_not_stop_the_gateway(tmp_path):
    down = KuboStore(f"http://127.0.0.1:{free_port()}", timeout=3)
    with http_gateway(lambda _: b"served anyway") as (url, _):
        assert ContentReader(down, [GatewayReader(url)]).cat(ipfs_cid(b"served anyway")) == b"served anyway"
    with pytest.raises(DaemonUnavailable, match="Could not connect to the IPFS node"):
        ContentReader(down, []).cat(ABSENT)
