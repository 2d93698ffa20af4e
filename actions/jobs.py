"""Background work with progress a page can poll.

Why this exists: a Streamlit script reruns on every click and each browser
session runs in its own thread, so training or evaluating inside a script run
would freeze the page and hold the session. Instead a page starts a *job* under
a stable key (for example ``"evaluate:3"``) and polls it from a fragment with
``run_every``. Jobs live in a registry outside the page (one :class:`JobRunner`
per backend, ``Backend.jobs``), so a finished result survives switching pages or
reloading the tab, and a second start of the same key returns the running job
instead of doing the work twice.

Two kinds of work:

* ``process=False``: a thread in this process (chain reads, IPFS adds: they
  wait on I/O, so they do not hold other sessions back);
* ``process=True``: one task of an executor (``ml.executor``: a spawned worker
  process of the local pool, or a Ray task when ``HYPERBOUNTY_RAY_ADDRESS`` is
  set), for Keras/jax training: CPU-bound, and forking after jax has started
  threads can hang. The function must be importable at module level; its
  progress, curves and result stream back through the executor. This module
  keeps only what the dashboard needs on top of the executor: job keys,
  progress, cancel.

The executor is *kept* between process jobs (one per process slot, by default a
1-worker pool): a fresh worker pays seconds of importing keras/jax before its
first training, on a loaded machine tens of seconds, while a kept worker has
them imported already (and a model shape it trained before compiled in memory;
across restarts jax's persistent compilation cache under the data dir spares the
compiling, ``ml.train.use_compilation_cache``). :meth:`JobRunner.prewarm`
starts that worker before the first job (a page calls it when it opens, so the
imports overlap the person's reading). A cancel is cooperative (the work stops at
its next progress report) and leaves the worker to the next job; a worker that
does not stop within the executor's grace is killed and a fresh one takes the
next job. A pool worker dies with this process, even when this one is killed
(``lifeline``; it is started from a thread that lives as long as the process,
since the kernel ties the parent-death signal to the starting thread).

A work function takes a :class:`Progress` as its first argument::

    def train(progress: Progress, hp: Hyperparameters) -> dict:
        progress(0.5, "epoch 1 of 2", epoch=1)
        progress.curve("val_accuracy", {"epoch": 1, "value": 0.61})
        return {...}
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from actions.errors import plain_error
from ml.executor import CANCELLED as TASK_CANCELLED
from ml.executor import DONE as TASK_DONE
from ml.executor import FAILED as TASK_FAILED
from ml.executor import PROGRESS, Executor, Task, TaskCancelled, TaskEvent, default_executor

RUNNING, DONE, FAILED, CANCELLED, QUEUED = "running", "done", "failed", "cancelled", "queued"
_ids = itertools.count(1)
# What a pre-warmed worker imports: the trial's and the verification's modules (web3, pandas, ...).
WARM_MODULES: tuple[str, ...] = ("actions.submissions", "actions.evaluation")

# What a work function reports: ("update", fraction, message, detail), ("curve", series, point);
# a process job's task returns ("result", value) or ("error", sentence).
Message = tuple[Any, ...]
# A job's details, curve points and result are whatever its work function reports (shown as JSON
# by the pages), hence ``Any`` in them.


class JobCancelled(Exception):
    """Raised inside a work function when its job was cancelled."""


@dataclass
class JobView:
    """A consistent copy of a job's state, safe to read from any thread."""

    key: str
    title: str
    id: int
    state: str
    fraction: float
    message: str
    detail: dict[str, Any]
    curves: dict[str, list[dict[str, Any]]]
    result: Any
    error: str | None
    started: float
    finished: float | None

    @property
    def active(self) -> bool:
        return self.state in (RUNNING, QUEUED)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started


