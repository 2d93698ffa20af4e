"""The executor seam without a cluster: inline (unit tests), the local pool's bookkeeping, timeouts."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ml import executor as ex
from ml.executor import (
    CANCELLED,
    DONE,
    FAILED,
    PROGRESS,
    STARTED,
    InlineExecutor,
    LocalPoolExecutor,
    Task,
    TaskEvent,
    _requeue_lost,
    _sendable,
    _Worker,
    ray_init_address,
)
from ml.runner import Submission, evaluate_submissions
from protocol import Hyperparameters
from tests.ml.conftest import data_dir

HANG_UNITS = 17


def double(payload, shared, report):
    report({"half": payload})
    return {"value": payload * 2 + shared.get("offset", 0), "pid": os.getpid()}


def fail(payload, shared, report):
    raise ValueError("the price file has no rows")


def hang(payload, shared, report):
    while True:
        time.sleep(0.1)


def hang_reporting(payload, shared, report):
    while True:
        report({"still": "here"})
        time.sleep(0.05)


def hanging_trainer(manifest, prepared, hp, progress=None, seed=None, xla_cache_dir=None):
    """A trainer for ml.runner that hangs, as a deadlocked training would (never reports)."""
    while True:
        time.sleep(0.1)


def collect(executor, tasks, stop=None) -> list[TaskEvent]:
    events: list[TaskEvent] = []
    executor.run(tasks, events.append, stop)
    return events


def by_kind(events: list[TaskEvent], kind: str) -> dict:
    return {e.key: e for e in events if e.kind == kind}


def test_inline_runs_tasks_in_this_process_with_progress_and_shared_values():
    with InlineExecutor() as executor:
        executor.share("offset", 100)
        events = collect(executor, [Task(1, double, 5, shared=("offset",)), Task(2, fail)])
    done, failed = by_kind(events, DONE), by_kind(events, FAILED)
    assert done[1].value == {"value": 110, "pid": os.getpid()}
    assert [e.value for e in events if e.kind == PROGRESS] == [{"half": 5}]
    assert failed[2].error == "ValueError: the price file has no rows"
    assert by_kind(events, STARTED)[1].where["versions"]["python"]
    assert executor.describe()["executor"] == "inline"


def test_inline_timeout_is_checked_when_the_task_reports():
    with InlineExecutor(timeout_s=0.2) as executor:
        events = collect(executor, [Task("slow", hang_reporting)])
    assert "did not finish within 0.2 s" in by_kind(events, FAILED)["slow"].error


def test_a_cell_whose_result_was_lost_is_run_again_instead_of_waiting_for_ever():
    tasks = [Task(key=i, fn=double, payload=i) for i in range(3)]
    idle = _Worker(process=None, tasks=None)  # type: ignore[arg-type]
    todo: list[Task] = []
    _requeue_lost(tasks, todo, {tasks[0].key}, [idle])
    assert todo == tasks[1:]  # no worker holds them and none is waiting: lost, so queued again
    busy = _Worker(process=None, tasks=None, holding=tasks[2])  # type: ignore[arg-type]
    todo = []
    _requeue_lost(tasks, todo, {tasks[0].key}, [busy])
    assert todo == []  # a worker is still running one: nothing is lost yet
    _requeue_lost(tasks, todo, {t.key for t in tasks}, [idle])
    assert todo == []


def test_a_result_that_cannot_be_sent_back_is_reported_as_a_failure_not_dropped():
    fine = {"curves": [0.5]}
    assert _sendable("k", fine) == ("result", "k", fine)
    kind, key, error = _sendable("k", {"callback": lambda: None})
    assert (kind, key) == ("error", "k")
    assert error.startswith("The training finished but its result could not be sent back")


def test_ray_addresses_are_checked_in_words():
    assert ray_init_address("auto") == "auto"
    assert ray_init_address("ray://head:10001") == "ray://head:10001"
    assert ray_init_address("10.0.0.5:6379") == "10.0.0.5:6379"
    with pytest.raises(ValueError, match="is not a Ray address"):
        ray_init_address("head")


def test_without_a_ray_address_the_default_is_the_local_pool_or_inline(monkeypatch):
    import settings

    monkeypatch.delenv("HYPERBOUNTY_RAY_ADDRESS", raising=False)
    monkeypatch.setenv("HYPERBOUNTY_TASK_TIMEOUT_S", "12")
    settings.get_settings.cache_clear()
    inline = ex.default_executor(workers=0)
    assert isinstance(inline, InlineExecutor) and inline.timeout_s == 12.0


@pytest.mark.slow
def test_pool_streams_progress_fails_in_words_and_times_out_a_hung_task():
    with LocalPoolExecutor(workers=2, timeout_s=3) as executor:
        executor.share("offset", 1)
        tasks = [Task("a", double, 2, shared=("offset",)), Task("b", fail), Task("c", hang, label="cell c")]
        events = collect(executor, tasks)
        again = collect(executor, [Task("d", double, 3)])  # a fresh worker replaced the stopped one
    done, failed = by_kind(events, DONE), by_kind(events, FAILED)
    assert done["a"].value["value"] == 5 and done["a"].value["pid"] != os.getpid()
    assert failed["b"].error == "ValueError: the price file has no rows"
    assert "did not finish within 3 s" in failed["c"].error
    assert "HYPERBOUNTY_TASK_TIMEOUT_S" in failed["c"].error
    assert by_kind(again, DONE)["d"].value["value"] == 6
    assert executor.describe()["nodes"][0]["versions"]["numpy"]


def size_of_shared(payload, shared, report):
    return len(shared["big"])


class _DeadButSaidAlive:
    """A dead worker's process, reported alive once: the worker dies between the pool's liveness
    check and its send, the race a loaded machine can produce."""

    def __init__(self, process):
        self._process, self._lies = process, 1

    def is_alive(self):
        if self._lies:
            self._lies -= 1
            return True
        return self._process.is_alive()

    def __getattr__(self, name):
        return getattr(self._process, name)


def test_a_worker_that_died_before_reading_a_large_share_is_replaced_not_waited_on():
    big = bytes(8 * 1024 * 1024)  # far more than a pipe holds: sent to a dead reader, it used to block
    with LocalPoolExecutor(workers=1, threads=1) as executor:
        worker = executor._pool[0]
        worker.process.kill()
        worker.process.join()
        worker.process = _DeadButSaidAlive(worker.process)
        executor.share("big", big)
        events = collect(executor, [Task("t", size_of_shared, None, shared=("big",))])
        fresh = executor._pool[0]
    assert by_kind(events, DONE)["t"].value == len(big)
    assert fresh is not worker


@pytest.mark.slow
def test_pool_cancels_a_running_task_at_its_next_report():
    with LocalPoolExecutor(workers=1) as executor:
        executor.submit(Task("long", hang_reporting))
        deadline = time.monotonic() + 60
        events: list[TaskEvent] = []
        while not any(e.kind == PROGRESS for e in events) and time.monotonic() < deadline:
            events += executor.poll(0.2)
        executor.cancel("long")
        while not any(e.final for e in events) and time.monotonic() < deadline:
            events += executor.poll(0.2)
    assert [e.kind for e in events if e.final] == [CANCELLED]


@pytest.mark.slow
def test_a_lasting_pool_outlives_the_thread_that_started_it():
    """Its worker takes the parent-death signal, which the kernel ties to the starting thread."""
    made: list[tuple[LocalPoolExecutor, list[TaskEvent]]] = []

    def start_and_run_one() -> None:  # the worker is up and has its signal set before the thread ends
        executor = LocalPoolExecutor(workers=1, lasting=True)
        made.append((executor, collect(executor, [Task("a", double, 1)])))

    starter = threading.Thread(target=start_and_run_one)
    starter.start()
    starter.join()
    executor, first = made[0]
    with executor:
        second = collect(executor, [Task("b", double, 2)])
    assert by_kind(second, DONE)["b"].value["pid"] == by_kind(first, DONE)["a"].value["pid"]


@pytest.mark.slow
def test_a_hung_cell_times_out_and_its_submission_fails_naming_the_cell(tiny_task, tmp_path):
    manifest, files = tiny_task
    hp = Hyperparameters(lstm_layers=1, lstm_units=HANG_UNITS)
    with data_dir(tmp_path):
        report = evaluate_submissions(
            manifest,
            files,
            [Submission("0x" + "a" * 40, hp)],
            workers=1,
            trainer="tests.ml.test_executor:hanging_trainer",
            task_timeout_s=3,
        )
    result = report.submissions[0]
    assert result.status == "failed" and result.score_ppm == 0
    assert "did not finish within 3 s" in result.error
    assert f"(era 0, seed {manifest.evaluation.seed})" in result.error
    assert report.runner["executor"] == "pool" and report.runner["timeout_s"] == 3


def test_a_report_says_where_it_trained_and_an_older_one_still_loads():
    from ml.runner import EvaluationReport

    old = {
        "manifest_cid": "QmManifest",
        "test_cid": "QmTest",
        "protocol": {},
        "environment": {},
        "submissions": [],
        "runner": {"workers": 2, "cells": 4, "wall_seconds": 1.0},
    }
    report = EvaluationReport.from_dict(old)
    assert (report.executor, report.nodes, report.retried) == ("pool", [], [])
    placement = {"executor": "ray", "nodes": [{"node": "n1", "versions": {"ray": "2.60.0"}}], "retried": []}
    new = EvaluationReport.from_dict({**old, "runner": {**old["runner"], **placement}})
    assert new.executor == "ray" and new.nodes[0]["versions"]["ray"] == "2.60.0"
    assert EvaluationReport.from_dict(new.to_dict()).cid() == new.cid()
