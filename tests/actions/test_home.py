"""actions.home: what an account can do next, from bounties, submissions and now (issue 12)."""

from __future__ import annotations

from chain.client import Bounty, Outcome, Phase, Submission
from protocol import Hyperparameters

OWNER, ALICE, BOB = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40
T0 = 1_800_000_000


def _bounty(phase: Phase = Phase.SUBMISSION, **changes: object) -> Bounty:
    values: dict[str, object] = dict(
        id=1, owner=OWNER, reward=10**18, manifest_digest=b"", test_data_commitment=b"", test_data_digest=b"",
        min_accuracy_ppm=500_000, sequence_length=8, future_period=2, submission_deadline=T0 + 600,
        reveal_deadline=T0 + 1200, evaluation_deadline=T0 + 4800, commit_bond=10**16, commit_count=1,
        reveal_count=0, scored_count=0, test_data_revealed=False, phase=phase, outcome=Outcome.NONE,
        leader="0x" + "0" * 40, best_accuracy_ppm=0, first_revealer="0x" + "0" * 40,
    )  # fmt: skip
    values.update(changes)
    return Bounty(**values)  # type: ignore[arg-type]


def _submission(who: str, revealed: bool = False, scored: bool = False) -> Submission:
    hp = Hyperparameters() if revealed else None
    return Submission(who, 1, b"\x01" * 32, 1, revealed, hp, scored, 600_000 if scored else None)


def _kinds(steps: list) -> list[tuple[str, int | None]]:
    return [(s.kind, s.bounty_id) for s in steps]


def test_an_open_bounty_is_offered_to_join_to_anyone_but_its_owner_and_those_in_it() -> None:
    from actions.home import next_steps

    bounty, subs = _bounty(), {1: [_submission(ALICE)]}
    assert _kinds(next_steps(BOB, [bounty], subs, 0, T0)) == [("join", 1)]
    assert next_steps(ALICE, [bounty], subs, 0, T0) == []
    assert next_steps(OWNER, [bounty], subs, 0, T0) == []
    step = next_steps(BOB, [bounty], subs, 0, T0)[0]
    assert step.page == "submit" and "in 10 min" in step.text and step.deadline == T0 + 600


def test_a_reveal_is_due_for_a_participant_who_committed_once_submissions_close() -> None:
    from actions.home import next_steps

    bounty, now = _bounty(Phase.REVEAL), T0 + 700
    steps = next_steps(ALICE, [bounty], {1: [_submission(ALICE)]}, 0, now)
    assert _kinds(steps) == [("reveal", 1)] and "lose the bond" in steps[0].text
    assert next_steps(ALICE, [bounty], {1: [_submission(ALICE, revealed=True)]}, 0, now) == []
    assert next_steps(BOB, [bounty], {1: [_submission(ALICE)]}, 0, now) == []  # too late to join


def test_the_owner_reveals_the_test_data_then_posts_scores() -> None:
    from actions.home import next_steps

    now, subs = T0 + 1300, {1: [_submission(ALICE, revealed=True)]}
    first = _bounty(Phase.EVALUATION, reveal_count=1)
    assert _kinds(next_steps(OWNER, [first], subs, 0, now)) == [("reveal_test_data", 1)]
    second = _bounty(Phase.EVALUATION, reveal_count=1, test_data_revealed=True)
    steps = next_steps(OWNER, [second], subs, 0, now)
    assert _kinds(steps) == [("post_scores", 1)] and "1 to score" in steps[0].text
    assert steps[0].page == "evaluate"


def test_credits_come_first_then_the_earliest_deadline_and_settled_bounties_say_nothing() -> None:
    from actions.home import next_steps

    later = _bounty(
        id=2, submission_deadline=T0 + 6000, reveal_deadline=T0 + 7000, evaluation_deadline=T0 + 9000
    )
    sooner = _bounty(id=3)
    done = _bounty(Phase.FINALIZED, id=4)
    finalizable = _bounty(Phase.FINALIZABLE, id=5)
    steps = next_steps(BOB, [later, sooner, done, finalizable], {}, 5 * 10**16, T0)
    assert _kinds(steps) == [("withdraw", None), ("join", 3), ("join", 2), ("finalize", 5)]
    assert steps[0].text == "Withdraw 0.05 ETH credited to you." and steps[0].page == "finalize"
