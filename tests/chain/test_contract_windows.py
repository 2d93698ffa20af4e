"""Every window edge: one second before and exactly at each deadline, for every time-bound call."""

from __future__ import annotations

import pytest

from tests.chain.conftest import EVALUATION, FINALIZABLE, REVEAL, SUBMISSION

KINDS = pytest.mark.parametrize("forward", [False, True], ids=["committed", "forward-test"])


def test_commit_closes_at_the_submission_deadline(board):
    b = board.create()
    early, late = board.people[:2]
    board.commit(b, early, at=b.sub - 1)
    err = board.expect(
        "SubmissionWindowClosed", board.fn.commit(b.id, board.commitment(b, late)), late, at=b.sub
    )
    assert err.args == {"bountyId": b.id, "deadline": b.sub, "now": b.sub}
    # a replacement is a commit too: closed at the deadline
    board.expect("SubmissionWindowClosed", board.fn.commit(b.id, board.commitment(b, early)), early)


def test_reveal_opens_at_the_submission_deadline_and_closes_at_the_reveal_deadline(board):
    b = board.create()
    first, second = board.people[:2]
    board.commit(b, first)
    board.commit(b, second)
    err = board.expect("RevealWindowNotOpen", board.fn.reveal(b.id, *_opening(first)), first, at=b.sub - 1)
    assert err.args["opensAt"] == b.sub and err.args["now"] == b.sub - 1
    board.reveal(b, first, at=b.sub)
    board.reveal(b, second, at=b.rev - 1)
    assert board.submission(b, second)["revealed"]


def test_reveal_closed_at_the_reveal_deadline(board):
    b = board.create()
    p = board.people[0]
    board.commit(b, p)
    err = board.expect("RevealWindowClosed", board.fn.reveal(b.id, *_opening(p)), p, at=b.rev)
    assert err.args == {"bountyId": b.id, "deadline": b.rev, "now": b.rev}


@KINDS
def test_test_data_reveal_is_refused_in_the_reveal_window_and_opens_at_the_reveal_deadline(board, forward):
    b = board.create(forward=forward)
    call = board.fn.revealTestData(b.id, b.test_digest, b.test_salt)
    for at in (b.sub - 1, b.sub, b.rev - 1):  # before and throughout the reveal window
        err = board.expect("TestDataRevealNotOpen", call, b.owner, at=at)
        assert err.args == {"bountyId": b.id, "opensAt": b.rev, "now": at}
    board.reveal_test_data(b, at=b.rev)
    view = board.bounty(b)
    assert view["testDataRevealed"] and view["testDataDigest"] == b.test_digest
    assert view["testDataCommitment"] == bytes(32) and view["forwardTest"] is forward


@KINDS
def test_test_data_reveal_window_closes_at_evaluation_deadline(board, forward):
    early, late = board.create(forward=forward), board.create(forward=forward)
    board.reveal_test_data(early, at=early.ev - 1)
    call = board.fn.revealTestData(late.id, late.test_digest, late.test_salt)
    board.expect("TestDataRevealClosed", call, late.owner, at=late.ev)


def test_post_scores_window_is_revealdeadline_to_evaluationdeadline(board):
    b = board.create()
    a, c, d = board.people[:3]
    for p in (a, c, d):
        board.commit(b, p)
    for p in (a, c, d):
        board.reveal(b, p, at=b.sub + 1 if p == a else None)
    err = board.expect("EvaluationWindowNotOpen", _scores(board, b, {a: 1}), b.owner, at=b.rev - 1)
    assert err.args["opensAt"] == b.rev
    board.reveal_test_data(b, at=b.rev)  # the test data opens the evaluation window, then scores follow
    board.post_scores(b, {a: 600_000}, at=b.rev + 1)
    board.post_scores(b, {c: 700_000}, at=b.ev - 1)
    err = board.expect("EvaluationWindowClosed", _scores(board, b, {d: 1}), b.owner, at=b.ev)
    assert err.args["deadline"] == b.ev


def test_finalize_with_unscored_reveals_waits_for_the_evaluation_deadline(board):
    b = board.create()
    p = board.people[0]
    board.commit(b, p)
    board.reveal(b, p, at=b.sub)
    err = board.expect("FinalizeTooEarly", board.fn.finalize(b.id), p, at=b.ev - 1)
    assert err.args == {"bountyId": b.id, "earliest": b.ev, "now": b.ev - 1}
    board.finalize(b, at=b.ev)


def test_finalize_without_reveals_opens_at_the_reveal_deadline(board):
    b = board.create()
    board.commit(b, board.people[0])
    err = board.expect("FinalizeTooEarly", board.fn.finalize(b.id), b.owner, at=b.rev - 1)
    assert err.args["earliest"] == b.rev
    board.finalize(b, at=b.rev)


