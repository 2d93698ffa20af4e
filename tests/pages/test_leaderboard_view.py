"""The leaderboard chart and tables built from an evaluation report (ui.charts, ui.leaderboard,
ui.evaluation), no page."""

from __future__ import annotations

import pytest

from actions.evaluation import baselines_from_report, leaderboard_from_report
from tests.pages import reports
from ui import charts, evaluation, leaderboard

PEOPLE = ["0x" + c * 40 for c in "1234"]
BAR = 300_000


def _traces(fig) -> dict[str, object]:
    return {trace.name: trace for trace in fig.data}


def _figure(report):
    rows = leaderboard_from_report(report)
    for n, row in enumerate(rows, start=1):
        row["label"] = f"P{n}"
    return charts.leaderboard(rows, BAR, baselines_from_report(report))


def test_scores_carry_their_95_percent_interval_as_error_bars_and_the_tied_group_its_own_colour():
    fig = _figure(reports.report(PEOPLE))
    traces = _traces(fig)
    tied, behind = traces["tied with the leader"], traces["scored"]
    assert list(tied.x) == [0, 1] and list(behind.x) == [2]
    assert list(tied.y) == pytest.approx([58.1, 56.2]) and list(behind.y) == pytest.approx([48.0])
    for trace, scores, errors in (
        (tied, reports.SCORES[:2], reports.STDERR[:2]),
        (behind, reports.SCORES[2:], reports.STDERR[2:]),
    ):
        low_high = [reports.interval(s, e) for s, e in zip(scores, errors, strict=True)]
        assert trace.error_y.visible is not False and trace.error_y.symmetric is False
        assert list(trace.error_y.array) == pytest.approx(
            [(hi - s) / 10_000 for s, (_, hi) in zip(scores, low_high, strict=True)]
        )
        assert list(trace.error_y.arrayminus) == pytest.approx(
            [(s - lo) / 10_000 for s, (lo, _) in zip(scores, low_high, strict=True)]
        )
    assert tied.marker.color != behind.marker.color
    assert list(fig.layout.xaxis.ticktext) == ["P1", "P2", "P3", "P4"]


def test_a_failed_training_is_drawn_at_zero_with_its_reason():
    failed = _traces(_figure(reports.report(PEOPLE)))["failed (scored 0)"]
    assert list(failed.x) == [3] and list(failed.y) == [0.0]
    assert reports.FAILURE in failed.hovertext[0]


def test_baselines_and_the_bar_are_horizontal_lines_labelled_with_their_names():
    traces = _traces(_figure(reports.report(PEOPLE)))
    for _, label, score, _ in reports.BASELINES:
        (line,) = [t for t in traces.values() if t.text is not None and label in t.text]
        assert list(line.y) == pytest.approx([score / 10_000] * 2)
        assert list(line.x) == [-0.5, 3.5], "across every submission"
        assert line.mode == "lines+text"
    (bar,) = [t for name, t in traces.items() if name.startswith("bar (minimum accuracy)")]
    assert list(bar.y) == pytest.approx([30.0, 30.0])


def test_an_older_report_without_intervals_or_baselines_draws_plain_points_and_the_bar():
    fig = _figure(reports.older_report(PEOPLE))
    traces = _traces(fig)
    assert set(traces) == {"scored", "failed (scored 0)", "bar (minimum accuracy) 30.00 %"}
    assert traces["scored"].error_y.array is None
    assert list(traces["scored"].y) == pytest.approx([58.1, 56.2, 48.0])


def test_leaderboard_rows_give_score_stderr_interval_auc_tie_and_failure():
    ranked = leaderboard.ranked(leaderboard.report_entries(reports.report(PEOPLE)), BAR)
    rows = leaderboard.table_rows(ranked, BAR, posted={PEOPLE[0].upper(): 581_000})
    first, second, third, failed = rows
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert first["accuracy %"] == 58.1 and first["± SE (points)"] == 2.0
    low, high = reports.interval(581_000, 20_000)
    assert first["95 % interval"] == f"{low / 10_000:.2f} – {high / 10_000:.2f} %"
    assert first["AUC"] == 0.612 and first["posted %"] == 58.1
    assert [r["tied with leader"] for r in rows] == [True, True, False, False]
    assert failed["status"] == "failed" and failed["accuracy %"] == 0.0 and failed["error"] == reports.FAILURE
    assert failed["95 % interval"] == "" and not failed["meets bar"] and third["meets bar"]
    assert second["posted %"] is None, "not posted on chain"


def test_baseline_rows_and_an_older_report_without_them():
    rows = leaderboard.baseline_rows(baselines_from_report(reports.report(PEOPLE)))
    assert [r["baseline"] for r in rows] == [label for _, label, _, _ in reports.BASELINES]
    assert rows[0]["accuracy %"] == 51.0 and rows[0]["± SE (points)"] == 2.5
    assert leaderboard.baseline_rows(baselines_from_report(reports.older_report(PEOPLE))) == []
    older = leaderboard.ranked(leaderboard.report_entries(reports.older_report(PEOPLE)), BAR)
    old = leaderboard.table_rows(older, BAR)
    assert old[0]["95 % interval"] == "" and old[0]["± SE (points)"] is None and old[-1]["accuracy %"] == 0.0


def test_progress_rows_count_cells_while_running_and_when_finished():
    running = [
        {
            "participant": PEOPLE[0],
            "state": "training",
            "fraction": 0.4,
            "error": "",
            "epoch": "1/1",
            "cells": "1/4",
        },
        {"participant": PEOPLE[1], "state": "queued", "fraction": 0.0, "error": ""},
    ]
    shown = evaluation.progress_rows(running, str)
    assert [r["cells"] for r in shown] == ["1/4", "0/4"]
    assert shown[0]["participant"] == PEOPLE[0] and shown[0]["epoch"] == "1/1"
    finished = [
        {"participant": PEOPLE[0], "state": "scored", "fraction": 1.0, "error": ""},
        {"participant": PEOPLE[3], "state": "failed", "fraction": 1.0, "error": "boom"},
    ]
    done = evaluation.progress_rows(finished, str, reports.report(PEOPLE))
    assert [r["cells"] for r in done] == ["4/4", "0/4"]
    assert evaluation.progress_rows(finished, str)[0]["cells"] == "", "no total known: nothing made up"


def test_the_chart_draws_the_points_in_the_tables_order_with_the_winner_and_your_row_marked():
    ranked = leaderboard.ranked(
        leaderboard.report_entries(reports.report(PEOPLE)),
        BAR,
        lambda a: f"P{PEOPLE.index(a) + 1}",
        viewer=PEOPLE[1],
    )
    table = leaderboard.table_rows(ranked, BAR)
    fig = charts.leaderboard(ranked, BAR, baselines_from_report(reports.report(PEOPLE)))
    ticks = [t.removeprefix("<b>").removesuffix("</b>") for t in fig.layout.xaxis.ticktext]
    assert ticks == [r["participant"] for r in table] == ["P1", "P2 (you)", "P3", "P4"]
    assert fig.layout.xaxis.ticktext[1] == "<b>P2 (you)</b>", "your own tick in bold"
    assert [r["winner"] for r in table] == [leaderboard.WINNER, "", "", ""]
    assert [r["you"] for r in table] == [False, True, False, False]
    (mark,) = [a for a in fig.layout.annotations if "winner" in a.text]
    assert mark.x == 0 and mark.y == pytest.approx(58.1)
