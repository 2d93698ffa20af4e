"""The background-job runner: threads and spawned worker processes, progress, results, errors; the
kept (warm) worker that serves one process job after another."""

from __future__ import annotations

import os
import threading

import pytest

from actions.jobs import CANCELLED, DONE, FAILED, JobRunner
from ml import executor as ml_executor
from settings import Settings
from tests.actions import jobhelpers
from tests.tooling import wait_until


@pytest.fixture
def runner():
    """A runner closed after its test, so its kept worker does not live on for the session."""
    runner = JobRunner()
    yield runner
    runner.close()


def test_thread_job_reports_progress_curves_and_result(runner):
    runner.start("count", "Counting", jobhelpers.count, 4)
    view = runner.wait("count", timeout=10)
    assert view.state == DONE
    assert view.result["n"] == 4 and view.result["pid"] == os.getpid()
    assert view.fraction == 1.0 and view.detail["step"] == 4
    assert [p["epoch"] for p in view.curves["loss"]] == [1, 2, 3, 4]


def test_same_key_while_active_returns_the_running_job(runner):
    first = runner.start("slow", "Slow", jobhelpers.count, 20, 0.02)
    second = runner.start("slow", "Slow", jobhelpers.count, 1)
    assert second.id == first.id
    assert runner.wait("slow", timeout=10).result["n"] == 20


def test_failure_becomes_a_plain_sentence(runner):
    runner.start("bad", "Bad", jobhelpers.fail)
    view = runner.wait("bad", timeout=10)
    assert view.state == FAILED
    assert view.error == "The price file has no rows; upload a CSV with at least one candle."


def test_cancel_stops_a_thread_job(runner):
    runner.start("forever", "Forever", jobhelpers.sleep_forever)
    runner.cancel("forever")
    assert runner.wait("forever", timeout=10).state == CANCELLED


def test_process_job_runs_in_a_spawned_worker_and_streams_progress(runner):
    runner.start("proc", "Process", jobhelpers.count, 3, process=True)
    view = runner.wait("proc", timeout=60)
    assert view.state == DONE, view.error
    assert view.result["pid"] != os.getpid()
    assert len(view.curves["loss"]) == 3 and view.detail["step"] == 3


def test_process_failure_and_crash_are_reported(runner):
    runner.start("pfail", "Fail", jobhelpers.fail, process=True)
    assert "no rows" in runner.wait("pfail", timeout=60).error
    runner.start("pdie", "Die", jobhelpers.die, process=True)
    view = runner.wait("pdie", timeout=60)
    assert view.state == FAILED and "exit code 3" in view.error


def test_process_job_can_be_cancelled(runner):
    runner.start("pforever", "Forever", jobhelpers.sleep_forever, process=True)
    runner.cancel("pforever")
    assert runner.wait("pforever", timeout=60).state == CANCELLED
    runner.forget("pforever")
    assert runner.get("pforever") is None


def _thread_ended(name: str) -> bool:
    return not any(thread.name == name for thread in threading.enumerate())


def test_one_warm_worker_serves_job_after_job_after_their_threads_end():
    runner = JobRunner()
    try:
        runner.start("first", "First", jobhelpers.count, 2, process=True)
        first = runner.wait("first", timeout=60)
        assert wait_until(lambda: _thread_ended("job-first"), timeout=30)  # the starting thread is gone
        runner.start("second", "Second", jobhelpers.count, 2, process=True)
        second = runner.wait("second", timeout=60)
    finally:
        runner.close()
    assert first.state == second.state == DONE, (first.error, second.error)
    assert first.result["pid"] == second.result["pid"] != os.getpid()


def test_a_cancelled_job_leaves_the_worker_to_the_next_job():
    runner = JobRunner()
    try:
        runner.start("forever", "Forever", jobhelpers.sleep_forever, process=True)
        assert wait_until(lambda: runner.get("forever").message == "sleeping", timeout=60)
        runner.cancel("forever")
        assert runner.wait("forever", timeout=60).state == CANCELLED
        runner.start("next", "Next", jobhelpers.count, 1, process=True)
        after = runner.wait("next", timeout=60)
        runner.start("again", "Again", jobhelpers.count, 1, process=True)
        again = runner.wait("again", timeout=60)
    finally:
        runner.close()
    assert after.state == DONE and again.result["pid"] == after.result["pid"]


def test_a_job_deaf_to_its_cancel_is_killed_and_a_fresh_worker_takes_the_next(monkeypatch):
    monkeypatch.setattr(ml_executor, "CANCEL_GRACE_S", 0.5)
    runner = JobRunner()
    try:
        runner.start("before", "Before", jobhelpers.count, 1, process=True)
        before = runner.wait("before", timeout=60).result["pid"]
        runner.start("deaf", "Deaf", jobhelpers.block, process=True)
        assert wait_until(lambda: runner.get("deaf").message == "blocking", timeout=60)
        runner.cancel("deaf")
        assert runner.wait("deaf", timeout=60).state == CANCELLED
        runner.start("after", "After", jobhelpers.count, 1, process=True)
        after = runner.wait("after", timeout=60)
    finally:
        runner.close()
    assert after.state == DONE and after.result["pid"] != before


@pytest.mark.slow
def test_prewarm_starts_the_worker_with_keras_before_the_first_job():
    runner = JobRunner()
    try:
        assert runner.prewarm(modules=("tests.actions.jobhelpers",))
        runner.start("first", "First", jobhelpers.loaded, process=True)
        view = runner.wait("first", timeout=300)
        assert not runner.prewarm()  # kept already: nothing to start
    finally:
        runner.close()
    assert view.state == DONE, view.error
    assert view.result["keras"] and view.result["pid"] != os.getpid()


@pytest.mark.slow
def test_trials_share_the_warm_worker_and_fill_the_compile_cache_under_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    runner = JobRunner()
    try:
        runner.start("trial", "Trial", jobhelpers.tiny_trial, settings, process=True)
        first = runner.wait("trial", timeout=600)
        runner.start("trial", "Trial", jobhelpers.tiny_trial, settings, process=True)
        second = runner.wait("trial", timeout=600)
    finally:
        runner.close()
    assert first.state == second.state == DONE, (first.error, second.error)
    assert first.result["pid"] == second.result["pid"]
    assert first.result["val_accuracy_ppm"] == second.result["val_accuracy_ppm"]
    assert any(settings.path("cache", "xla").iterdir()), "no compiled program was kept under the data dir"
