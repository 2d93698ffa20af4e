"""Disputes on BountyBoard (ERC-792): the owner's bond, challenges, rulings, the timeout rule, and what
finalize waits for. Run on both chains through the ``board`` fixture, with contracts/SimpleArbitrator.sol
as the arbitrator (its deployer rules with ``giveRuling``, which calls the board's ``rule``)."""

from __future__ import annotations

import pytest
from web3.logs import DISCARD  # the arbitrator's own logs share the receipt

from chain.compile import ARBITRATOR_ARTIFACT_PATH, load_artifact
from tests.chain.conftest import ETH, EVALUATION, FINALIZABLE, FINALIZED, STALL_SPLIT, WINNER_PAID

FEE = 10**15  # the arbitrator's fee per dispute
OWNER_BOND = ETH // 10
CHALLENGE_BOND = ETH // 20
PERIOD = 600
TIMEOUT = 30 * 86400
OPEN, RULED, TIMED_OUT = 1, 2, 3


@pytest.fixture
def arbitrator(board):
    """A SimpleArbitrator deployed by the Arbiter (it rules)."""
    board.arbiter = board.people[-2]
    artifact = load_artifact(ARBITRATOR_ARTIFACT_PATH)
    factory = board.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = board.send(factory.constructor(FEE), board.arbiter)
    return board.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def _arbitrated(board, arbitrator, bond=0, scores=None, people=2):
    """A bounty with arbitration set, `people` participants revealed, test data revealed and `scores`
    posted (default: the first scores 400_000, the second 600_000)."""
    b = board.create(bond=bond)
    board.send(
        board.fn.setArbitration(b.id, arbitrator.address, CHALLENGE_BOND, PERIOD), b.owner, value=OWNER_BOND
    )
    who = board.people[:people]
    for p in who:
        board.commit(b, p)
    for i, p in enumerate(who):
        board.reveal(b, p, at=b.sub if i == 0 else None)
    board.reveal_test_data(b, at=b.rev)
    scores = scores if scores is not None else dict(zip(who, [400_000, 600_000][:people], strict=True))
    if scores:
        board.post_scores(b, scores)
    return b


def _terms(board, b):
    view = board.fn.arbitrationOf(b.id).call()
    names = [
        o["name"]
        for o in board.contract.get_function_by_name("arbitrationOf").abi["outputs"][0]["components"]
    ]
    return dict(zip(names, view, strict=True))


def _dispute(board, arbitrator, dispute_id):
    view = board.fn.disputeOf(arbitrator.address, dispute_id).call()
    names = [
        o["name"] for o in board.contract.get_function_by_name("disputeOf").abi["outputs"][0]["components"]
    ]
    return dict(zip(names, view, strict=True))


def _challenge(board, b, challenger, participant, claimed=300_000, value=CHALLENGE_BOND + FEE, at=None):
    receipt = board.send(board.fn.challengeScore(b.id, participant, claimed), challenger, value=value, at=at)
    (event,) = board.contract.events.ScoreChallenged().process_receipt(receipt, errors=DISCARD)
    return event["args"]["disputeId"]


def _rule(board, arbitrator, dispute_id, ruling):
    return board.send(arbitrator.functions.giveRuling(dispute_id, ruling), board.arbiter)


def test_arbitration_terms_read_back(board, arbitrator):
    b = _arbitrated(board, arbitrator)
    terms = _terms(board, b)
    assert (terms["arbitrator"], terms["ownerBond"], terms["challengeBond"], terms["challengePeriod"]) == (
        arbitrator.address,
        OWNER_BOND,
        CHALLENGE_BOND,
        PERIOD,
    )
    assert terms["lastScoresAt"] > b.rev - 1 and terms["challengeDeadline"] == terms["lastScoresAt"] + PERIOD
    assert (terms["openDisputes"], terms["voided"], terms["ownerBondPaid"]) == (0, False, False)
    plain = board.create()
    assert set(_terms(board, plain).values()) <= {0, "0x0000000000000000000000000000000000000000"}


