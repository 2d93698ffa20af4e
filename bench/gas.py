"""Gas of every BountyBoard call and of a whole bounty, beside the design it replaces.

Runs on the embedded chain (py-evm, the same in-process chain the old figures were measured on)
with bond 0, for 3 and 20 participants: create, every commit, every reveal, revealTestData,
postScores (one call), finalize, the winner's withdraw. The one-time deploy is reported apart.
Disputes: the same 3-participant flow on a bounty with arbitration set (SimpleArbitrator), whose
commits and reveals must cost exactly what they cost without it (participants pay nothing for the
option of a dispute), then one challenge and its ruling. Prints a table and writes
bench/results/gas.json with the git commit it measured.

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

from bench.provenance import git_commit
from chain import connect
from chain.compile import ARBITRATOR_ARTIFACT_PATH, load_artifact
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


def _execution_gas(w3: Any, tx_hash: bytes) -> int:
    """Gas used less the intrinsic part (21,000 plus 4 per zero and 16 per other calldata byte): what the
    contract's code costs, without the noise random salts and commitments put into the calldata."""
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    data = bytes(w3.eth.get_transaction(tx_hash)["input"])
    zeros = data.count(0)
    return int(receipt["gasUsed"]) - 21_000 - 4 * zeros - 16 * (len(data) - zeros)


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
    execution = []
    for person, salt in zip(people, salts, strict=True):
        c = board.functions.commitmentOf(bounty, person, HP, salt).call()
        tx = board.functions.commit(bounty, c).transact({"from": person, "gas": GAS})
        gas["commit"].append(_gas(w3, tx))
        execution.append(_execution_gas(w3, tx))

    chain.set_next_timestamp(deadlines[0])
    gas["reveal"] = []
    for i, (person, salt) in enumerate(zip(people, salts, strict=True)):
        tx = board.functions.reveal(bounty, HP, salt).transact({"from": person, "gas": GAS})
        gas["reveal"].append(_gas(w3, tx))
        execution[i] += _execution_gas(w3, tx)

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
        "commit_plus_reveal_execution": execution,  # per participant, calldata left out
        "post_scores_per_participant": gas["postScores"] / n,
        "whole_flow": total,
    }