@dataclass
class Job:
    key: str
    title: str
    id: int = field(default_factory=lambda: next(_ids))
    state: str = QUEUED
    fraction: float = 0.0
    message: str = "waiting to start"
    detail: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, fraction: float | None = None, message: str | None = None, **detail: Any) -> None:
        with self._lock:
            if fraction is not None:
                self.fraction = min(1.0, max(0.0, float(fraction)))
            if message is not None:
                self.message = message
            self.detail.update(detail)

    def add_point(self, series: str, point: dict[str, Any]) -> None:
        with self._lock:
            self.curves.setdefault(series, []).append(dict(point))

    def finish(self, state: str, result: Any = None, error: str | None = None) -> None:
        with self._lock:
            self.state, self.result, self.error = state, result, error
            self.finished = time.time()
            if state == DONE:
                self.fraction = 1.0

    def view(self) -> JobView:
        with self._lock:
            return JobView(
                key=self.key,
                title=self.title,
                id=self.id,
                state=self.state,
                fraction=self.fraction,
                message=self.message,
                detail=dict(self.detail),
                curves={name: list(points) for name, points in self.curves.items()},
                result=self.result,
                error=self.error,
                started=self.started,
                finished=self.finished,
            )


class Progress:
    """What a work function reports through; the same interface in a thread and in a worker process."""

    def __init__(self, sink: Callable[[Message], None], cancelled: Callable[[], bool]) -> None:
        self._sink = sink
        self._cancelled = cancelled

    def __call__(self, fraction: float | None = None, message: str | None = None, **detail: Any) -> None:
        self._sink(("update", fraction, message, detail))
        if self._cancelled():
            raise JobCancelled("cancelled")

    def curve(self, series: str, point: dict[str, Any]) -> None:
        self._sink(("curve", series, point))

    def cancelled(self) -> bool:
        """Whether the job was cancelled (for work that stops on its own terms, e.g. a search)."""
        return self._cancelled()


def _apply_message(job: Job, message: Message) -> None:
    if message[0] == "update":
        _, fraction, text, detail = message
        job.apply(fraction, text, **detail)
    elif message[0] == "curve":
        job.add_point(message[1], message[2])


def _job_task(
    payload: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]], shared: Any, report: Any
) -> Message:
    """A process job as an executor task: run the work function, its reports streamed back.

    A cancelled job stops at its next report (``report`` raises ``TaskCancelled``).
    """
    fn, args, kwargs = payload
    progress = Progress(report, lambda: False)
    try:
        return ("result", fn(progress, *args, **kwargs))
    except (TaskCancelled, JobCancelled):
        raise TaskCancelled from None
    except (Exception, SystemExit) as exc:  # the parent needs a sentence, not a dead task
        return ("error", plain_error(exc))


def _warm_task(modules: Sequence[str], shared: Any, report: Any) -> None:
    """An executor task that readies its worker for trainings: imports, keras and jax started."""
    for module in modules:
        import_module(module)
    import_module("ml.train").warm_up()


def _job_executor() -> Executor:
    """A process job's executor: a 1-worker pool whose worker outlives the job's thread, or Ray."""
    return default_executor(workers=1, timeout_s=0, lasting=True)


