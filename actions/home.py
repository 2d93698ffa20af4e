"""What one account can do next, across every bounty: the Home page's list, as plain data.

Pure functions of what the pages already read (the bounties, each bounty's submissions, the
account's credit and "now", the time the next transaction will see), so the rules are tested without
a chain or Streamlit. A step names its bounty, says what to do and until when, and names the page
that does it; the list is ordered by urgency: money waiting first, then the earliest deadline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chain.client import Bounty, Phase, Submission
from formatting import duration, eth, utc

# page url paths (dashboard.py) that do each kind of step
PAGE_OF = {
    "withdraw": "finalize",
    "reveal": "submit",
    "join": "submit",
    "reveal_test_data": "evaluate",
    "post_scores": "evaluate",
    "finalize": "finalize",
}


@dataclass(frozen=True)
class Step:
    """One thing ``account`` can do now: ``kind`` (a key of ``PAGE_OF``), on ``bounty_id`` (None: none)."""

    kind: str
    bounty_id: int | None
    text: str
    deadline: int | None = None  # chain time it must be done by (None: no hurry)

    @property
    def page(self) -> str:
        return PAGE_OF[self.kind]


def next_steps(
    account: str,
    bounties: Sequence[Bounty],
    submissions: Mapping[int, Sequence[Submission]],
    credit: int,
    now: int,
) -> list[Step]:
    """Everything ``account`` may do now: withdraw a credit, reveal what it committed, post scores as an
    owner, finalize, join an open bounty. ``submissions`` maps a bounty id to its submissions."""
    me = account.lower()
    steps: list[Step] = []
    if credit > 0:
        steps.append(Step("withdraw", None, f"Withdraw {eth(credit)} credited to you."))
    for bounty in bounties:
        mine = next((s for s in submissions.get(bounty.id, ()) if s.participant.lower() == me), None)
        steps += _steps_on(bounty, mine, bounty.owner.lower() == me, now)
    urgent = [s for s in steps if s.kind == "withdraw"]
    rest = sorted((s for s in steps if s.kind != "withdraw"), key=lambda s: (s.deadline is None, s.deadline))
    return urgent + rest


def _steps_on(bounty: Bounty, mine: Submission | None, owner: bool, now: int) -> list[Step]:
    """The steps on one bounty for its owner or a participant (``mine``: its submission, if any)."""
    if bounty.phase in (Phase.FINALIZED, Phase.CANCELLED):
        return []
    n = bounty.id
    if bounty.phase == Phase.FINALIZABLE:  # the contract's phase, read at the time "now" is
        return [Step("finalize", n, f"Bounty #{n} can be finalized: anyone may settle it now.")]
    steps: list[Step] = []
    if now < bounty.submission_deadline and not owner and mine is None:
        steps.append(
            Step(
                "join",
                n,
                f"Join bounty #{n} for {eth(bounty.reward)}: commit "
                f"{_before(bounty.submission_deadline, now)}.",
                bounty.submission_deadline,
            )
        )
    if mine is not None and not mine.revealed and bounty.submission_deadline <= now < bounty.reveal_deadline:
        steps.append(
            Step(
                "reveal",
                n,
                f"Reveal on bounty #{n} {_before(bounty.reveal_deadline, now)}, or lose the bond.",
                bounty.reveal_deadline,
            )
        )
    if owner and bounty.reveal_deadline <= now < bounty.evaluation_deadline and bounty.reveal_count:
        if not bounty.test_data_revealed:
            steps.append(
                Step(
                    "reveal_test_data",
                    n,
                    f"Reveal the test data of bounty #{n}, then evaluate "
                    f"{_before(bounty.evaluation_deadline, now)}.",
                    bounty.evaluation_deadline,
                )
            )
        elif bounty.scored_count < bounty.reveal_count:
            left = bounty.reveal_count - bounty.scored_count
            steps.append(
                Step(
                    "post_scores",
                    n,
                    f"Post the scores of bounty #{n} ({left} to score) "
                    f"{_before(bounty.evaluation_deadline, now)}.",
                    bounty.evaluation_deadline,
                )
            )
    return steps


def _before(deadline: int, now: int) -> str:
    return f"before {utc(deadline)} (in {duration(deadline - now)})"
