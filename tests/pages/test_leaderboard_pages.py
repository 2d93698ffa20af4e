"""Evaluate and Explorer leaderboards from a report: 95 % intervals, baselines, the bar, the tied group.

The report is written by hand (tests/pages/reports.py) and put where each page reads it: the
evaluation job's result for Evaluate (a job that reports progress, then waits for the test to
let it finish), the report posted with the scores on chain for Explorer.
"""

from __future__ import annotations

import json
import threading

from actions import evaluation, submissions
from actions.session import get_backend
from tests.actions import scenario
from tests.pages import reports
from tests.pages.harness import errors, open_page, tables_text, texts


def _figure(at, title: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if (spec["layout"].get("title") or {}).get("text") == title:
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def _names(spec: dict) -> list[str]:
    return [trace.get("name", "") for trace in spec["data"]]


def _assert_leaderboard(at) -> None:
    """What a person reads: intervals, baselines, the bar, the tied group, the failure and its 0."""
    assert not errors(at), errors(at)
    spec = _figure(at, "Test accuracy with 95 % intervals")
    names = _names(spec)
    tied = spec["data"][names.index("tied with the leader")]
    assert tied["x"] == [0, 1] and tied["error_y"]["array"], "the tied group, with error bars"
    assert "scored" in names and "failed (scored 0)" in names
    for _, label, score, _ in reports.BASELINES:
        assert f"{label} {score / 10_000:.2f} %" in names
    assert "bar (minimum accuracy) 30.00 %" in names
    table = next(d.value for d in at.dataframe if "tied with leader" in d.value.columns)
    assert list(table["tied with leader"]) == [True, True, False, False]
    low, high = reports.interval(581_000, 20_000)
    assert table["95 % interval"].iloc[0] == f"{low / 10_000:.2f} – {high / 10_000:.2f} %"
    assert list(table["± SE (points)"].iloc[:3]) == [2.0, 2.1, 1.9]
    failed = table.iloc[3]
    assert failed["status"] == "failed" and failed["accuracy %"] == 0.0 and failed["error"] == reports.FAILURE
    shown = tables_text(at)
    for _, label, _, _ in reports.BASELINES:
        assert label in shown
    assert "95 % of the time the true accuracy lies in this range" in texts(at)
    assert "tied with leader" in texts(at)


def test_evaluate_shows_the_cells_counter_while_running_then_intervals_baselines_and_ties():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    people = [s.address for s in b.dev_senders()[1:5]]
    release = threading.Event()

    def work(progress):
        rows = {
            "sub:0": {
                "participant": people[0],
                "state": "training",
                "fraction": 0.6,
                "error": "",
                "epoch": "1/1",
                "cells": "3/4",
            },
            "sub:1": {"participant": people[1], "state": "queued", "fraction": 0.0, "error": ""},
        }
        progress(0.3, "training", **rows)
        release.wait(600)
        return reports.report(people)

    b.jobs.start(evaluation.evaluation_key(bounty_id), f"Evaluate bounty {bounty_id}", work)
    try:
        at = open_page("evaluate", account=b.accounts()[0].address, bounty_id=bounty_id)
        progress = next(d.value for d in at.dataframe if "cells" in d.value.columns)
        assert list(progress["cells"]) == ["3/4", "0/4"] and list(progress["epoch"]) == ["1/1", ""]
        assert "Participant 1" in list(progress["participant"])
        assert "Leaderboard" not in texts(at), "no leaderboard before the evaluation is done"
    finally:
        release.set()
    b.jobs.wait(evaluation.evaluation_key(bounty_id), timeout=60)
    at.run()
    _assert_leaderboard(at)
    assert "Participant 1" in tables_text(at) and people[0] in tables_text(at)
    assert "training seeds from block #8" in texts(at)


def test_evaluate_shows_an_older_report_without_intervals_or_baselines():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    people = [s.address for s in b.dev_senders()[1:5]]
    b.jobs.start(
        evaluation.evaluation_key(bounty_id), "Evaluate", lambda progress: reports.older_report(people)
    )
    b.jobs.wait(evaluation.evaluation_key(bounty_id), timeout=60)
    at = open_page("evaluate", account=b.accounts()[0].address, bounty_id=bounty_id)
    assert not errors(at), errors(at)
    table = next(d.value for d in at.dataframe if "tied with leader" in d.value.columns)
    assert list(table["rank"]) == [1, 2, 3, 4] and not table["you"].any(), "the owner has no row"
    assert "no error bars and no baselines (an older report format)" in texts(at)
    names = _names(_figure(at, "Test accuracy with 95 % intervals"))
    assert names == ["scored", "failed (scored 0)", "bar (minimum accuracy) 30.00 %"]
    table = next(d.value for d in at.dataframe if "tied with leader" in d.value.columns)
    assert table.iloc[3]["accuracy %"] == 0.0 and table.iloc[3]["error"] == reports.FAILURE


def test_explorer_shows_the_posted_report_with_intervals_baselines_and_the_posted_scores():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    senders = b.dev_senders()[1:5]
    for sender in senders:
        outcome = submissions.plan_commit(b, sender, bounty_id, scenario.HP_A).execute()
        assert outcome.ok, outcome.error
    b.chain.advance_time(601)
    for sender in senders:
        outcome = submissions.plan_reveal(b, sender, bounty_id).execute()
        assert outcome.ok, outcome.error
    b.chain.advance_time(601)
    scenario.reveal_test_data(b, bounty_id)
    people = [s.address for s in senders]
    board = reports.report(people)
    outcome = evaluation.plan_post_scores(b, b.dev_senders()[0], bounty_id, board).execute()
    assert outcome.ok, outcome.error

    at = open_page("explorer", account=people[1], bounty_id=bounty_id)
    _assert_leaderboard(at)
    table = next(d.value for d in at.dataframe if "tied with leader" in d.value.columns)
    assert list(table["posted %"]) == [58.1, 56.2, 48.0, 0.0], "the failed one was posted as 0"
    assert "Evaluation report" in texts(at)
    _assert_one_order_winner_and_you(at, table)


def _assert_one_order_winner_and_you(at, table) -> None:
    """Rank, label and score first; the chart's ticks in the table's order; the winner; your row."""
    assert list(table.columns[:5]) == ["rank", "participant", "accuracy %", "95 % interval", "winner"]
    assert list(table["participant"]) == [
        "Participant 1",
        "Participant 2 (you)",
        "Participant 3",
        "Participant 4",
    ]
    ticks = _figure(at, "Test accuracy with 95 % intervals")["layout"]["xaxis"]["ticktext"]
    assert [t.removeprefix("<b>").removesuffix("</b>") for t in ticks] == list(table["participant"])
    assert list(table["winner"] != "") == [True, False, False, False]
    assert list(table["you"]) == [False, True, False, False]
    board = next(
        d.value for d in at.dataframe if "commit #" in d.value.columns and "revealed" in d.value.columns
    )
    assert list(board["participant"]) == ["Participant 1", "Participant 2", "Participant 3", "Participant 4"]
