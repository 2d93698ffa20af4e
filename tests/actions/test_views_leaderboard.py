"""The leaderboard's one order (actions.views.rank_leaderboard): the contract's winner rule."""

from __future__ import annotations

from actions.views import rank_leaderboard

A, B, C, D = ("0x" + c * 40 for c in "abcd")
BAR = 300_000


def _row(who: str, score: int | None, status: str = "scored") -> dict:
    return {"participant": who, "status": status, "score_ppm": score}


def test_highest_score_first_equal_scores_by_first_commit_failed_last():
    rows = [_row(A, 500_000), _row(B, 600_000), _row(C, None, "failed"), _row(D, 600_000)]
    ranked = rank_leaderboard(rows, BAR, commit_order={D: 1, B: 2, A: 3, C: 4})
    assert [r["participant"] for r in ranked] == [D, B, A, C], "D committed before B: D wins the tie"
    assert [r["rank"] for r in ranked] == [1, 2, 3, 4]
    assert rows[0] == _row(A, 500_000), "the input rows are left as they are"


def test_the_order_is_the_same_whatever_order_the_rows_come_in():
    rows = [_row(A, 500_000), _row(B, 600_000), _row(C, 600_000), _row(D, None, "failed")]
    orders = {A: 1, B: 3, C: 2, D: 4}
    first = [r["participant"] for r in rank_leaderboard(rows, BAR, orders)]
    assert first == [r["participant"] for r in rank_leaderboard(rows[::-1], BAR, orders)] == [C, B, A, D]


def test_the_winner_is_rank_one_when_it_reaches_the_bar_and_the_viewer_is_flagged():
    ranked = rank_leaderboard([_row(A, 400_000), _row(B, 350_000)], BAR, viewer=B.upper())
    assert [r["winner"] for r in ranked] == [True, False]
    assert [r["you"] for r in ranked] == [False, True], "addresses compared in any case"
    below = rank_leaderboard([_row(A, 200_000), _row(B, 100_000)], BAR)
    assert not any(r["winner"] for r in below), "no score reaches the bar: no winner"
    failed = rank_leaderboard([_row(A, None, "failed")], BAR)
    assert not failed[0]["winner"] and not failed[0]["you"]
