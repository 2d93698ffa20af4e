"""The managed anvil node: starts, logs, keeps its state (and clock) across a restart, stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chain import connect
from chain.accounts import DEV_BALANCE_WEI
from chain.anvil import AnvilChain, anvil_binary, free_port, port_in_use
from chain.compile import EVM_VERSION
from chain.deployments import open_board
from chain.errors import ChainError, NodeUnavailable
from chain.index import BoardIndex
from protocol import Hyperparameters
from settings import REPO_ROOT, Settings
from tests.chain.fixtures_chain import deployed, go_to, index_of, new_bounty
from tests.tooling import process_gone, require, wait_until

pytestmark = pytest.mark.anvil


def _settings(data_dir: Path, port: int | None = None) -> Settings:
    settings = Settings(data_dir=data_dir, chain="anvil", anvil_port=port or free_port())
    require(anvil_binary(settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64)")
    return settings


def test_restart_keeps_bounties_submissions_balances_and_clock(isolated_data_dir: Path) -> None:
    settings = _settings(isolated_data_dir)
    conn = connect(settings)
    assert isinstance(conn, AnvilChain) and conn.kind == "anvil" and conn.chain_id == 31337
    assert len(conn.accounts()) == max(10, settings.participants + 1)
    board = deployed(conn)
    bounty_id = new_bounty(board)
    hp = Hyperparameters(lstm_units=8)
    for person in board.people[:2]:
        board.client.commit(person, bounty_id, hp)
    go_to(board, bounty_id, "submission")
    board.client.reveal(board.people[0], bounty_id)
    conn.advance_time(3600)
    before = (
        conn.latest_block(),
        conn.latest_timestamp(),
        board.client.bounty(bounty_id),
        index_of(board, isolated_data_dir).submissions(bounty_id),
        [conn.w3.eth.get_balance(a) for a in conn.accounts()[:3]],
    )
    conn.close()
    assert not port_in_use(settings.anvil_port)  # stopped
    state = isolated_data_dir / "chain" / "anvil" / "state.json"
    assert state.is_file() and state.stat().st_size > 0
    assert "Listening on 127.0.0.1" in (isolated_data_dir / "chain" / "anvil" / "anvil.log").read_text()

    again = connect(settings)
    try:
        board2 = open_board(again)
        fresh = isolated_data_dir / "after-restart"  # a new index: everything read again from the chain
        after = (
            again.latest_block(),
            again.latest_timestamp(),
            board2.bounty(bounty_id),
            BoardIndex(again, board2, fresh / "index.json").submissions(bounty_id),
            [again.w3.eth.get_balance(a) for a in again.accounts()[:3]],
        )
        assert after == before
        # the clock does not fall back to the wall clock: new blocks come after the jump
        again.mine()
        assert again.latest_timestamp() >= before[1]
    finally:
        again.close()


def test_dev_powers_on_anvil(isolated_data_dir: Path) -> None:
    with connect(_settings(isolated_data_dir)) as conn:
        start = conn.latest_timestamp()
        assert conn.advance_time(600) == conn.latest_timestamp() == start + 600
        snap = conn.snapshot()
        block = conn.latest_block()
        conn.mine(3)
        assert conn.latest_block() == block + 3
        conn.revert(snap)
        assert conn.latest_block() == block
        with pytest.raises(ChainError, match="never goes back"):
            conn.set_next_timestamp(start)


def test_anvil_runs_the_fork_the_contract_is_compiled_for(isolated_data_dir: Path) -> None:
    with connect(_settings(isolated_data_dir)) as conn:
        info = conn.w3.provider.make_request("anvil_nodeInfo", [])["result"]
        assert info["hardFork"].lower() == EVM_VERSION


def test_busy_port_and_missing_binary_are_explained(isolated_data_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ChainError, match=rf"Port {port} .* HYPERBOUNTY_ANVIL_PORT"):
            connect(_settings(isolated_data_dir, port))
    missing = Settings(data_dir=tmp_path, chain="anvil", node_tools_dir=tmp_path / "nowhere")
    with pytest.raises(NodeUnavailable, match=r"anvil is not installed.*setup\.sh"):
        connect(missing)


LEAVER = """
import sys
from pathlib import Path
from chain import connect
from settings import Settings
conn = connect(Settings(data_dir=Path(sys.argv[1]), chain="anvil", anvil_port=int(sys.argv[2])))
a = conn.accounts()
conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 42})
print(conn.node.process.pid, flush=True)
# exits without close(): the atexit hook must stop anvil (which then writes its state)
"""


def test_exit_without_close_stops_anvil_and_keeps_state(isolated_data_dir: Path) -> None:
    settings = _settings(isolated_data_dir)
    out = subprocess.run(
        [sys.executable, "-c", LEAVER, str(isolated_data_dir), str(settings.anvil_port)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pid = int(out.stdout.split()[0])
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert not port_in_use(settings.anvil_port)
    with connect(settings) as conn:
        assert conn.latest_block() == 1
        assert conn.w3.eth.get_balance(conn.accounts()[1]) == DEV_BALANCE_WEI + 42


KILLED_APP = """
import os, signal, sys
from pathlib import Path
import lifeline
if sys.argv[3] == "old":  # an app without the parent-death signal (an older version, another OS)
    lifeline.preexec_die_with_parent = lambda: None
