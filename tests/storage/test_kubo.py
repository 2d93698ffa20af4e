"""What only the RPC backend must handle: a node that is down, slow, wrong or answering errors."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from storage import DaemonUnavailable, NotFound, StorageError, ipfs_cid
from storage.jsipfs import JsIpfsDaemon, free_port, jsipfs_available
from storage.kubo import KuboStore, to_multiaddr
from tests.tooling import require


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/ip4/127.0.0.1/tcp/5001/http", "/ip4/127.0.0.1/tcp/5001/http"),
        ("http://127.0.0.1:5001", "/ip4/127.0.0.1/tcp/5001/http"),
        ("127.0.0.1:5001", "/ip4/127.0.0.1/tcp/5001/http"),
        ("https://ipfs.example.org", "/dns/ipfs.example.org/tcp/443/https"),
        ("http://localhost:5001/", "/dns/localhost/tcp/5001/http"),
    ],
)
def test_api_address_forms(given, expected):
    assert to_multiaddr(given) == expected


@pytest.mark.parametrize("bad", ["ftp://host:21", "http://host:5001/api/v0", "/ip4/not-an-ip/tcp/5001"])
def test_bad_api_address_is_explained(bad):
    with pytest.raises(StorageError, match="not an IPFS API address"):
        KuboStore(bad)


def test_daemon_down_is_explained():
    store = KuboStore(f"/ip4/127.0.0.1/tcp/{free_port()}/http", timeout=3)
    with pytest.raises(DaemonUnavailable, match=r"Could not connect.*HYPERBOUNTY_IPFS_API"):
        store.add(b"data")
    with pytest.raises(DaemonUnavailable, match="Could not connect"):
        store.cat(ipfs_cid(b"data"))
    with pytest.raises(DaemonUnavailable):
        store.list()


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a hung node."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_slow_daemon_times_out_with_a_clear_message(silent_server):
    store = KuboStore(f"/ip4/127.0.0.1/tcp/{silent_server}/http", timeout=1)
    with pytest.raises(DaemonUnavailable, match="did not answer in time"):
        store.add(b"data")
    with pytest.raises(DaemonUnavailable, match="did not answer in time"):
        store.list()


class FakeNode(BaseHTTPRequestHandler):
    """A fake RPC endpoint for the two answers a real node will not give on demand."""

    answer: ClassVar[dict] = {}
    status = 200
    seen: ClassVar[list] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length) if length else None
        type(self).seen.append(self.path.split("?")[0])
        body = json.dumps(self.answer).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_node():
    def serve(answer: dict, status: int = 200) -> str:
        handler = type("Handler", (FakeNode,), {"answer": answer, "status": status, "seen": []})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        serve.handler = handler
        return f"/ip4/127.0.0.1/tcp/{server.server_address[1]}/http"

    servers: list = []
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_node_error_answer_is_passed_on(fake_node):
    store = KuboStore(fake_node({"Message": "repo is read-only", "Code": 0, "Type": "error"}, status=500))
    with pytest.raises(DaemonUnavailable, match="refused to add a file: repo is read-only"):
        store.add(b"data")


def test_a_node_that_answers_another_cid_is_caught_and_its_copy_unpinned(fake_node):
    other = ipfs_cid(b"something else")
    store = KuboStore(fake_node({"Name": "x", "Hash": other, "Size": "1"}))
    with pytest.raises(StorageError, match="kubo's defaults give"):
        store.add(b"data")
    assert fake_node.handler.seen == ["/api/v0/add", "/api/v0/pin/rm"]


@pytest.mark.ipfsd
def test_real_node_reports_unpinning_an_absent_pin(kubo_store):
    with pytest.raises(NotFound, match="not pinned"):
        kubo_store.unpin(ipfs_cid(b"never added anywhere " + bytes(8)))


@pytest.mark.ipfsd
def test_content_is_served_by_the_nodes_gateway(kubo_store):
    import requests

    cid = kubo_store.add(b"through the gateway\n")
    assert requests.get(kubo_store.gateway_url(cid), timeout=10).content == b"through the gateway\n"


def test_launcher_without_js_ipfs_says_how_to_install(tmp_path):
    daemon = JsIpfsDaemon(tmp_path / "repo", node_tools_dir=tmp_path / "no-node-tools")
    with pytest.raises(DaemonUnavailable, match=r"setup\.sh --dev"):
        daemon.start()
    assert not daemon.running


@pytest.mark.ipfsd
def test_launcher_restarts_on_the_same_repo_and_keeps_content(jsipfs_daemon, tmp_path):
    with JsIpfsDaemon(tmp_path / "repo") as daemon:
        cid = KuboStore(daemon.api_multiaddr).add(b"kept across restarts")
    assert not daemon.running
    with JsIpfsDaemon(tmp_path / "repo") as again:
        store = KuboStore(again.api_multiaddr)
        assert store.cat(cid) == b"kept across restarts"
        assert cid in store.list()


@pytest.mark.ipfsd
def test_daemon_does_not_outlive_a_killed_parent(tmp_path):
    """A test run killed with SIGKILL (no teardown, no atexit) must not leave a daemon behind."""
    require(jsipfs_available(), "the js-ipfs daemon (npm `ipfs` in tools/node)")
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time; from pathlib import Path; from storage.jsipfs import JsIpfsDaemon; "
        f"d = JsIpfsDaemon(Path({str(tmp_path / 'repo')!r})).start(); "
        "print(d._process.pid, flush=True); time.sleep(120)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        daemon_pid = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(daemon_pid, 0)
            except ProcessLookupError:
                print(f"gone after {time.monotonic() - deadline + 20:.1f} s")
                return
            with open(f"/proc/{daemon_pid}/stat") as stat:
                if stat.read().split()[2] == "Z":  # exited, waiting only to be reaped by init
                    print(f"zombie after {time.monotonic() - deadline + 20:.1f} s")
                    return
            time.sleep(0.2)
        os.kill(daemon_pid, signal.SIGKILL)
        pytest.fail("the js-ipfs daemon kept running after its parent was killed")
    finally:
        if parent.poll() is None:
            parent.kill()


@pytest.mark.ipfsd
def test_pointing_at_a_gateway_instead_of_the_rpc_api_is_explained(jsipfs_daemon):
    store = KuboStore(jsipfs_daemon.gateway_url, timeout=10)
    with pytest.raises(DaemonUnavailable, match="RPC API"):
        store.add(b"data")


@pytest.mark.ipfsd
def test_launcher_recovers_when_its_free_port_is_taken_meanwhile(jsipfs_daemon, tmp_path):
    daemon = JsIpfsDaemon(tmp_path / "repo")
    daemon.api_port = int(jsipfs_daemon.api_url.rsplit(":", 1)[1])  # taken by the session daemon
    with daemon:
        assert daemon.api_url != jsipfs_daemon.api_url
        assert KuboStore(daemon.api_multiaddr).add(b"after a port race") == ipfs_cid(b"after a port race")


@pytest.mark.ipfsd
def test_launcher_reports_a_port_the_user_fixed_being_taken(jsipfs_daemon, tmp_path):
    taken = int(jsipfs_daemon.api_url.rsplit(":", 1)[1])
    daemon = JsIpfsDaemon(tmp_path / "repo", api_port=taken)
    with pytest.raises(DaemonUnavailable, match="EADDRINUSE"):
        daemon.start()
    assert not daemon.running
