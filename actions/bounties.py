"""Bounties as the owner posts them and everyone lists them: terms, creation, windows, table rows.

One module for a bounty's life before any submission: the owner's terms (checked in sentences
before anything is sent), the ``createBounty`` plan (files published first, deadlines from chain
time, the test-data salt stored by the client before sending), and the read side every page
shows: one row or label per bounty, its windows and deadlines in chain time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import storage
from actions import datasets
from actions.errors import ActionError
from actions.tx import TxPlan, balance_reader, plan
from chain.client import Phase
from formatting import duration, eth, named, percent_ppm, utc
from ml.data import SETTLE_S

if TYPE_CHECKING:
    from actions.session import Backend
    from chain.accounts import Sender
    from chain.client import Bounty, TxReceipt
    from ml.manifest import TaskManifest

# createBounty's arguments: manifest digest, test-data commitment, bar, sequence length, future
# period, the three deadlines, commit bond
CreateArgs = tuple[bytes, bytes, int, int, int, int, int, int, int]

TRAINING_MARGIN_S = 30 * 60  # time left to evaluate once a live forward test's candles exist
OPEN_WINDOWS = (Phase.SUBMISSION, Phase.REVEAL, Phase.EVALUATION)


@dataclass(frozen=True)
class BountyTerms:
    """What the owner chooses on the Initialize page. Amounts in wei, windows in seconds."""

    reward: int
    min_accuracy_ppm: int
    submission_s: int
    reveal_s: int
    evaluation_s: int
    commit_bond: int = 0

    def check(self) -> None:
        if self.reward <= 0:
            raise ActionError("The reward must be more than 0 ETH.")
        if not 1 <= self.min_accuracy_ppm <= 1_000_000:
            raise ActionError("The minimum accuracy must be between 0.0001 % and 100 %.")
        for name, seconds in (
            ("submission", self.submission_s),
            ("reveal", self.reveal_s),
            ("evaluation", self.evaluation_s),
        ):
            if seconds < 300:
                raise ActionError(f"The {name} window must last at least five minutes.")
        if self.commit_bond < 0 or self.commit_bond >= 2**96:
            raise ActionError("The commit bond must be between 0 and 79 billion ETH.")


def accuracy_to_ppm(percent: float | Decimal | str) -> int:
    value = Decimal(str(percent))
    if not Decimal(0) < value <= Decimal(100):
        raise ActionError("The minimum accuracy is a percentage above 0 and at most 100.")
    return int((value * 10_000).to_integral_value())


def test_data_kind(manifest: TaskManifest) -> str:
    """One line on where the test data comes from and who could know it, for every page."""
    rule = manifest.test
    if rule.kind != "forward":
        return "private: the owner's own test split, committed by digest now, published at the reveal"
    if rule.rehearsal:
        return (
            "forward-test rehearsal on the bundled 2018 candles: the rule is public and so is the data "
            "(anyone can rebuild the test file today), so this window is a rehearsal, not a secret"
        )
    return (
        f"forward test: {rule.source} candles of the {duration(rule.duration_s or 0)} after the reveal "
        "deadline, which do not exist yet; built by the manifest's rule after that window"
    )


def _check_forward_window(manifest: TaskManifest, terms: BountyTerms) -> None:
    """A live forward test's window opens at the reveal deadline: its candles must exist (and
    settle) before the evaluation deadline, with time left to train, or nobody can be scored."""
    rule = manifest.test
    if rule.kind != "forward" or rule.rehearsal or rule.start_time is not None:
        return
    needed = int(rule.duration_s or 0) + SETTLE_S + TRAINING_MARGIN_S
    if terms.evaluation_s < needed:
        raise ActionError(
            f"This forward test scores the {duration(rule.duration_s or 0)} of candles after the reveal "
            f"deadline, which settle {duration(SETTLE_S)} later; the evaluation window must outlast them "
            f"with time to train: make it at least {duration(needed)}."
        )


def plan_create_bounty(
    backend: Backend, sender: Sender, built: datasets.BuiltDataset, manifest: TaskManifest, terms: BountyTerms
) -> TxPlan:
    """Create a bounty for a built dataset under ``manifest`` (which may carry another protocol).

    Deadlines are computed from chain time when the transaction is sent (the preview shows
    them as of now); the files are published first, the salt stored by the client before sending.
    The outcome's ``extra["bounty_id"]`` is the new bounty's id.
    """
    terms.check()
    _check_forward_window(manifest, terms)
    client = backend.client
    forward = manifest.forward_test
    # a forward test commits to no file: its test data is built by the manifest's rule later
    test_cid = "" if forward else _kept_test_cid(built)
    test_digest = storage.cid_to_digest(test_cid) if test_cid else None

    def args_at(now: int, commitment: bytes = b"\x00" * 32 if forward else b"\x01" * 32) -> CreateArgs:
        sub = now + terms.submission_s
        rev = sub + terms.reveal_s
        return (
            manifest.digest(),
            commitment,
            terms.min_accuracy_ppm,
            manifest.sequence_length,
            manifest.future_period,
            sub,
            rev,
            rev + terms.evaluation_s,
            terms.commit_bond,
        )

    def send() -> TxReceipt:
        datasets.publish(backend, built, manifest)
        sub, rev, ev = client.deadlines_from_now(terms.submission_s, terms.reveal_s, terms.evaluation_s)
        _, receipt = client.create_bounty(
            sender,
            manifest_digest=manifest.digest(),
            test_data_digest=test_digest,
            reward=terms.reward,
            min_accuracy_ppm=terms.min_accuracy_ppm,
            sequence_length=manifest.sequence_length,
            future_period=manifest.future_period,
            submission_deadline=sub,
            reveal_deadline=rev,
            evaluation_deadline=ev,
            commit_bond=terms.commit_bond,
            test_data_cid=test_cid,
        )
        return receipt

    args = args_at(backend.now())
    details = [
        ("Reward", eth(terms.reward)),
        ("Minimum accuracy", percent_ppm(terms.min_accuracy_ppm)),
        ("Submissions until", f"{utc(args[5])} ({duration(terms.submission_s)})"),
        ("Reveals until", f"{utc(args[6])}"),
        ("Evaluation until", f"{utc(args[7])}"),
        ("Commit bond", eth(terms.commit_bond)),
        ("Manifest", manifest.cid()),
        ("Test data", test_data_kind(manifest)),
    ]
    return TxPlan(
        title="Create bounty",
        function="createBounty",
        sender=sender.address,
        preview_fn=lambda: client.preview(
            "createBounty", args_at(backend.now()), terms.reward, sender.address
        ),
        send=send,
        details=details,
        after=lambda receipt: {"bounty_id": created_bounty_id(receipt)},
        balance_at=balance_reader(client.w3),
    )


def _kept_test_cid(built: datasets.BuiltDataset) -> str:
    """The kept test file's CID, which a private-data bounty commits to (a live forward test has none)."""
    if built.test_cid is None:
        raise ActionError("This dataset keeps no test file to commit to: build it again.")
    return built.test_cid


