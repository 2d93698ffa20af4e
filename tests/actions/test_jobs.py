"""The background-job runner: threads and spawned worker processes, progress, results, errors."""

from __future__ import annotations

import os

from actions.jobs import CANCELLED, DONE, FAILED, JobRunner
from tests.actions import jobhelpers


def test_thread_job_reports_progress_curves_and_result():
    runner = JobRunner()
    runner.start("count", "Counting", jobhelpers.count, 4)
    view = runner.wait("count", timeout=10)
    assert view.state == DONE
    assert view.result["n"] == 4 and view.result["pid"] == os.getpid()
    assert view.fraction == 1.0 and view.detail["step"] == 4
    assert [p["epoch"] for p in view.curves["loss"]] == [1, 2, 3, 4]


def test_same_key_while_active_returns_the_running_job():
    runner = JobRunner()
    first = runner.start("slow", "Slow", jobhelpers.count, 20, 0.02)
    second = runner.start("slow", "Slow", jobhelpers.count, 1)
    assert second.id == first.id
    assert runner.wait("slow", timeout=10).result["n"] == 20


def test_failure_becomes_a_plain_sentence():
    runner = JobRunner()
    runner.start("bad", "Bad", jobhelpers.fail)
    view = runner.wait("bad", timeout=10)
    assert view.state == FAILED
    assert view.error == "The price file has no rows; upload a CSV with at least one candle."


def test_cancel_stops_a_thread_job():
    runner = JobRunner()
    runner.start("forever", "Forever", jobhelpers.sleep_forever)
    runner.cancel("forever")
    assert runner.wait("forever", timeout=10).state == CANCELLED


def test_process_job_runs_in_a_spawned_worker_and_streams_progress():
    runner = JobRunner()
    runner.start("proc", "Process", jobhelpers.count, 3, process=True)
    view = runner.wait("proc", timeout=60)
    assert view.state == DONE, view.error
    assert view.result["pid"] != os.getpid()
    assert len(view.curves["loss"]) == 3 and view.detail["step"] == 3


def test_process_failure_and_crash_are_reported():
    runner = JobRunner()
    runner.start("pfail", "Fail", jobhelpers.fail, process=True)
    assert "no rows" in runner.wait("pfail", timeout=60).error
    runner.start("pdie", "Die", jobhelpers.die, process=True)
    view = runner.wait("pdie", timeout=60)
    assert view.state == FAILED and "exit code 3" in view.error


def test_process_job_can_be_cancelled():
    runner = JobRunner()
    runner.start("pforever", "Forever", jobhelpers.sleep_forever, process=True)
    runner.cancel("pforever")
    assert runner.wait("pforever", timeout=60).state == CANCELLED
    runner.forget("pforever")
    assert runner.get("pforever") is None