def run_dispute_flow(
    chain: Any, board: Any, arbitrator: Any, arbiter: str, participants: int
) -> dict[str, Any]:
    """The happy path with arbitration set (commits and reveals), then one challenge that wins."""
    w3 = chain.w3
    accounts = chain.accounts()
    owner, people = accounts[0], accounts[1 : 1 + participants]
    now = chain.latest_timestamp()
    test_digest, test_salt = b"\x11" * 32, b"\x22" * 32
    commitment = w3.keccak(w3.codec.encode(["bytes32", "bytes32"], [test_digest, test_salt]))
    deadlines = (now + 1000, now + 2000, now + 3000)
    fn = board.functions
    _gas(
        w3,
        fn.createBounty(b"\x33" * 32, commitment, 500_000, 60, 3, *deadlines, 0).transact(
            {"from": owner, "value": 10**18, "gas": GAS}
        ),
    )
    bounty = fn.bountyCount().call()
    challenge_bond = 5 * 10**16
    gas: dict[str, Any] = {
        "setArbitration": _gas(
            w3,
            fn.setArbitration(bounty, arbitrator.address, challenge_bond, 600).transact(
                {"from": owner, "value": 10**17, "gas": GAS}
            ),
        )
    }
    salts = [os.urandom(32) for _ in people]
    commits = [
        fn.commit(bounty, fn.commitmentOf(bounty, p, HP, s).call()).transact({"from": p, "gas": GAS})
        for p, s in zip(people, salts, strict=True)
    ]
    chain.set_next_timestamp(deadlines[0])
    reveals = [
        fn.reveal(bounty, HP, s).transact({"from": p, "gas": GAS}) for p, s in zip(people, salts, strict=True)
    ]
    gas["commit"] = [_gas(w3, tx) for tx in commits]
    gas["reveal"] = [_gas(w3, tx) for tx in reveals]
    execution = [_execution_gas(w3, c) + _execution_gas(w3, r) for c, r in zip(commits, reveals, strict=True)]
    chain.set_next_timestamp(deadlines[1])
    _gas(w3, fn.revealTestData(bounty, test_digest, test_salt).transact({"from": owner, "gas": GAS}))
    scores = [600_000 + 1000 * i for i in range(len(people))]
    gas["postScores"] = _gas(
        w3, fn.postScores(bounty, people, scores, b"\x44" * 32).transact({"from": owner, "gas": GAS})
    )
    value = challenge_bond + arbitrator.functions.arbitrationCost(b"").call()
    tx = fn.challengeScore(bounty, people[-1], 1000).transact({"from": people[0], "value": value, "gas": GAS})
    gas["challengeScore"] = _gas(w3, tx)
    dispute_id = arbitrator.functions.disputeCount().call() - 1
    gas["giveRuling"] = _gas(
        w3, arbitrator.functions.giveRuling(dispute_id, 1).transact({"from": arbiter, "gas": GAS})
    )
    gas["finalize"] = _gas(w3, fn.finalize(bounty).transact({"from": owner, "gas": GAS}))
    per_participant = [c + r for c, r in zip(gas["commit"], gas["reveal"], strict=True)]
    return {
        "participants": len(people),
        "calls": gas,
        "commit_plus_reveal_mean": sum(per_participant) / len(people),
        "commit_plus_reveal_execution": execution,  # per participant, calldata left out
        "challenge_plus_rule": gas["challengeScore"] + gas["giveRuling"],
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
            judge = load_artifact(ARBITRATOR_ARTIFACT_PATH)
            arbiter = chain.accounts()[-1]
            receipt = w3.eth.wait_for_transaction_receipt(
                w3.eth.contract(abi=judge["abi"], bytecode=judge["bytecode"])
                .constructor(10**15)
                .transact({"from": arbiter})
            )
            arbitrator = w3.eth.contract(address=receipt["contractAddress"], abi=judge["abi"])
            disputes = run_dispute_flow(chain, board, arbitrator, arbiter, 3)
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
    plain = flows["3"]
    disputes["commit_plus_reveal_without_arbitration_mean"] = plain["commit_plus_reveal_mean"]
    disputes["commit_plus_reveal_with_vs_without"] = (
        disputes["commit_plus_reveal_mean"] / plain["commit_plus_reveal_mean"]
    )
    # the same code runs: equal gas once the calldata (random salts and commitments) is left out
    disputes["participants_pay_nothing_extra"] = (
        disputes["commit_plus_reveal_execution"] == plain["commit_plus_reveal_execution"]
    )
    result = {
        "git_commit": git_commit("contracts"),
        "chain": "embedded (py-evm, eth-tester)",
        "compiler": artifact["compiler"]["version"],
        "settings": artifact["settings"],
        "bond": 0,
        "deploy": int(deploy_receipt["gasUsed"]),
        "flows": flows,
        "disputes": disputes,
        "old_design": OLD,
        "targets": TARGETS,
        "ratios": ratios,
        "meets_targets": {
            "commit_plus_reveal": f20["commit_plus_reveal_max"]
            <= TARGETS["commit_plus_reveal_per_participant"],
            "post_scores": f20["post_scores_per_participant"] <= TARGETS["post_scores_per_participant_20"],
            "whole_flow": f20["whole_flow"] <= TARGETS["whole_flow_20"],
            "disputes_cost_participants_nothing": disputes["participants_pay_nothing_extra"],
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
    d = result["disputes"]
    print(f"\ndisputes ({d['participants']} participants, arbitration set):")
    print(f"  setArbitration (owner, once): {d['calls']['setArbitration']:,}")
    print(
        f"  commit + reveal per participant (mean): with arbitration {d['commit_plus_reveal_mean']:,.0f}, "
        f"without {d['commit_plus_reveal_without_arbitration_mean']:,.0f}, "
        f"ratio {d['commit_plus_reveal_with_vs_without']:.4f}; the same without calldata (random salts): "
        f"{d['participants_pay_nothing_extra']}"
    )
    print(f"  postScores (one call): {d['calls']['postScores']:,}")
    print(
        f"  challengeScore {d['calls']['challengeScore']:,} + giveRuling (runs the board's rule) "
        f"{d['calls']['giveRuling']:,} = {d['challenge_plus_rule']:,}; "
        f"finalize (stall split) {d['calls']['finalize']:,}"
    )
    print("\nratios:")
    for name, value in result["ratios"].items():
        print(f"  {name:<48}{value:>8.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