def created_bounty_id(receipt: TxReceipt) -> int:
    """The id a mined ``createBounty`` assigned, from its BountyCreated event."""
    return int(receipt.event("BountyCreated").args["bountyId"])


def create_bounty(
    backend: Backend, sender: Sender, built: datasets.BuiltDataset, manifest: TaskManifest, terms: BountyTerms
) -> tuple[int, TxReceipt]:
    """Without a dialog (headless flow, tests): returns (bounty id, receipt) or raises with a sentence."""
    outcome = plan_create_bounty(backend, sender, built, manifest, terms).execute()
    if not outcome.ok or outcome.receipt is None:
        raise ActionError(outcome.error)
    return created_bounty_id(outcome.receipt), outcome.receipt


# --------------------------------------------------------------------------- what pages list


def window_of(bounty: Bounty, now: int) -> tuple[str, int | None]:
    """The phase label and the seconds left in the current window (None when no deadline is ahead)."""
    for deadline in (bounty.submission_deadline, bounty.reveal_deadline, bounty.evaluation_deadline):
        if now < deadline and bounty.phase in OPEN_WINDOWS:
            return bounty.phase.label, deadline - now
    return bounty.phase.label, None


def bounty_rows(backend: Backend, bounties: list[Bounty] | None = None) -> list[dict[str, int | str]]:
    """One row per bounty, newest first, for tables (``bounties`` from a cache, else read now)."""
    now = backend.now()
    rows: list[dict[str, int | str]] = []
    for bounty in backend.client.bounties() if bounties is None else bounties:
        phase, left = window_of(bounty, now)
        rows.append(
            {
                "id": bounty.id,
                "phase": phase,
                "time left": duration(left) if left is not None else "",
                "reward": eth(bounty.reward),
                "min accuracy": percent_ppm(bounty.min_accuracy_ppm),
                "commits": bounty.commit_count,
                "reveals": bounty.reveal_count,
                "scored": bounty.scored_count,
                "owner": named(bounty.owner, backend.label_of),
            }
        )
    return rows


def bounty_label(bounty: Bounty, now: int) -> str:
    phase, left = window_of(bounty, now)
    tail = f", {duration(left)} left" if left is not None else ""
    return f"#{bounty.id} · {phase}{tail} · {eth(bounty.reward)}"


def created_at(backend: Backend, bounty_id: int) -> int:
    """Timestamp of the block that created the bounty (from the index's BountyCreated event)."""
    for event in backend.index.events(bounty_id):
        if event.name == "BountyCreated":
            return int(event.timestamp or 0)
    return 0


def windows(bounty: Bounty, created: int) -> list[tuple[str, int, int]]:
    """(window, start, end) in chain time; ``created`` is the creation block's timestamp."""
    return [
        ("Submission", created, bounty.submission_deadline),
        ("Reveal", bounty.submission_deadline, bounty.reveal_deadline),
        ("Evaluation", bounty.reveal_deadline, bounty.evaluation_deadline),
    ]


def deadline_rows(bounty: Bounty, now: int) -> list[dict[str, str]]:
    rows = []
    for name, when in (
        ("Submission deadline", bounty.submission_deadline),
        ("Reveal deadline", bounty.reveal_deadline),
        ("Evaluation deadline", bounty.evaluation_deadline),
    ):
        rows.append(
            {
                "deadline": name,
                "UTC (chain time)": utc(when),
                "from now": f"in {duration(when - now)}" if when > now else duration(when - now),
            }
        )
    return rows


def plan_cancel(backend: Backend, sender: Sender, bounty_id: int) -> TxPlan:
    """Cancel a bounty nobody has committed to, before its submission deadline (owner only); the
    reward is credited back to the owner, who collects it with a withdrawal."""
    client = backend.client
    bounty = client.bounty(bounty_id)
    return plan(
        client,
        sender,
        f"Cancel bounty {bounty_id}",
        "cancel",
        (int(bounty_id),),
        lambda: client.cancel(sender, bounty_id),
        details=[("Credited back to the owner", eth(bounty.reward))],
    )