from chain import connect
from settings import Settings
conn = connect(Settings(data_dir=Path(sys.argv[1]), chain="anvil", anvil_port=int(sys.argv[2])))
a = conn.accounts()
conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 42})
print(conn.node.process.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit, no handler
"""


def _killed_app(settings: Settings, death_signal: bool) -> int:
    """Run an app that starts anvil, sends a transaction and dies by SIGKILL; anvil's pid."""
    mode = "new" if death_signal else "old"
    out = subprocess.run(
        [sys.executable, "-c", KILLED_APP, str(settings.data_dir), str(settings.anvil_port), mode],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == -9, out.stderr
    return int(out.stdout.split()[0])


def test_sigkill_of_the_app_takes_anvil_with_it(isolated_data_dir: Path) -> None:
    settings = _settings(isolated_data_dir)
    pid = _killed_app(settings, death_signal=True)
    assert wait_until(lambda: process_gone(pid)), f"anvil {pid} outlived the app that started it"
    assert wait_until(lambda: not port_in_use(settings.anvil_port))
    assert (isolated_data_dir / "chain" / "anvil" / "anvil.pid").is_file()  # left behind, names a dead node
    with connect(settings) as conn:  # the next start is not bothered by it
        assert conn.node.process.pid != pid


def test_a_stale_anvil_from_a_killed_app_is_recognised_and_stopped(
    isolated_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(isolated_data_dir)
    pid = _killed_app(settings, death_signal=False)
    try:
        assert not process_gone(pid) and port_in_use(settings.anvil_port)  # orphaned, still on the port
        with caplog.at_level("WARNING", logger="chain.anvil"), connect(settings) as conn:
            assert conn.node.process.pid != pid and process_gone(pid)
            # stopped with SIGTERM, so it saved its state: the killed app's transaction is still there
            assert conn.w3.eth.get_balance(conn.accounts()[1]) == DEV_BALANCE_WEI + 42
        assert f"anvil process {pid} on port {settings.anvil_port}" in caplog.text
        assert "answers as chain 31337" in caplog.text and "stopping it" in caplog.text
        assert "stopping it" in (isolated_data_dir / "chain" / "anvil" / "anvil.log").read_text()
    finally:
        if not process_gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_node_whose_app_still_runs_is_explained_not_stopped(isolated_data_dir: Path) -> None:
    settings = _settings(isolated_data_dir)
    with connect(settings) as first:
        with pytest.raises(
            ChainError, match=rf"already runs as process {first.node.process.pid} .*still running"
        ):
            connect(settings)
        assert first.latest_block() == 0  # untouched


def test_anvil_started_from_a_short_lived_thread_outlives_it(isolated_data_dir: Path) -> None:
    """The kernel ties the parent-death signal to the starting thread; a Streamlit script run is one."""
    import threading

    settings = _settings(isolated_data_dir)
    started: list[AnvilChain] = []
    runner = threading.Thread(target=lambda: started.append(connect(settings)))
    runner.start()
    runner.join()
    (conn,) = started
    try:
        for _ in range(5):
            conn.mine()
        assert conn.node.running and conn.latest_block() == 5
    finally:
        conn.close()


def test_two_installs_share_one_anvil_and_only_the_starter_stops_it(tmp_path: Path) -> None:
    port = free_port()
    first_settings = _settings(tmp_path / "owner", port)
    second_settings = Settings(data_dir=tmp_path / "participant", chain="anvil", anvil_port=port)
    first = AnvilChain.start(first_settings)
    assert first.node.process is not None
    pid = first.node.process.pid
    try:
        second = AnvilChain.start(second_settings)  # another data dir, the same port: the same node
        assert not first.shared and second.shared and "shared" in second.description
        assert second.genesis_hash == first.genesis_hash and second.accounts() == first.accounts()
        assert not (tmp_path / "participant" / "chain" / "anvil" / "anvil.pid").exists()  # it started nothing
        a = second.accounts()
        second.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 7})
        assert first.latest_block() == 1  # one chain
        second.close()
        assert port_in_use(port) and first.latest_block() == 1  # a sharer's close leaves the node running
        again = connect(second_settings)  # and it shares again
        assert isinstance(again, AnvilChain) and again.shared
        again.close()
    finally:
        first.close()
    assert wait_until(lambda: process_gone(pid) and not port_in_use(port))  # the starter's close stops it


def test_a_shared_node_must_be_the_chain_the_data_dir_remembers(tmp_path: Path) -> None:
    from chain.deployments import Deployment, DeploymentRegistry

    port = free_port()
    with AnvilChain.start(_settings(tmp_path / "owner", port)):
        sharer = Settings(data_dir=tmp_path / "participant", chain="anvil", anvil_port=port)
        remembered = Deployment(31337, "0x" + "ab" * 20, 1, "", "", "", "0x" + "00" * 32)  # an earlier chain
        DeploymentRegistry.open(sharer).remember(remembered)
        with pytest.raises(
            ChainError, match=rf"The anvil on port {port} is not the chain this data dir remembers"
        ):
            AnvilChain.start(sharer)


def test_a_node_for_another_chain_on_the_port_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    binary = anvil_binary(settings)
    assert binary is not None
    other = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(settings.anvil_port), "--chain-id", "999"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: port_in_use(settings.anvil_port), timeout=20)
        with pytest.raises(
            ChainError, match=r"already in use by anvil for chain 999, not an anvil for chain 31337"
        ):
            connect(settings)
    finally:
        other.terminate()
        other.wait(timeout=10)
