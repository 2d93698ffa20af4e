"""Disputes through the actions layer on the embedded chain: challenge, rule, time out, settle.

The owner posts scores that lie (a sock puppet at 99.9 %); a participant re-runs the submission
(the verify job), challenges with the re-run's accuracy, and the Arbiter rules. Ruling 1 voids the
scores (stall split, the owner's bond to the challenger); ruling 2 gives the challenge bond to the
owner; a dispute never ruled on counts for the challenger after the timeout.
"""

from __future__ import annotations

import pytest

from actions import disputes, evaluation, settlement
from actions.errors import ActionError
from actions.session import Backend, get_backend
from chain.client import Outcome, Phase
from chain.errors import ChainError
from tests.actions import scenario

POSTED_LOW, POSTED_HIGH = 100_000, 999_000  # the owner's lies: 10 % for Participant 1, 99.9 % for 2


def arbitrated_bounty(b: Backend, *, post: bool = True) -> int:
    """A bounty with the dev arbitrator (default terms), Participants 1 and 2 revealed, the test data
    revealed and (``post``) the owner's scores posted without any evaluation: 10 % and 99.9 %."""
    owner, p1, p2 = b.dev_senders()[:3]
    bounty_id = scenario.create_bounty(b)
    terms = disputes.ArbitrationTerms(disputes.dev_arbitrator(b).address)
    outcome = disputes.plan_set_arbitration(b, owner, bounty_id, terms).execute()
    assert outcome.ok, outcome.error
    scenario.commit_two(b, bounty_id)
    scenario.reveal_two(b, bounty_id)
    b.chain.advance_time(601)
    scenario.reveal_test_data(b, bounty_id)
    if post:
        b.client.post_scores(
            owner, bounty_id, {p1.address: POSTED_LOW, p2.address: POSTED_HIGH}, b"\x07" * 32
        )
    return bounty_id


def _arbiter(b: Backend):
    arbiter = b.arbiter()
    assert arbiter is not None
    return arbiter


def test_the_wallet_offers_an_arbiter_after_the_participants():
    b = get_backend()
    labels = [a.label for a in b.accounts()]
    assert labels == ["Owner"] + [f"Participant {n}" for n in range(1, b.settings.participants + 1)] + [
        "Arbiter"
    ]
    assert b.accounts()[-1].address == b.chain.accounts()[-1]
    assert b.label_of(_arbiter(b).address) == "Arbiter"


def test_terms_are_checked_in_sentences_and_a_bounty_without_arbitrator_cannot_be_challenged():
    b = get_backend()
    arbitrator = disputes.dev_arbitrator(b).address
    assert disputes.dev_arbitrator(b).address == arbitrator, "deployed once, then the same one"
    for terms, words in (
        (disputes.ArbitrationTerms("0x1234"), "not an address"),
        (disputes.ArbitrationTerms(arbitrator, owner_bond=0), "more than 0 ETH"),
        (disputes.ArbitrationTerms(arbitrator, challenge_period_s=60), "five minutes"),
        (disputes.ArbitrationTerms(arbitrator, challenge_period_s=31 * 24 * 3600), "30 days"),
    ):
        with pytest.raises(ActionError, match=words):
            terms.check()
    plain = scenario.create_bounty(b)
    with pytest.raises(ActionError, match="has no arbitrator"):
        disputes.plan_challenge(b, b.dev_senders()[1], plain, b.dev_senders()[2].address, 500_000)
    with pytest.raises(ActionError, match="between 0 % and 100 %"):
        disputes.plan_challenge(b, b.dev_senders()[1], plain, b.dev_senders()[2].address, 1_000_001)


def test_a_participant_challenges_after_verify_the_arbiter_rules_1_and_the_bounty_stalls():
    b = get_backend()
    owner, p1, p2, stranger = b.dev_senders()[:4]
    bounty_id = arbitrated_bounty(b)
    arbitration = disputes.arbitration_of(b, bounty_id)
    assert arbitration.owner_bond == disputes.DEFAULT_OWNER_BOND and arbitration.last_scores_at
    assert "Challenges accepted until" in disputes.deadline_text(arbitration, b.now())

    # Participant 1 re-runs Participant 2's submission: the re-run's accuracy is the claim
    assert disputes.claimed_from_verify(b, bounty_id, p2.address) is None
    evaluation.start_verify(b, bounty_id, p2.address)
    view = b.jobs.wait(disputes.verify_key(bounty_id, p2.address), timeout=600)
    assert view.state == "done", view.error
    claimed = disputes.claimed_from_verify(b, bounty_id, p2.address)
    assert claimed is not None and claimed != POSTED_HIGH, view.result["summary"]

    # someone who did not reveal may not challenge: the contract's reason, in words
    with pytest.raises(ChainError, match="reveal"):
        disputes.plan_challenge(b, stranger, bounty_id, p2.address, claimed).preview()
    challenge = disputes.plan_challenge(b, p1, bounty_id, p2.address, claimed)
    cost = b.client.challenge_cost(bounty_id)
    assert cost == arbitration.challenge_bond + disputes.DEV_ARBITRATION_COST
    assert challenge.preview().value == cost
    before = b.client.pending_withdrawal(p1.address)
    owner_before = b.client.pending_withdrawal(owner.address)
    outcome = challenge.execute()
    assert outcome.ok, outcome.error
    dispute_id = int(outcome.extra["dispute_id"])
    (dispute,) = disputes.disputes(b, bounty_id)
    assert (dispute.dispute_id, dispute.challenger, dispute.participant) == (
        dispute_id,
        p1.address,
        p2.address,
    )
    assert (dispute.posted_accuracy_ppm, dispute.claimed_accuracy_ppm) == (POSTED_HIGH, claimed)
    assert "open" in disputes.dispute_rows(b, [dispute], b.now())[0]["status"]

    # finalize waits for the open dispute; only the arbitrator's owner rules
    b.chain.advance_time(disputes.DEFAULT_CHALLENGE_PERIOD_S + 1)
    preview = settlement.outcome_preview(b, bounty_id)
    assert not preview.possible and "1 dispute(s)" in preview.reason, preview
    with pytest.raises(ChainError, match=r"(?i)dispute"):
        settlement.plan_finalize(b, stranger, bounty_id).preview()
    with pytest.raises(ChainError):
        disputes.plan_rule(b, p1, arbitration.arbitrator, dispute_id, 1).preview()
    ruled = disputes.plan_rule(b, _arbiter(b), arbitration.arbitrator, dispute_id, 1).execute()
    assert ruled.ok, ruled.error
    (dispute,) = disputes.disputes(b, bounty_id)
    assert dispute.ruled and dispute.ruling == 1
    assert disputes.arbitration_of(b, bounty_id).voided
    preview = settlement.outcome_preview(b, bounty_id)  # what the Finalize page promises
    assert preview.possible and preview.expected == Outcome.STALL_SPLIT, preview
    assert "scores are void" in preview.reason and owner.address not in preview.credits

    # settled as a stall split (before the evaluation deadline); the challenger has the owner's bond
    finalized = settlement.plan_finalize(b, stranger, bounty_id).execute()
    assert finalized.ok, finalized.error
    bounty = b.client.bounty(bounty_id)
    assert bounty.phase == Phase.FINALIZED and bounty.outcome == Outcome.STALL_SPLIT
    for revealer in (p1, p2):
        claim = settlement.plan_claim_share(b, revealer, bounty_id).execute()
        assert claim.ok, claim.error
    share = scenario.REWARD // 2
    expected = arbitration.owner_bond + arbitration.challenge_bond + share
    assert b.client.pending_withdrawal(p1.address) - before == expected
    assert b.client.pending_withdrawal(owner.address) == owner_before, (
        "the owner's bond went to the challenger"
    )


