"""Gas budgets from issue 2 as regression tests (gas is deterministic; this is not a timing test).

Runs the benchmark's own flow (bench/gas.py) on a fresh embedded chain with 20 participants, bond 0,
and its dispute flow (3 participants on a bounty with arbitration set) beside the plain one.
"""

from __future__ import annotations

import pytest

from bench.gas import TARGETS, run_dispute_flow, run_flow
from chain import connect
from chain.compile import ARBITRATOR_ARTIFACT_PATH, load_artifact
from settings import Settings


@pytest.fixture(scope="module")
def flow20(tmp_path_factory):
    chain = connect(Settings(data_dir=tmp_path_factory.mktemp("gas"), chain="embedded", participants=20))
    try:
        artifact = load_artifact()
        factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor().build_transaction({"from": chain.accounts()[0], "gas": 8_000_000})
        receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_transaction(tx))
        board = chain.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
        yield run_flow(chain, board, 20)
    finally:
        chain.close()


def test_commit_plus_reveal_within_budget_for_every_participant(flow20):
    calls = flow20["calls"]
    worst = max(c + r for c, r in zip(calls["commit"], calls["reveal"], strict=True))
    assert worst <= TARGETS["commit_plus_reveal_per_participant"], worst


def test_post_scores_for_20_within_budget(flow20):
    assert flow20["calls"]["postScores"] <= 20 * TARGETS["post_scores_per_participant_20"]


def test_whole_flow_for_20_within_budget(flow20):
    assert flow20["whole_flow"] <= TARGETS["whole_flow_20"]


def test_first_revealer_pays_what_the_others_pay(flow20):
    """Packing the first revealer beside the reveal count keeps the first reveal from costing more."""
    reveals = flow20["calls"]["reveal"]
    assert max(reveals) - min(reveals) < 500


@pytest.fixture(scope="module")
def with_and_without_arbitration(tmp_path_factory):
    chain = connect(
        Settings(data_dir=tmp_path_factory.mktemp("gas-disputes"), chain="embedded", participants=5)
    )
    try:
        w3 = chain.w3

        def deploy(artifact, *args, sender=None):
            factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
            tx = factory.constructor(*args).transact(
                {"from": sender or chain.accounts()[0], "gas": 8_000_000}
            )
            address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
            return w3.eth.contract(address=address, abi=artifact["abi"])

        board = deploy(load_artifact())
        arbiter = chain.accounts()[-1]
        arbitrator = deploy(load_artifact(ARBITRATOR_ARTIFACT_PATH), 10**15, sender=arbiter)
        plain = run_flow(chain, board, 3)
        yield plain, run_dispute_flow(chain, board, arbitrator, arbiter, 3)
    finally:
        chain.close()


def test_arbitration_costs_the_participants_nothing(with_and_without_arbitration):
    """The gas rule of disputes: commit and reveal run the same code with arbitration set (calldata, which
    holds random salts, left out)."""
    plain, disputed = with_and_without_arbitration
    assert disputed["commit_plus_reveal_execution"] == plain["commit_plus_reveal_execution"]
    assert disputed["calls"]["challengeScore"] > 0 and disputed["calls"]["giveRuling"] > 0
