"""The embedded chain keeps everything across a restart: bounties, submissions, balances, clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from chain import connect
from chain.accounts import DEV_BALANCE_WEI, dev_accounts
from chain.deployments import open_board
from chain.embedded import EmbeddedChain
from chain.index import BoardIndex
from protocol import Hyperparameters
from settings import REPO_ROOT, get_settings
from tests.chain.fixtures_chain import BOND, deployed, go_to, new_bounty

HP = Hyperparameters(lstm_layers=2, lstm_units=16)

# Run in a fresh interpreter: reopen the chain from the data dir and print what it holds.
READER = """
import json
import tempfile
from pathlib import Path
from chain import connect
from chain.deployments import open_board
from chain.index import BoardIndex
conn = connect()
board = open_board(conn)
bounty = board.bounty(1)
from settings import get_settings
scratch = Path(tempfile.mkdtemp(dir=get_settings().data_dir))  # a new index: read from the chain
rows = BoardIndex(conn, board, scratch / "index.json").submissions(1)
print(json.dumps({
    "chain_id": conn.chain_id,
    "block": conn.latest_block(),
    "timestamp": conn.latest_timestamp(),
    "phase": bounty.phase.name,
    "commit_count": bounty.commit_count,
    "revealed": [r.participant for r in rows if r.revealed],
    "balances": [conn.w3.eth.get_balance(a) for a in conn.accounts()[:4]],
}))
conn.close()
"""


def _state(conn, client) -> dict:
    bounty = client.bounty(1)
    scratch = Path(tempfile.mkdtemp(dir=get_settings().data_dir))  # a new index: read from the chain
    index = BoardIndex(conn, client, scratch / "index.json")
    return {
        "chain_id": conn.chain_id,
        "block": conn.latest_block(),
        "timestamp": conn.latest_timestamp(),
        "phase": bounty.phase.name,
        "commit_count": bounty.commit_count,
        "revealed": [r.participant for r in index.submissions(1) if r.revealed],
        "balances": [conn.w3.eth.get_balance(a) for a in conn.accounts()[:4]],
    }


def test_restart_in_this_process_and_in_another(isolated_data_dir: Path) -> None:
    conn = connect()
    board = deployed(conn)
    bounty_id = new_bounty(board)
    for person in board.people[:3]:
        board.client.commit(person, bounty_id, HP)
    go_to(board, bounty_id, "submission")
    board.client.reveal(board.people[0], bounty_id)
    conn.advance_time(90)  # the clock's jump must survive too
    before = _state(conn, board.client)
    conn.close()

    # same process, new connection object on the same data dir
    again = connect()
    client = open_board(again)
    assert _state(again, client) == before
    # the secret store survived too, so the next participant can still reveal after the restart
    p2 = dev_accounts(again, 5)[2]
    client.reveal(p2, bounty_id)
    assert client.pending_withdrawal(p2.address) == BOND
    # later blocks keep counting from the jumped clock
    assert again.latest_timestamp() > before["timestamp"]
    after = _state(again, client)
    again.close()

    # a separate process sees exactly the same chain
    out = subprocess.run(
        [sys.executable, "-c", READER],
        cwd=REPO_ROOT,
        env={**os.environ, "HYPERBOUNTY_DATA_DIR": str(isolated_data_dir), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == after


def test_a_torn_write_loses_only_the_unfinished_request(tmp_path: Path) -> None:
    folder = tmp_path / "embedded"
    conn = EmbeddedChain(folder)
    a = conn.accounts()
    conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 7})
    balance, block = conn.w3.eth.get_balance(a[1]), conn.latest_block()
    conn.close()
    journal = folder / "state.journal"
    size = journal.stat().st_size
    with open(journal, "ab") as handle:  # a crash in the middle of appending the next request
        handle.write(b"S\x00\x00\x00\x20\x00\x00\x01\x00" + b"x" * 40)
    conn = EmbeddedChain(folder)
    assert conn.w3.eth.get_balance(a[1]) == balance and conn.latest_block() == block
    assert journal.stat().st_size == size  # the torn tail was cut off
    conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 1})
    conn.close()
    conn = EmbeddedChain(folder)
    assert conn.w3.eth.get_balance(a[1]) == balance + 1
    conn.close()


def test_compaction_keeps_the_state(tmp_path: Path) -> None:
    folder = tmp_path / "embedded"
    conn = EmbeddedChain(folder)
    a = conn.accounts()
    for _ in range(30):
        conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 1})
    balance, block, ts = conn.w3.eth.get_balance(a[1]), conn.latest_block(), conn.latest_timestamp()
    conn.close()
    conn = EmbeddedChain(folder)
    assert conn.db.compact_if_worthwhile(ratio=0.0, min_bytes=0)  # force it
    assert (folder / "state.journal").stat().st_size == conn.db.file_bytes
    conn.close()
    conn = EmbeddedChain(folder)
    assert (conn.w3.eth.get_balance(a[1]), conn.latest_block(), conn.latest_timestamp()) == (
        balance,
        block,
        ts,
    )
    conn.close()


KILLED = """
import os, signal
from chain import connect
conn = connect()
a = conn.accounts()
conn.w3.eth.send_transaction({"from": a[0], "to": a[3], "value": 12345})
conn.advance_time(7200)
print(conn.latest_timestamp(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit: a crash right after the receipt
"""


def test_a_killed_process_loses_nothing_it_was_told_succeeded(isolated_data_dir: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", KILLED],
        cwd=REPO_ROOT,
        env={**os.environ, "HYPERBOUNTY_DATA_DIR": str(isolated_data_dir), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == -9, out.stderr
    clock = int(out.stdout.split()[0])
    with connect() as conn:
        a = conn.accounts()
        assert conn.w3.eth.get_balance(a[3]) == DEV_BALANCE_WEI + 12345
        assert conn.latest_timestamp() == clock


def test_a_second_connection_reads_but_never_writes(tmp_path: Path) -> None:
    """Two writers would interleave the journal; a second connection gets a read-only view instead."""
    import pytest

    from chain.errors import ChainError

    folder = tmp_path / "embedded"
    first = EmbeddedChain(folder)
    a = first.accounts()
    first.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 99})
    size = (folder / "state.journal").stat().st_size
    with pytest.raises(ChainError, match=f"already open for writing \\(by process {os.getpid()}\\)"):
        EmbeddedChain(folder, read_only=False)
    viewer = EmbeddedChain(folder)  # e.g. a worker process while the dashboard runs
    assert viewer.read_only and "read-only" in viewer.description
    assert viewer.w3.eth.get_balance(a[1]) == first.w3.eth.get_balance(a[1])
    with pytest.raises(ChainError, match=f"read-only because process {os.getpid()} has it open"):
        viewer.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 1})
    with pytest.raises(ChainError, match="read-only"):
        viewer.advance_time(60)
    viewer.close()
    assert (folder / "state.journal").stat().st_size == size  # the viewer wrote nothing
    first.close()
    second = EmbeddedChain(folder)  # the lock went with the first connection
    assert not second.read_only and second.latest_block() == 1
    second.close()
