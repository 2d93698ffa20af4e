"""Gas of every BountyBoard call and of a whole bounty, beside the design it replaces.

Runs on the embedded chain (py-evm, the same in-process chain the old figures were measured on)
with bond 0, for 3 and 20 participants: create, every commit, every reveal, revealTestData,
postScores (one call), finalize, the winner's withdraw. The one-time deploy is reported apart.
Prints a table and writes bench/results/gas.json.

    .venv/bin/python bench/gas.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chain import connect
from chain.compile import load_artifact
from settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "gas.json"

# The replaced design (one contract per bounty, plaintext submissions, one tx per accuracy),
# measured on the same in-process chain for one bounty with 20 participants.
OLD = {
    "initialization": 456_089,
    "submission_each": 189_000,
    "accuracy_report_each": [26_000, 51_000],
    "finalize": 82_020,
    "whole_flow_20_without_deploy": 4_957_923,
}
TARGETS = {
    "commit_plus_reveal_per_participant": 95_000,
    "post_scores_per_participant_20": 8_000,
    "whole_flow_20": 2_350_000,
}
HP = (2, 64, 1, 0, 0, 200, 1000)
# Explicit gas: transactions are mined at exact chain times, without estimating first.
GAS = 3_000_000


def _gas(w3: Any, tx_hash: bytes) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction {tx_hash.hex()} reverted")
    return int(receipt["gasUsed"])


def run_flow(chain: Any, board: Any, participants: int) -> dict[str, Any]:
    """One bounty from creation to the winner's withdraw; returns the gas of each call."""
    w3 = chain.w3
    accounts = chain.accounts()
    owner, people = accounts[0], accounts[1 : 1 + participants]
    now = chain.latest_timestamp()
    test_digest, test_salt = b"\x11" * 32, b"\x22" * 32
    commitment = w3.keccak(w3.codec.encode(["bytes32", "bytes32"], [test_digest, test_salt]))
    deadlines = (now + 1000, now + 2000, now + 3000)
    create_tx = board.functions.createBounty(
        b"\x33" * 32, commitment, 500_000, 60, 3, *deadlines, 0
    ).transact({"from": owner, "value": 10**18, "gas": GAS})
    gas: dict[str, Any] = {"createBounty": _gas(w3, create_tx)}
    bounty = board.functions.bountyCount().call()

    salts = [os.urandom(32) for _ in people]
    gas["commit"] = []
    for person, salt in zip(people, salts, strict=True):
        c = board.functions.commitmentOf(bounty, person, HP, salt).call()
        gas["commit"].append(
            _gas(w3, board.functions.commit(bounty, c).transact({"from": person, "gas": GAS}))
        )

    chain.set_next_timestamp(deadlines[0])
    gas["reveal"] = []
    for person, salt in zip(people, salts, strict=True):
        gas["reveal"].append(
            _gas(w3, board.functions.reveal(bounty, HP, salt).transact({"from": person, "gas": GAS}))
        )

    chain.set_next_timestamp(deadlines[1])  # the test data opens the evaluation window
    tx = board.functions.revealTestData(bounty, test_digest, test_salt).transact({"from": owner, "gas": GAS})
    gas["revealTestData"] = _gas(w3, tx)
    scores = [600_000 + 1000 * i for i in range(len(people))]
    tx = board.functions.postScores(bounty, people, scores, b"\x44" * 32).transact(
        {"from": owner, "gas": GAS}
    )
    gas["postScores"] = _gas(w3, tx)
    gas["finalize"] = _gas(w3, board.functions.finalize(bounty).transact({"from": owner, "gas": GAS}))
    winner = people[-1]
    gas["withdraw"] = _gas(w3, board.functions.withdraw().transact({"from": winner, "gas": GAS}))
    if board.functions.leaderOf(bounty).call()[0] != winner:
        raise RuntimeError("the benchmark's winner is not the leader; the flow is wrong")

    n = len(people)
    per_participant = [c + r for c, r in zip(gas["commit"], gas["reveal"], strict=True)]
    total = (
        gas["createBounty"]
        + sum(per_participant)
        + gas["revealTestData"]
        + gas["postScores"]
        + gas["finalize"]
        + gas["withdraw"]
    )
    return {
        "participants": n,
        "calls": gas,
        "commit_plus_reveal_mean": sum(per_participant) / n,
        "commit_plus_reveal_max": max(per_participant),
        "post_scores_per_participant": gas["postScores"] / n,
        "whole_flow": total,
    }