def test_finalize_as_soon_as_every_reveal_is_scored(board):
    b = board.create()
    p, q = board.people[:2]
    board.commit(b, p)
    board.commit(b, q)
    board.reveal(b, p, at=b.sub)
    board.reveal(b, q)
    board.reveal_test_data(b, at=b.rev)
    board.post_scores(b, {p: 900_000})
    assert board.phase(b) == EVALUATION  # q is not scored yet
    board.expect("FinalizeTooEarly", board.fn.finalize(b.id), p)
    board.post_scores(b, {q: 800_000})
    assert board.phase(b) == FINALIZABLE
    board.finalize(b)  # well before the evaluation deadline
    assert board.now() < b.ev


def test_cancel_closes_at_the_submission_deadline(board):
    early, late = board.create(), board.create()
    board.send(board.fn.cancel(early.id), early.owner, at=early.sub - 1)
    err = board.expect("CancelNotAllowed", board.fn.cancel(late.id), late.owner, at=late.sub)
    assert err.args["submissionDeadline"] == late.sub and err.args["now"] == late.sub


def test_phase_follows_the_clock(board):
    b = board.create()
    assert board.phase(b) == SUBMISSION
    board.chain.set_next_timestamp(b.sub)
    board.chain.mine()
    assert board.phase(b) == REVEAL
    board.chain.set_next_timestamp(b.rev)
    board.chain.mine()
    assert board.phase(b) == FINALIZABLE  # nobody revealed: nothing left to evaluate


def _opening(who):
    from tests.chain.conftest import HP, salt_for

    return HP, salt_for(who)


def _scores(board, b, scores):
    return board.fn.postScores(b.id, list(scores), list(scores.values()), b"\x01" * 32)


# ---------------------------------------------------------------- bounded windows

MIN_WINDOW = 300  # five minutes
MAX_DURATION = 365 * 86400


def _create(board, sub, rev, ev):
    return board.fn.createBounty(b"\x01" * 32, b"\x02" * 32, 1, 1, 1, sub, rev, ev, 0)


def test_the_window_bounds_are_public_constants(board):
    assert board.fn.MIN_WINDOW_SECONDS().call() == MIN_WINDOW
    assert board.fn.MAX_BOUNTY_DURATION().call() == MAX_DURATION


@pytest.mark.parametrize("window", ["submission", "reveal", "evaluation"])
def test_a_window_shorter_than_five_minutes_is_refused_and_exactly_five_accepted(board, window):
    names = ["submission", "reveal", "evaluation"]
    lengths = [MIN_WINDOW - 1 if name == window else 1000 for name in names]
    now = board.now() + 1
    sub = now + lengths[0]
    rev = sub + lengths[1]
    err = board.expect("WindowTooShort", _create(board, sub, rev, rev + lengths[2]), board.owner, 1, at=now)
    assert err.args == {"window": window, "length": MIN_WINDOW - 1, "minimum": MIN_WINDOW}
    # exactly five minutes, counted from the creating block for the submission window
    b = board.create(windows=tuple(MIN_WINDOW if name == window else 1000 for name in names))
    view = board.bounty(b)
    assert (view["submissionDeadline"], view["revealDeadline"], view["evaluationDeadline"]) == (
        b.sub,
        b.rev,
        b.ev,
    )


def test_every_window_at_the_minimum_is_accepted(board):
    b = board.create(windows=(MIN_WINDOW, MIN_WINDOW, MIN_WINDOW), forward=True)
    assert board.phase(b) == SUBMISSION and b.ev - b.sub == 2 * MIN_WINDOW


def test_evaluation_deadline_at_most_365_days_after_creation(board):
    now = board.now() + 1
    too_late = now + MAX_DURATION + 1
    err = board.expect(
        "DeadlineTooLate", _create(board, now + 1000, now + 2000, too_late), board.owner, 1, at=now
    )
    assert err.args == {"name": "evaluationDeadline", "deadline": too_late, "latest": now + MAX_DURATION}
    # far beyond what the packed deadlines hold: the same sentence, not a silent truncation
    err = board.expect("DeadlineTooLate", _create(board, now + 1000, now + 2000, 2**40), board.owner, 1)
    assert err.args["deadline"] == 2**40
    b = board.create(windows=(1000, 1000, MAX_DURATION - 2000))  # exactly 365 days after creation
    assert board.bounty(b)["evaluationDeadline"] == b.ev == b.sub - 1000 + MAX_DURATION


def test_order_is_checked_before_length(board):
    now = board.now() + 1
    err = board.expect(
        "DeadlineTooEarly", _create(board, now + 1000, now + 900, now + 2000), board.owner, 1, at=now
    )
    assert err.args == {"name": "revealDeadline", "deadline": now + 900, "mustBeAfter": now + 1000}
