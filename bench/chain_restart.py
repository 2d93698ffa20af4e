"""How fast the embedded chain comes back after a restart, against how long its history took to make.

The embedded chain journals py-evm's key-value writes instead of transactions, so a restart
reads the journal rather than re-executing every transaction. This builds a history of N
BountyBoard transactions (create, commits, reveals, ...), closes the chain, reopens it, and
compares the reopen time with the time the transactions took (the cost a transaction-replay
journal would pay at every start). Prints a table and writes bench/results/chain_restart.json.

    .venv/bin/python bench/chain_restart.py [N ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chain.accounts import dev_accounts
from chain.client import BountyBoardClient
from chain.deployments import DeploymentRegistry, deploy_board, open_board
from chain.embedded import EmbeddedChain
from chain.secrets import SecretStore
from protocol import Hyperparameters

RESULTS = Path(__file__).resolve().parent / "results" / "chain_restart.json"


def build_history(folder: Path, transactions: int) -> tuple[float, int]:
    """Send about ``transactions`` BountyBoard transactions; returns (seconds, transactions sent)."""
    conn = EmbeddedChain(folder, accounts=21)
    people = dev_accounts(conn, 20)
    registry = DeploymentRegistry(folder / "deployments.json")
    secrets = SecretStore(folder / "secrets")
    # history in chain time ten days ahead, so the replay below can give every block its timestamp
    conn.advance_time(10 * 86400)
    started = time.perf_counter()
    deploy_board(conn, people[0], registry)
    board: BountyBoardClient = open_board(conn, registry=registry, secrets=secrets)
    sent = 1
    while sent < transactions:
        s, r, e = board.deadlines_from_now(300, 300, 300)
        bounty_id, _ = board.create_bounty(
            people[0],
            manifest_digest=b"\1" * 32,
            test_data_digest=b"\2" * 32,
            reward=10**18,
            min_accuracy_ppm=1,
            sequence_length=60,
            future_period=3,
            submission_deadline=s,
            reveal_deadline=r,
            evaluation_deadline=e,
        )
        sent += 1
        for person in people[1:]:
            if sent >= transactions:
                break
            board.commit(person, bounty_id, Hyperparameters())
            sent += 1
        conn.set_next_timestamp(s)
        conn.mine()
        for person in people[1:]:
            if sent >= transactions:
                break
            board.reveal(person, bounty_id)
            sent += 1
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, sent


def reopen(folder: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    conn = EmbeddedChain(folder, accounts=21)
    block = conn.latest_block()
    elapsed = time.perf_counter() - started
    load = conn.journal_load_seconds
    conn.close()
    return elapsed, load, block


def replay(folder: Path, target: Path) -> tuple[float, int]:
    """The baseline: what a transaction journal would do at start (re-execute every block's transactions)."""
    source = EmbeddedChain(folder, accounts=21)
    blocks = []
    for number in range(1, source.latest_block() + 1):
        block = source.w3.eth.get_block(number, full_transactions=True)
        txs = [
            {
                "from": t["from"],
                "to": t["to"],
                "data": t.get("input", t.get("data")),
                "value": t["value"],
                "gas": t["gas"],
            }
            for t in block["transactions"]
        ]
        blocks.append((int(block["timestamp"]), txs))
    source.close()
    fresh = EmbeddedChain(target, accounts=21)
    started = time.perf_counter()
    for timestamp, txs in blocks:
        fresh.set_next_timestamp(timestamp)
        if not txs:
            fresh.mine()
        for tx in txs:
            fresh.w3.eth.send_transaction({k: v for k, v in tx.items() if v is not None})
    elapsed = time.perf_counter() - started
    replayed = fresh.latest_block()
    fresh.close()
    return elapsed, replayed


def main(sizes: list[int]) -> None:
    rows = []
    print(
        f"{'txs':>6} {'blocks':>6} {'journal':>8} {'replay s':>9} {'reopen s':>9} {'replay/reopen':>13}",
        flush=True,
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            build_s, sent = build_history(folder, size)
            journal = (folder / "state.journal").stat().st_size
            reopen_s, load_s, block = reopen(folder)
            replay_s, replayed = replay(folder, folder / "replayed")
            assert replayed == block, (replayed, block)
        row = {
            "transactions": sent,
            "blocks": block,
            "journal_bytes": journal,
            "history_seconds": round(build_s, 3),
            "replay_seconds": round(replay_s, 3),
            "replay_tx_per_second": round(sent / replay_s, 1),
            "reopen_seconds": round(reopen_s, 3),
            "journal_read_seconds": round(load_s, 3),
            "replay_over_reopen": round(replay_s / reopen_s, 1),
        }
        rows.append(row)
        print(
            f"{sent:>6} {block:>6} {journal / 1e6:>7.1f}M {replay_s:>9.2f} {reopen_s:>9.3f} "
            f"{row['replay_over_reopen']:>13.1f}",
            flush=True,
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 500, 1000])
