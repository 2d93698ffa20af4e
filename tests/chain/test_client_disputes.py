"""The dispute part of the chain client (set_arbitration, challenge_score, rulings, timeout, views) and
the dev chains' arbitrator (chain.arbitrator), against the real contracts on the embedded chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain import connect
from chain.arbitrator import ArbitratorClient, deploy_arbitrator, open_arbitrator
from chain.client import RULING_TIMEOUT, DisputeStatus, Outcome, Phase
from chain.deployments import DeploymentRegistry
from chain.errors import ContractNotDeployed, ContractRevert
from chain.providers import DevChain
from protocol import Hyperparameters
from settings import Settings
from tests.chain.fixtures_chain import BOND, REWARD, Board, deployed, digest, go_to, index_of, new_bounty

HP = Hyperparameters(lstm_layers=1, lstm_units=32, learning_rate_micro=500)
FEE = 10**15
OWNER_BOND = 10**17
CHALLENGE_BOND = 5 * 10**16
PERIOD = 600


@pytest.fixture
def board(isolated_data_dir) -> Iterator[Board]:
    conn = connect(Settings(data_dir=isolated_data_dir, chain="embedded"))
    assert isinstance(conn, DevChain)
    yield deployed(conn)
    conn.close()


def _arbitrated(board: Board) -> tuple[int, ArbitratorClient]:
    """A bounty with arbitration, two revealed submissions, scores posted; the arbitrator is people[3]'s."""
    arbiter = board.people[3]
    arbitrator = open_arbitrator(board.conn, arbiter, deploy_if_never_deployed=True, arbitration_cost_wei=FEE)
    bounty_id = new_bounty(board)
    board.client.set_arbitration(
        board.owner, bounty_id, arbitrator.address, OWNER_BOND, CHALLENGE_BOND, PERIOD
    )
    for person in board.people[:2]:
        board.client.commit(person, bounty_id, HP)
    go_to(board, bounty_id, "submission")
    for person in board.people[:2]:
        board.client.reveal(person, bounty_id)
    go_to(board, bounty_id, "reveal")
    board.client.reveal_test_data(board.owner, bounty_id)
    scores = {board.people[0].address: 400_000, board.people[1].address: 600_000}
    board.client.post_scores(board.owner, bounty_id, scores, digest("report"))
    return bounty_id, arbitrator


