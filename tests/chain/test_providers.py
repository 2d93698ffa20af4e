"""The one connection API: embedded by default, anvil managed, any RPC URL, clear messages."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import chain
from chain import connect
from chain.anvil import anvil_binary, free_port
from chain.errors import ChainError, NodeUnavailable, WrongChain
from chain.providers import DevChain, RpcConnection
from settings import Settings, get_settings, settings_from_env
from tests.tooling import require


def test_default_connection_is_the_embedded_dev_chain(isolated_data_dir: Path) -> None:
    with connect() as conn:
        assert conn.kind == "embedded"
        assert isinstance(conn, DevChain) and conn.is_dev
        assert conn.chain_id == conn.w3.eth.chain_id
        accounts = conn.accounts()
        assert len(accounts) >= get_settings().participants + 1
        assert conn.w3.eth.get_balance(accounts[0]) > 10**18
    # its state lives in the data dir
    assert (isolated_data_dir / "chain" / "embedded" / "state.journal").is_file()


def test_package_exports_the_connection_api() -> None:
    assert chain.connect is connect
    assert issubclass(chain.DevChain, chain.ChainConnection)


def test_unknown_chain_setting_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match=r"embedded.*anvil.*RPC URL"):
        connect(Settings(data_dir=tmp_path, chain="mainnet-please"))


def test_rpc_url_that_nobody_answers_says_what_to_do(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NodeUnavailable) as info:
        connect(Settings(data_dir=tmp_path, chain=url))
    assert (
        str(info.value) == f"No Ethereum node answers at {url}; start it or set HYPERBOUNTY_CHAIN=embedded."
    )


def test_embedded_time_control(isolated_data_dir: Path) -> None:
    with connect() as conn:
        assert isinstance(conn, DevChain)
        start = conn.latest_timestamp()
        assert conn.advance_time(3600) == start + 3600
        assert conn.latest_timestamp() == start + 3600
        # the clock keeps counting from the jump, it does not fall back to the wall clock
        conn.mine(2)
        assert conn.latest_timestamp() >= start + 3602
        conn.set_next_timestamp(start + 10_000)
        a = conn.accounts()
        conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 1})
        assert conn.latest_timestamp() == start + 10_000
        with pytest.raises(ChainError, match="never goes back"):
            conn.set_next_timestamp(start)
        with pytest.raises(ChainError):
            conn.advance_time(0)


def test_embedded_snapshot_and_revert(isolated_data_dir: Path) -> None:
    with connect() as conn:
        a = conn.accounts()
        before = conn.w3.eth.get_balance(a[1])
        snap = conn.snapshot()
        block = conn.latest_block()
        conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 5})
        assert conn.w3.eth.get_balance(a[1]) == before + 5
        conn.revert(snap)
        assert conn.w3.eth.get_balance(a[1]) == before
        assert conn.latest_block() == block


def test_embedded_chain_is_safe_to_share_between_threads(isolated_data_dir: Path) -> None:
    """Streamlit sessions share one connection: concurrent sends must all land, none clash."""
    with connect() as conn:
        a = conn.accounts()
        before = conn.w3.eth.get_balance(a[2])
        errors: list[BaseException] = []

        def send(n: int) -> None:
            try:
                for _ in range(n):
                    with conn.lock:
                        conn.w3.eth.send_transaction({"from": a[0], "to": a[2], "value": 1})
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(5,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert conn.w3.eth.get_balance(a[2]) == before + 20


def test_closed_connection_refuses_requests(isolated_data_dir: Path) -> None:
    conn = connect()
    conn.close()
    with pytest.raises(ChainError, match="closed"):
        _ = conn.w3.eth.block_number


def test_rpc_connection_to_a_real_node_and_wrong_chain_id(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chain="anvil", anvil_port=free_port())
    require(anvil_binary(settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64)")
    with connect(settings) as node:
        url = node.endpoint
        rpc = connect(Settings(data_dir=tmp_path, chain=url))
        assert isinstance(rpc, RpcConnection) and not rpc.is_dev
        assert rpc.kind == "rpc" and rpc.chain_id == node.chain_id
        assert rpc.accounts() == []
        with pytest.raises(WrongChain, match="not chain 1;"):
            connect(Settings(data_dir=tmp_path, chain=url), expected_chain_id=1)


def test_hyperbounty_chain_id_refuses_a_node_on_another_chain(tmp_path: Path, monkeypatch) -> None:
    with connect(Settings(data_dir=tmp_path / "a")) as first:
        embedded_id = first.chain_id
    with connect(Settings(data_dir=tmp_path / "b", chain_id=embedded_id)) as conn:
        assert conn.chain_id == embedded_id
    with pytest.raises(WrongChain, match=r"not chain 1; .*HYPERBOUNTY_CHAIN_ID"):
        connect(Settings(data_dir=tmp_path / "c", chain_id=1))
    monkeypatch.setenv("HYPERBOUNTY_CHAIN_ID", "31337")
    assert settings_from_env().chain_id == 31337
    for bad in ("mainnet", "0", "-5"):
        monkeypatch.setenv("HYPERBOUNTY_CHAIN_ID", bad)
        with pytest.raises(ValueError, match=rf"HYPERBOUNTY_CHAIN_ID='{bad}' is not a chain id"):
            settings_from_env()


def test_rpc_url_that_is_not_an_ethereum_node(tmp_path: Path) -> None:
    import http.server

    class NotEthereum(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotEthereum)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(NodeUnavailable, match=r"answers at .*, but not as an Ethereum JSON-RPC node"):
            connect(Settings(data_dir=tmp_path, chain=url))
    finally:
        server.shutdown()