def test_ruling_2_pays_the_challenge_bond_to_the_owner_and_the_posted_winner_is_paid():
    b = get_backend()
    owner, p1, p2, stranger = b.dev_senders()[:4]
    bounty_id = arbitrated_bounty(b)
    arbitration = disputes.arbitration_of(b, bounty_id)
    owner_before = b.client.pending_withdrawal(owner.address)
    p1_before = b.client.pending_withdrawal(p1.address)
    outcome = disputes.plan_challenge(b, p1, bounty_id, p2.address, 500_000).execute()
    assert outcome.ok, outcome.error
    dispute_id = int(outcome.extra["dispute_id"])
    ruled = disputes.plan_rule(b, _arbiter(b), arbitration.arbitrator, dispute_id, 2).execute()
    assert ruled.ok, ruled.error
    again = disputes.plan_rule(b, _arbiter(b), arbitration.arbitrator, dispute_id, 1)
    with pytest.raises(ChainError):
        again.preview()
    assert not disputes.arbitration_of(b, bounty_id).voided
    assert b.client.pending_withdrawal(owner.address) - owner_before == arbitration.challenge_bond

    with pytest.raises(ChainError, match=r"(?i)challenge period"):  # the period after the scores is not over
        settlement.plan_finalize(b, stranger, bounty_id).preview()
    early = settlement.outcome_preview(b, bounty_id)
    assert not early.possible and "may be challenged until" in early.reason, early
    b.chain.advance_time(disputes.DEFAULT_CHALLENGE_PERIOD_S + 1)
    preview = settlement.outcome_preview(b, bounty_id)
    assert preview.expected == Outcome.WINNER_PAID
    assert preview.credits[owner.address] == arbitration.owner_bond  # its bond back at finalize
    finalized = settlement.plan_finalize(b, stranger, bounty_id).execute()
    assert finalized.ok, finalized.error
    bounty = b.client.bounty(bounty_id)
    assert bounty.outcome == Outcome.WINNER_PAID and bounty.leader == p2.address
    # the owner: the challenge bond, then its own bond back at finalize
    expected = arbitration.challenge_bond + arbitration.owner_bond
    assert b.client.pending_withdrawal(owner.address) - owner_before == expected
    assert b.client.pending_withdrawal(p1.address) == p1_before, "the losing challenger gets nothing back"


def test_a_dispute_never_ruled_on_times_out_for_the_challenger():
    b = get_backend()
    p1, p2, stranger = b.dev_senders()[1:4]
    bounty_id = arbitrated_bounty(b)
    arbitration = disputes.arbitration_of(b, bounty_id)
    before = b.client.pending_withdrawal(p1.address)
    outcome = disputes.plan_challenge(b, p1, bounty_id, p2.address, 500_000).execute()
    assert outcome.ok, outcome.error
    dispute_id = int(outcome.extra["dispute_id"])
    with pytest.raises(ChainError):  # too early: the arbitrator still has time to rule
        disputes.plan_timeout(b, stranger, bounty_id, dispute_id).preview()
    (dispute,) = disputes.disputes(b, bounty_id)
    assert not disputes.timed_out(dispute, b.now())
    b.chain.advance_time(disputes.RULING_TIMEOUT_S + 1)
    assert disputes.timed_out(dispute, b.now())
    assert "timed out" in disputes.dispute_rows(b, [dispute], b.now())[0]["status"]
    closed = disputes.plan_timeout(b, stranger, bounty_id, dispute_id).execute()
    assert closed.ok, closed.error
    assert disputes.arbitration_of(b, bounty_id).voided
    gained = b.client.pending_withdrawal(p1.address) - before
    assert gained == arbitration.owner_bond + arbitration.challenge_bond