class JobRunner:
    """Registry of jobs by key. Thread-safe; each backend holds one, shared by every session.

    Process jobs run on executors kept here between jobs (see the module docstring); ``close``
    stops them.
    """

    def __init__(self, max_processes: int = 1, executor: Callable[[], Executor] | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        # Training is CPU-bound: more parallel workers than cores only slows each of them down.
        self._process_slots = threading.BoundedSemaphore(max(1, max_processes))
        # where a process job runs: one task of a kept executor (a 1-worker pool, or Ray)
        self._executor = executor or _job_executor
        self._idle: list[Executor] = []  # kept executors no job holds now
        self._closed = False

    def start(
        self,
        key: str,
        title: str,
        fn: Callable[..., Any],
        *args: Any,
        process: bool = False,
        restart: bool = False,
        **kwargs: Any,
    ) -> JobView:
        """Start ``fn(progress, *args, **kwargs)`` under ``key`` unless that key is still active."""
        with self._lock:
            existing = self._jobs.get(key)
            if existing is not None and existing.view().active and not restart:
                return existing.view()
            if existing is not None and restart:
                existing.cancel_requested.set()
            job = Job(key=key, title=title)
            self._jobs[key] = job
        target = self._run_in_process if process else self._run_in_thread
        threading.Thread(target=target, args=(job, fn, args, kwargs), name=f"job-{key}", daemon=True).start()
        return job.view()

    def get(self, key: str) -> JobView | None:
        with self._lock:
            job = self._jobs.get(key)
        return job.view() if job else None

    def cancel(self, key: str) -> None:
        with self._lock:
            job = self._jobs.get(key)
        if job is None:
            return
        job.cancel_requested.set()  # a process job's executor cancels its task

    def forget(self, key: str) -> None:
        """Drop a finished job (its result is no longer needed); an active one is cancelled first."""
        self.cancel(key)
        with self._lock:
            self._jobs.pop(key, None)

    def job_keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            return [key for key in self._jobs if key.startswith(prefix)]

    def prewarm(self, modules: Sequence[str] = WARM_MODULES) -> bool:
        """Start a process job's worker now, in the background, unless one is kept already or a
        job holds it: it imports ``modules`` and starts keras/jax. True when it started one."""
        with self._lock:
            if self._idle or self._closed or not self._process_slots.acquire(blocking=False):
                return False
        threading.Thread(target=self._warm, args=(tuple(modules),), name="job-prewarm", daemon=True).start()
        return True

    def close(self) -> None:
        """Stop the kept executors (their workers); an executor a job holds stops when the job ends."""
        with self._lock:
            self._closed, idle, self._idle = True, self._idle, []
        for executor in idle:
            executor.close()

    def wait(self, key: str, timeout: float = 600.0, poll: float = 0.05) -> JobView:
        """Block until the job is no longer active (for scripts and tests; pages poll instead)."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.get(key)
            if view is None:
                raise KeyError(f"No job named {key!r}.")
            if not view.active:
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"Job {key!r} still running after {timeout:g} s.")
            time.sleep(poll)

    # -- internals ---------------------------------------------------------

    def _run_in_thread(
        self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        job.apply(message="starting")
        job.state = RUNNING
        progress = Progress(lambda message: _apply_message(job, message), job.cancel_requested.is_set)
        try:
            result = fn(progress, *args, **kwargs)
        except JobCancelled:
            job.finish(CANCELLED, error="Cancelled.")
        except Exception as exc:
            job.finish(FAILED, error=plain_error(exc))
        else:
            job.finish(CANCELLED if job.cancel_requested.is_set() else DONE, result=result)

    def _run_in_process(
        self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        job.apply(message="waiting for a free worker")
        with self._process_slots:
            if job.cancel_requested.is_set():
                job.finish(CANCELLED, error="Cancelled.")
                return
            job.state = RUNNING
            # a task key of its own: a late word of a restarted job's earlier run is never this run's
            task = Task(key=f"{job.key}#{job.id}", fn=_job_task, payload=(fn, args, kwargs), label=job.title)
            self._run_task(task, lambda event: _on_task_event(job, event), job.cancel_requested.is_set, job)

    def _warm(self, modules: tuple[str, ...]) -> None:
        """Prewarm's thread: holds the process slot it was given while the worker readies."""
        try:
            task = Task(key=f"prewarm#{next(_ids)}", fn=_warm_task, payload=modules, label="prewarm")
            self._run_task(task, lambda event: None, lambda: False, None)
        finally:
            self._process_slots.release()

    def _run_task(
        self, task: Task, on_event: Callable[[TaskEvent], None], stop: Callable[[], bool], job: Job | None
    ) -> None:
        """Run one task on a kept executor (a new one when none is idle) and keep it again after."""
        with self._lock:
            executor = self._idle.pop() if self._idle else None
        if job is not None:
            job.apply(message="handing over to the worker" if executor else "starting a worker process")
        try:
            executor = executor or self._executor()
            executor.run([task], on_event, stop)
        except Exception as exc:  # no executor (a Ray address that does not answer): say so
            if executor is not None:
                executor.close()
            if job is not None:
                job.finish(FAILED, error=plain_error(exc))
            return
        with self._lock:
            keep = not self._closed
            if keep:
                self._idle.append(executor)
        if not keep:
            executor.close()


def _on_task_event(job: Job, event: TaskEvent) -> None:
    """Apply one executor event of a process job to the job."""
    if event.kind == PROGRESS:
        _apply_message(job, event.value)
    elif event.kind == TASK_DONE:
        kind, value = event.value
        if kind == "result":
            job.finish(DONE, result=value)
        else:
            job.finish(FAILED, error=value)
    elif event.kind == TASK_FAILED:
        job.finish(FAILED, error=event.error)
    elif event.kind == TASK_CANCELLED:
        job.finish(CANCELLED, error="Cancelled.")
