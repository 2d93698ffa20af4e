"""Settling a bounty: what ``finalize`` would do now, finalize, a stalled bounty's shares, withdraw.

The preview re-derives the contract's finalize rule from the same views the contract reads
(phase, counts, leader, bar), so the Finalize page can say who will be credited what before
anyone signs; payments are pulled: finalize only credits, each account withdraws its own credit.
The winner is named by its wallet label ("Participant 2") where the backend knows one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from actions.tx import TxPlan, plan
from chain.client import Outcome, Phase
from formatting import duration, eth, eth_exact, named, percent_ppm, utc

if TYPE_CHECKING:
    from actions.session import Backend
    from chain.accounts import Sender
    from chain.client import Arbitration, Bounty

ZERO_ADDRESS = "0x" + "0" * 40


@dataclass
class OutcomePreview:
    """What ``finalize`` would do now, computed from the same views the contract reads.

    ``outcome`` says it in words; ``expected`` is the contract's Outcome it would record
    (``Outcome.NONE`` while finalizing is not possible).
    """

    possible: bool
    reason: str
    outcome: str
    credits: dict[str, int] = field(default_factory=dict)  # address -> wei credited at finalize
    expected: Outcome = Outcome.NONE


def outcome_preview(backend: Backend, bounty_id: int) -> OutcomePreview:
    bounty = backend.client.bounty(bounty_id)
    now = backend.now()
    if bounty.phase in (Phase.FINALIZED, Phase.CANCELLED):
        return OutcomePreview(
            False,
            f"Bounty {bounty_id} is already {bounty.phase.label.lower()}.",
            settled_text(bounty, backend.label_of),
        )
    all_scored = bounty.reveal_count > 0 and bounty.scored_count == bounty.reveal_count
    arbitration = backend.client.arbitration(bounty_id)
    voided = arbitration is not None and arbitration.voided
    if bounty.phase != Phase.FINALIZABLE:
        return OutcomePreview(False, _too_early(bounty, arbitration, all_scored, now), "not yet")
    credits: dict[str, int] = {}

    def credit(who: str, amount: int) -> None:
        credits[who] = credits.get(who, 0) + amount

    if arbitration is not None and not arbitration.owner_bond_paid:
        credit(bounty.owner, arbitration.owner_bond)  # nobody won it: back to the owner

    unrevealed_bonds = (bounty.commit_count - bounty.reveal_count) * bounty.commit_bond
    if unrevealed_bonds:
        credit(bounty.owner, unrevealed_bonds)
    if bounty.reveal_count == 0:
        credit(bounty.owner, bounty.reward)
        return OutcomePreview(
            True, "No one revealed.", "no reveals: reward refunded to the owner", credits, Outcome.NO_REVEALS
        )
    if all_scored and not voided:
        if bounty.best_accuracy_ppm >= bounty.min_accuracy_ppm and bounty.leader != ZERO_ADDRESS:
            credit(bounty.leader, bounty.reward)
            return OutcomePreview(
                True,
                "Every revealed submission is scored.",
                f"winner {named(bounty.leader, backend.label_of)} with "
                f"{percent_ppm(bounty.best_accuracy_ppm)} is paid",
                credits,
                Outcome.WINNER_PAID,
            )
        credit(bounty.owner, bounty.reward)
        return OutcomePreview(
            True,
            "Every revealed submission is scored.",
            "no score reached the bar: reward refunded to the owner",
            credits,
            Outcome.BELOW_BAR,
        )
    share, remainder = divmod(bounty.reward, bounty.reveal_count)
    if remainder:
        credit(bounty.first_revealer, remainder)
    return OutcomePreview(
        True,
        "A challenger won a dispute: the owner's scores are void."
        if voided
        else "The evaluation deadline passed with unscored submissions.",
        f"{'scores void' if voided else 'owner stalled'}: each of {bounty.reveal_count} revealers may claim "
        f"{eth(share)}",
        credits,
        Outcome.STALL_SPLIT,
    )


def _too_early(bounty: Bounty, arbitration: Arbitration | None, all_scored: bool, now: int) -> str:
    """Why finalize would be refused now: a dispute waiting, the challenge period, or a window."""
    voided = arbitration is not None and arbitration.voided
    if arbitration is not None and arbitration.open_disputes:
        return (
            f"Too early: {arbitration.open_disputes} dispute(s) on bounty {bounty.id} wait for the "
            "arbitrator's ruling (or its timeout); finalize after that."
        )
    if (
        arbitration is not None
        and not voided
        and all_scored
        and bounty.reveal_deadline <= now < arbitration.challenge_deadline
    ):
        deadline = arbitration.challenge_deadline
        return (
            f"Too early: the scores of bounty {bounty.id} may be challenged until {utc(deadline)} "
            f"(in {duration(deadline - now)})."
        )
    earliest = bounty.reveal_deadline if all_scored or voided else bounty.evaluation_deadline
    wait = duration(earliest - now)
    return f"Too early: bounty {bounty.id} may be finalized from {utc(earliest)} (in {wait})."


def may_claim_share(preview: OutcomePreview, bounty: Bounty) -> bool:
    """Whether revealers claim shares here: the bounty stalled, or finalizing now would stall it."""
    return Outcome.STALL_SPLIT in (preview.expected, bounty.outcome)


def settled_text(bounty: Bounty, label_of: Callable[[str], str] | None = None) -> str:
    """The outcome of a settled bounty in words, naming the winner (by ``label_of``) where there is one."""
    if bounty.outcome == Outcome.WINNER_PAID:
        return (
            f"winner {named(bounty.leader, label_of)} with {percent_ppm(bounty.best_accuracy_ppm)} "
            f"was credited {eth(bounty.reward)}"
        )
    return bounty.outcome.label


def plan_finalize(backend: Backend, sender: Sender, bounty_id: int) -> TxPlan:
    client = backend.client
    return plan(
        client,
        sender,
        f"Finalize bounty {bounty_id}",
        "finalize",
        (int(bounty_id),),
        lambda: client.finalize(sender, bounty_id),
        after=lambda receipt: {"outcome": client.bounty(bounty_id).outcome.label},
    )


def plan_claim_share(backend: Backend, sender: Sender, bounty_id: int) -> TxPlan:
    client = backend.client
    return plan(
        client,
        sender,
        f"Claim your share of bounty {bounty_id}",
        "claimShare",
        (int(bounty_id),),
        lambda: client.claim_share(sender, bounty_id),
    )


def pending_withdrawal(backend: Backend, address: str) -> int:
    """Wei credited to ``address`` and not yet withdrawn (0 where no board is deployed)."""
    try:
        client = backend.client
    except Exception:
        return 0
    return client.pending_withdrawal(address)


def plan_withdraw(backend: Backend, sender: Sender) -> TxPlan:
    client = backend.client
    amount = client.pending_withdrawal(sender.address)
    return plan(
        client,
        sender,
        f"Withdraw {eth(amount)}",
        "withdraw",
        (),
        lambda: client.withdraw(sender),
        details=[("Credited to you", eth_exact(amount))],
        after=lambda receipt: {"withdrawn": eth(amount)},
    )