def main() -> int:
    artifact = load_artifact()
    with tempfile.TemporaryDirectory(prefix="hb-gas-") as data_dir:
        chain = connect(Settings(data_dir=Path(data_dir), chain="embedded", participants=20))
        try:
            w3 = chain.w3
            deployer = chain.accounts()[0]
            factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
            deploy_receipt = w3.eth.wait_for_transaction_receipt(
                factory.constructor().transact({"from": deployer})
            )
            board = w3.eth.contract(address=deploy_receipt["contractAddress"], abi=artifact["abi"])
            flows = {str(n): run_flow(chain, board, n) for n in (3, 20)}
        finally:
            chain.close()

    f20 = flows["20"]
    ratios = {
        "whole_flow_20_vs_old": f20["whole_flow"] / OLD["whole_flow_20_without_deploy"],
        "whole_flow_20_vs_target": f20["whole_flow"] / TARGETS["whole_flow_20"],
        "commit_plus_reveal_max_vs_target": f20["commit_plus_reveal_max"]
        / TARGETS["commit_plus_reveal_per_participant"],
        "commit_plus_reveal_mean_vs_old_submission": f20["commit_plus_reveal_mean"] / OLD["submission_each"],
        "post_scores_per_participant_vs_target": f20["post_scores_per_participant"]
        / TARGETS["post_scores_per_participant_20"],
        "post_scores_per_participant_vs_old_report_low": f20["post_scores_per_participant"]
        / OLD["accuracy_report_each"][0],
        "create_vs_old_initialization": f20["calls"]["createBounty"] / OLD["initialization"],
        "finalize_vs_old": f20["calls"]["finalize"] / OLD["finalize"],
    }
    result = {
        "chain": "embedded (py-evm, eth-tester)",
        "compiler": artifact["compiler"]["version"],
        "settings": artifact["settings"],
        "bond": 0,
        "deploy": int(deploy_receipt["gasUsed"]),
        "flows": flows,
        "old_design": OLD,
        "targets": TARGETS,
        "ratios": ratios,
        "meets_targets": {
            "commit_plus_reveal": f20["commit_plus_reveal_max"]
            <= TARGETS["commit_plus_reveal_per_participant"],
            "post_scores": f20["post_scores_per_participant"] <= TARGETS["post_scores_per_participant_20"],
            "whole_flow": f20["whole_flow"] <= TARGETS["whole_flow_20"],
        },
    }
    _print(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(RESULTS.parents[2])}")
    return 0 if all(result["meets_targets"].values()) else 1


def _print(result: dict[str, Any]) -> None:
    print(f"BountyBoard gas on the embedded chain (solc {result['compiler']}, bond 0)")
    print(f"deploy (once per chain): {result['deploy']:,}\n")
    print(f"{'call':<34}{'3 participants':>16}{'20 participants':>17}{'old design':>16}")
    f3, f20 = result["flows"]["3"], result["flows"]["20"]

    def row(name: str, a: float, b: float, old: str = "") -> None:
        print(f"{name:<34}{a:>16,.0f}{b:>17,.0f}{old:>16}")

    row(
        "createBounty",
        f3["calls"]["createBounty"],
        f20["calls"]["createBounty"],
        f"{OLD['initialization']:,}",
    )
    for call in ("commit", "reveal"):
        for label, fn in (("first", lambda v: v[0]), ("mean", lambda v: sum(v) / len(v)), ("max", max)):
            row(f"{call} ({label})", fn(f3["calls"][call]), fn(f20["calls"][call]))
    row(
        "commit + reveal per participant (mean)",
        f3["commit_plus_reveal_mean"],
        f20["commit_plus_reveal_mean"],
        f"~{OLD['submission_each']:,}",
    )
    row("commit + reveal per participant (max)", f3["commit_plus_reveal_max"], f20["commit_plus_reveal_max"])
    row("revealTestData", f3["calls"]["revealTestData"], f20["calls"]["revealTestData"])
    row("postScores (one call)", f3["calls"]["postScores"], f20["calls"]["postScores"])
    lo, hi = OLD["accuracy_report_each"]
    row(
        "postScores per participant",
        f3["post_scores_per_participant"],
        f20["post_scores_per_participant"],
        f"{lo:,}-{hi:,}",
    )
    row("finalize", f3["calls"]["finalize"], f20["calls"]["finalize"], f"{OLD['finalize']:,}")
    row("withdraw (winner)", f3["calls"]["withdraw"], f20["calls"]["withdraw"])
    row(
        "whole flow (no deploy)",
        f3["whole_flow"],
        f20["whole_flow"],
        f"{OLD['whole_flow_20_without_deploy']:,}",
    )
    print("\ntargets (20 participants):")
    t = result["targets"]
    print(
        f"  commit + reveal <= {t['commit_plus_reveal_per_participant']:,}: "
        f"max {f20['commit_plus_reveal_max']:,}"
    )
    print(
        f"  postScores per participant <= {t['post_scores_per_participant_20']:,}: "
        f"{f20['post_scores_per_participant']:,.0f}"
    )
    print(f"  whole flow <= {t['whole_flow_20']:,}: {f20['whole_flow']:,}")
    print("\nratios:")
    for name, value in result["ratios"].items():
        print(f"  {name:<48}{value:>8.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