def test_a_winning_challenge_through_the_client(board: Board, tmp_path) -> None:
    bounty_id, arbitrator = _arbitrated(board)
    terms = board.client.arbitration(bounty_id)
    assert terms is not None and terms.arbitrator == arbitrator.address
    assert (terms.owner_bond, terms.challenge_bond, terms.challenge_period) == (
        OWNER_BOND,
        CHALLENGE_BOND,
        PERIOD,
    )
    assert terms.challenge_deadline == terms.last_scores_at + PERIOD > 0 and not terms.voided
    assert (
        board.client.challenge_cost(bounty_id)
        == CHALLENGE_BOND + FEE
        == CHALLENGE_BOND + arbitrator.arbitration_cost()
    )

    challenger, challenged = board.people[0], board.people[1]
    preview = board.client.preview(
        "challengeScore", (bounty_id, challenged.address, 300_000), CHALLENGE_BOND + FEE, challenger.address
    )
    assert preview.value == CHALLENGE_BOND + FEE and preview.function == "challengeScore"
    dispute_id, _ = board.client.challenge_score(challenger, bounty_id, challenged.address, 300_000)
    dispute = board.client.dispute(arbitrator.address, dispute_id)
    assert (dispute.bounty_id, dispute.challenger, dispute.participant) == (
        bounty_id,
        challenger.address,
        challenged.address,
    )
    assert (dispute.posted_accuracy_ppm, dispute.claimed_accuracy_ppm, dispute.ruled) == (
        600_000,
        300_000,
        False,
    )
    assert dispute.timeout_at == dispute.created_at + RULING_TIMEOUT and dispute.state == DisputeStatus.OPEN
    assert board.client.phase(bounty_id) == Phase.EVALUATION  # a dispute is open

    arbiter = board.people[3]
    assert arbitrator.owner() == arbiter.address
    assert arbitrator.preview_ruling(arbiter.address, dispute_id, 1).function == "giveRuling"
    with pytest.raises(ContractRevert, match="Only the arbitrator's owner"):
        arbitrator.give_ruling(board.owner, dispute_id, 1)
    arbitrator.give_ruling(arbiter, dispute_id, 1)
    ruled = board.client.dispute(arbitrator.address, dispute_id)
    assert ruled.ruled and ruled.challenger_won and ruled.status == "ruled: the challenger is right"
    with pytest.raises(ContractRevert, match=r"already (ruled|closed)") as refused:
        arbitrator.give_ruling(arbiter, dispute_id, 2)  # the arbitrator refuses it first, by its own rule
    assert refused.value.error_name in {"AlreadySolved", "DisputeAlreadyRuled"}

    assert board.client.arbitration(bounty_id).voided  # type: ignore[union-attr]
    assert board.client.phase(bounty_id) == Phase.FINALIZABLE  # a stall split, before the evaluation deadline
    assert board.client.pending_withdrawal(challenger.address) == BOND + CHALLENGE_BOND + OWNER_BOND
    board.client.finalize(board.people[2], bounty_id)
    assert board.client.bounty(bounty_id).outcome == Outcome.STALL_SPLIT

    names = [e.name for e in index_of(board, tmp_path).events(bounty_id)]
    for name in ("ArbitrationSet", "ScoreChallenged", "DisputeRuled", "BondCredited", "Finalized"):
        assert name in names, name


def test_the_timeout_rule_through_the_client(board: Board) -> None:
    bounty_id, arbitrator = _arbitrated(board)
    dispute_id, _ = board.client.challenge_score(board.people[1], bounty_id, board.people[0].address, 700_000)
    with pytest.raises(ContractRevert, match="30 days after it was created") as early:
        board.client.timeout_dispute(board.people[2], bounty_id, dispute_id)
    assert early.value.error_name == "RulingNotTimedOut"
    board.conn.set_next_timestamp(board.client.dispute(arbitrator.address, dispute_id).timeout_at)
    board.conn.mine()
    board.client.timeout_dispute(board.people[2], bounty_id, dispute_id)
    closed = board.client.dispute(arbitrator.address, dispute_id)
    assert closed.state == DisputeStatus.TIMED_OUT and closed.ruling == 1 and closed.challenger_won


def test_refusals_of_disputes_are_sentences(board: Board) -> None:
    bounty_id = new_bounty(board)
    assert board.client.arbitration(bounty_id) is None
    with pytest.raises(ContractRevert, match="is not a contract") as refused:
        board.client.set_arbitration(board.owner, bounty_id, board.people[0].address, OWNER_BOND, 0, PERIOD)
    assert refused.value.error_name == "ArbitratorNotContract"
    with pytest.raises(Exception, match="names no arbitrator"):
        board.client.challenge_cost(bounty_id)


def test_the_arbitrator_is_remembered_per_chain(board: Board, isolated_data_dir) -> None:
    registry = DeploymentRegistry.open()
    with pytest.raises(ContractNotDeployed, match="SimpleArbitrator is not deployed"):
        open_arbitrator(board.conn, registry=registry)
    first = open_arbitrator(board.conn, board.people[3], deploy_if_never_deployed=True, registry=registry)
    again = open_arbitrator(board.conn, board.people[3], deploy_if_never_deployed=True, registry=registry)
    assert again.address == first.address
    assert registry.get(board.conn.chain_id).address == board.client.address  # the board's entry is intact
    replacement = deploy_arbitrator(board.conn, board.people[3], 0, registry)
    assert replacement.address != first.address and replacement.arbitration_cost() == 0
    assert open_arbitrator(board.conn, registry=registry).address == replacement.address
    assert REWARD  # the fixtures' reward is what the bounties escrow