def test_a_winning_challenge_voids_the_scores_and_pays_the_challenger(board, arbitrator):
    b = _arbitrated(board, arbitrator, bond=ETH // 1000)
    low, high = board.people[:2]
    dispute_id = _challenge(board, b, low, high, claimed=300_000)
    dispute = _dispute(board, arbitrator, dispute_id)
    assert (dispute["bountyId"], dispute["challenger"], dispute["participant"]) == (b.id, low, high)
    assert (dispute["postedAccuracyPpm"], dispute["claimedAccuracyPpm"], dispute["status"]) == (
        600_000,
        300_000,
        OPEN,
    )
    assert dispute["timeoutAt"] == dispute["createdAt"] + TIMEOUT
    assert board.balance(arbitrator.address) == FEE  # the fee went to the arbitrator
    assert board.phase(b) == EVALUATION  # everyone is scored, but a dispute is open

    receipt = _rule(board, arbitrator, dispute_id, 1)
    (ruling,) = board.contract.events.Ruling().process_receipt(receipt, errors=DISCARD)
    assert (ruling["args"]["_arbitrator"], ruling["args"]["_disputeID"], ruling["args"]["_ruling"]) == (
        arbitrator.address,
        dispute_id,
        1,
    )
    (ruled,) = board.contract.events.DisputeRuled().process_receipt(receipt, errors=DISCARD)
    assert (ruled["args"]["bountyId"], ruled["args"]["ruling"]) == (b.id, 1)
    assert _terms(board, b)["voided"] and _terms(board, b)["ownerBondPaid"]
    assert _dispute(board, arbitrator, dispute_id)["status"] == RULED
    # the challenger: its commit bond (revealed) + its challenge bond back + the owner's bond
    assert board.pending(low) == b.bond + CHALLENGE_BOND + OWNER_BOND
    board.expect("ScoresVoided", board.fn.challengeScore(b.id, high, 1), low, value=CHALLENGE_BOND + FEE)

    assert board.phase(b) == FINALIZABLE  # before the evaluation deadline and the challenge period's end
    board.finalize(b)
    view = board.bounty(b)
    assert (view["phase"], view["outcome"]) == (FINALIZED, STALL_SPLIT)
    for p in (low, high):
        board.send(board.fn.claimShare(b.id), p)
    assert board.pending(high) == b.bond + b.reward // 2
    assert board.pending(b.owner) == 0  # the owner got no bond back and no refund


def test_only_the_first_winner_takes_the_owners_bond(board, arbitrator):
    b = _arbitrated(board, arbitrator)
    low, high = board.people[:2]
    first = _challenge(board, b, low, high)
    second = _challenge(board, b, high, low, claimed=900_000)
    assert _terms(board, b)["openDisputes"] == 2
    _rule(board, arbitrator, first, 1)
    _rule(board, arbitrator, second, 1)
    assert board.pending(low) == CHALLENGE_BOND + OWNER_BOND
    assert board.pending(high) == CHALLENGE_BOND  # its own bond back only: the owner's bond is paid once


@pytest.mark.parametrize("ruling", [2, 0], ids=["score-stands", "refused"])
def test_a_losing_challenge_pays_the_challenge_bond_to_the_owner(board, arbitrator, ruling):
    b = _arbitrated(board, arbitrator)
    low, high = board.people[:2]
    dispute_id = _challenge(board, b, low, high)
    _rule(board, arbitrator, dispute_id, ruling)
    dispute = _dispute(board, arbitrator, dispute_id)
    assert (dispute["status"], dispute["ruling"]) == (RULED, ruling)
    assert board.pending(b.owner) == CHALLENGE_BOND and board.pending(low) == 0
    assert not _terms(board, b)["voided"]
    # the scores stand: after the challenge period the winner is paid and the owner's bond comes back
    board.finalize(b, at=_terms(board, b)["challengeDeadline"])
    view = board.bounty(b)
    assert (view["outcome"], view["leader"]) == (WINNER_PAID, high)
    assert board.pending(high) == b.reward
    assert board.pending(b.owner) == CHALLENGE_BOND + OWNER_BOND


def test_the_owners_bond_comes_back_at_finalize_when_nobody_won(board, arbitrator):
    b = _arbitrated(board, arbitrator)
    deadline = _terms(board, b)["challengeDeadline"]
    board.finalize(b, at=deadline)
    assert board.pending(b.owner) == OWNER_BOND and _terms(board, b)["ownerBondPaid"]


def test_the_owners_bond_comes_back_at_cancel(board, arbitrator):
    b = board.create()
    board.send(
        board.fn.setArbitration(b.id, arbitrator.address, CHALLENGE_BOND, PERIOD), b.owner, value=OWNER_BOND
    )
    board.send(board.fn.cancel(b.id), b.owner)
    assert board.pending(b.owner) == b.reward + OWNER_BOND


def test_the_timeout_rule(board, arbitrator):
    """An arbitrator that never rules: 30 days after the dispute, anyone closes it as ruling 1."""
    b = _arbitrated(board, arbitrator)
    low, high = board.people[:2]
    dispute_id = _challenge(board, b, low, high)
    until = _dispute(board, arbitrator, dispute_id)["timeoutAt"]
    stranger = board.people[5]
    early = board.expect(
        "RulingNotTimedOut", board.fn.timeoutDispute(b.id, dispute_id), stranger, at=until - 1
    )
    assert (early.args["until"], early.args["disputeId"]) == (until, dispute_id)
    board.expect("DisputeOpen", board.fn.finalize(b.id), stranger)
    receipt = board.send(board.fn.timeoutDispute(b.id, dispute_id), stranger, at=until + 1)
    (event,) = board.contract.events.DisputeTimedOut().process_receipt(receipt, errors=DISCARD)
    assert (event["args"]["bountyId"], event["args"]["disputeId"]) == (b.id, dispute_id)
    dispute = _dispute(board, arbitrator, dispute_id)
    assert (dispute["status"], dispute["ruling"]) == (TIMED_OUT, 1)
    assert board.pending(low) == CHALLENGE_BOND + OWNER_BOND and _terms(board, b)["voided"]
    # a second timeout is refused (a late ruling too: next test)
    board.expect("DisputeAlreadyRuled", board.fn.timeoutDispute(b.id, dispute_id), stranger)
    board.finalize(b)
    assert board.bounty(b)["outcome"] == STALL_SPLIT


def test_a_late_ruling_after_the_timeout_is_refused_by_the_board(board, arbitrator):
    """The board itself refuses the arbitrator's ``rule`` once the timeout rule closed the dispute."""
    b = _arbitrated(board, arbitrator)
    low, high = board.people[:2]
    dispute_id = _challenge(board, b, low, high)
    until = _dispute(board, arbitrator, dispute_id)["timeoutAt"]
    board.send(board.fn.timeoutDispute(b.id, dispute_id), low, at=until)
    # the arbitrator's own record is still open, so giveRuling reaches the board's rule, which refuses
    reverted = board.reverts(arbitrator.functions.giveRuling(dispute_id, 2), board.arbiter)
    assert reverted.name == "DisputeAlreadyRuled"


def test_challenges_refused_for_a_wrong_value_a_non_revealer_or_no_score(board, arbitrator):
    b = _arbitrated(board, arbitrator, people=3, scores={})
    a, c, d = board.people[:3]
    board.post_scores(b, {a: 400_000, c: 600_000})
    call = board.fn.challengeScore(b.id, c, 300_000)
    wrong = board.expect("WrongChallengeValue", call, a, value=CHALLENGE_BOND)
    assert (wrong.args["expected"], wrong.args["sent"]) == (CHALLENGE_BOND + FEE, CHALLENGE_BOND)
    board.expect("WrongChallengeValue", call, a, value=CHALLENGE_BOND + FEE + 1)
    stranger = board.people[5]
    refused = board.expect("ChallengerDidNotReveal", call, stranger, value=CHALLENGE_BOND + FEE)
    assert refused.args["challenger"] == stranger
    board.expect("ChallengerDidNotReveal", call, b.owner, value=CHALLENGE_BOND + FEE)
    board.expect("NoPostedScore", board.fn.challengeScore(b.id, d, 1), a, value=CHALLENGE_BOND + FEE)
    board.expect(
        "AccuracyOutOfRange", board.fn.challengeScore(b.id, c, 1_000_001), a, value=CHALLENGE_BOND + FEE
    )
    plain = board.create()
    board.expect("NoArbitration", board.fn.challengeScore(plain.id, c, 1), a, value=FEE)
    assert board.balance(arbitrator.address) == 0  # nothing reached the arbitrator


def test_challenges_close_after_the_challenge_period_of_the_latest_scores(board, arbitrator):
    b = _arbitrated(board, arbitrator, people=2, scores={})
    a, c = board.people[:2]
    board.post_scores(b, {a: 400_000})
    first = _terms(board, b)["lastScoresAt"]
    board.post_scores(b, {c: 600_000}, at=first + 100)  # a later batch restarts the period for every score
    end = first + 100 + PERIOD
    assert _terms(board, b)["challengeDeadline"] == end
    _challenge(board, b, c, a, at=end - 1)
    over = board.expect(
        "ChallengePeriodOver", board.fn.challengeScore(b.id, c, 1), a, value=CHALLENGE_BOND + FEE, at=end
    )
    assert over.args["endedAt"] == end


def test_finalize_waits_for_the_challenge_period_and_for_open_disputes(board, arbitrator):
    b = _arbitrated(board, arbitrator)
    low, high = board.people[:2]
    end = _terms(board, b)["challengeDeadline"]
    assert board.phase(b) == EVALUATION  # everyone is scored, but scores can still be challenged
    early = board.expect("ChallengePeriodNotOver", board.fn.finalize(b.id), low)
    assert early.args["endsAt"] == end
    dispute_id = _challenge(board, b, low, high, at=end - 1)
    refused = board.expect("DisputeOpen", board.fn.finalize(b.id), low, at=end)
    assert refused.args["openDisputes"] == 1
    board.chain.set_next_timestamp(b.ev + 1)
    board.chain.mine()
    board.expect("DisputeOpen", board.fn.finalize(b.id), low)  # even after the evaluation deadline
    _rule(board, arbitrator, dispute_id, 2)
    assert board.phase(b) == FINALIZABLE
    board.finalize(b)
    assert board.bounty(b)["outcome"] == WINNER_PAID


def test_post_scores_after_a_winning_challenge_is_refused(board, arbitrator):
    b = _arbitrated(board, arbitrator, people=3, scores={})
    a, c, d = board.people[:3]
    board.post_scores(b, {a: 400_000})
    _rule(board, arbitrator, _challenge(board, b, c, a, claimed=700_000), 1)
    call = board.fn.postScores(b.id, [c, d], [1, 2], b"\x01" * 32)
    board.expect("ScoresVoided", call, b.owner)


def test_set_arbitration_refusals(board, arbitrator):
    b = board.create()
    set_it = board.fn.setArbitration(b.id, arbitrator.address, CHALLENGE_BOND, PERIOD)
    board.expect("NotBountyOwner", set_it, board.people[0], value=OWNER_BOND)
    board.expect("OwnerBondRequired", set_it, b.owner)
    not_contract = board.fn.setArbitration(b.id, board.people[0], CHALLENGE_BOND, PERIOD)
    assert (
        board.expect("ArbitratorNotContract", not_contract, b.owner, value=1).args["arbitrator"]
        == board.people[0]
    )
    for period in (299, 30 * 86400 + 1):
        call = board.fn.setArbitration(b.id, arbitrator.address, CHALLENGE_BOND, period)
        bounds = board.expect("ChallengePeriodOutOfRange", call, b.owner, value=1).args
        assert (bounds["min"], bounds["max"]) == (300, 30 * 86400)
    for period in (300, 30 * 86400):  # both ends are accepted
        fresh = board.create()
        board.send(board.fn.setArbitration(fresh.id, arbitrator.address, 0, period), fresh.owner, value=1)
    board.send(set_it, b.owner, value=OWNER_BOND)
    board.expect("ArbitrationAlreadySet", set_it, b.owner, value=OWNER_BOND)


def test_set_arbitration_after_a_commit_or_the_submission_deadline_is_refused(board, arbitrator):
    b = board.create()
    board.commit(b, board.people[0])
    call = board.fn.setArbitration(b.id, arbitrator.address, CHALLENGE_BOND, PERIOD)
    late = board.expect("ArbitrationTooLate", call, b.owner, value=OWNER_BOND)
    assert late.args["commitCount"] == 1
    empty = board.create()
    call = board.fn.setArbitration(empty.id, arbitrator.address, CHALLENGE_BOND, PERIOD)
    board.expect("ArbitrationTooLate", call, empty.owner, value=OWNER_BOND, at=empty.sub)


def test_rule_is_only_for_the_arbitrator_once_and_within_the_choices(board, arbitrator):
    b = _arbitrated(board, arbitrator)
    low, high = board.people[:2]
    dispute_id = _challenge(board, b, low, high)
    refused = board.expect("NotArbitrator", board.fn.rule(dispute_id, 1), low)
    assert (refused.args["disputeId"], refused.args["caller"]) == (dispute_id, low)
    board.expect("NotArbitrator", board.fn.rule(dispute_id, 1), b.owner)
    assert _dispute(board, arbitrator, dispute_id)["status"] == OPEN
    unknown = board.expect("UnknownDispute", board.fn.timeoutDispute(b.id, dispute_id + 7), low)
    assert unknown.args["disputeId"] == dispute_id + 7
    _rule(board, arbitrator, dispute_id, 2)
    assert _dispute(board, arbitrator, dispute_id)["ruling"] == 2
