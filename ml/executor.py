"""One seam for running trainings: in this process, in a local process pool, or on a Ray cluster.

Why: the owner's evaluation (one task per (submission, seed, era) cell), a participant's trial and
a participant's search all run CPU-bound Keras/jax trainings that stream progress and may crash,
hang or lose their machine. They share this one interface instead of each supervising processes
of its own; where one machine is not enough, the same tasks run on an existing distributed engine
(Ray), not on one written here.

* :class:`InlineExecutor`: runs each task in the calling process when polled (unit tests, and a
  verification inside a worker that is already one);
* :class:`LocalPoolExecutor` (the default, no cluster needed): worker processes started with the
  *spawn* method (forking after jax has started threads can hang) that take the parent-death
  signal first (``lifeline``), so a killed app leaves none of them training on; with
  ``lasting=True`` they are started from a thread that lives as long as the app, so one executor
  can be kept and its warm workers (keras/jax imported, programs compiled) serve task after task
  of short-lived callers (the dashboard's jobs);
* :class:`RayExecutor`: tasks on the cluster named by ``HYPERBOUNTY_RAY_ADDRESS`` (``auto``,
  ``ray://host:port`` or ``host:port``); Ray is imported only here, when such an address is set.

A :class:`Task` is a module-level function ``fn(payload, shared, report)`` (it travels by
reference), a small picklable payload, and the names of *shared* values it reads: large values
(prepared arrays) are given once with :meth:`Executor.share` and travel once per worker process
(pool) or once per node (Ray's object store, ``ray.put``), never once per task. ``report(value)``
streams progress back; it raises :class:`TaskCancelled` once the task was cancelled, which is how
a cancel or a pruned trial stops a training between two batches. Every executor turns what
happens into :class:`TaskEvent`\\ s: ``started`` (with the node, host, process and library
versions), ``progress``, ``done``, ``failed`` (the error in words), ``cancelled`` and, on Ray,
``retried`` (the task's node left the cluster or its worker died, and it runs again elsewhere).
A task that runs longer than ``timeout_s`` (``HYPERBOUNTY_TASK_TIMEOUT_S``) is stopped and fails
with a sentence that says so. :meth:`Executor.describe` is what a report records: the executor,
the nodes that ran tasks with their versions, the retries and the timeout.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import platform
import queue as queue_module
import socket
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.process import BaseProcess
from typing import Any

import lifeline

STARTED, PROGRESS, DONE, FAILED, CANCELLED, RETRIED = (
    "started",
    "progress",
    "done",
    "failed",
    "cancelled",
    "retried",
)
FINAL = frozenset({DONE, FAILED, CANCELLED})
VERSION_PACKAGES = ("numpy", "jax", "jaxlib", "keras", "ray")
TIMEOUT_HINT = "HYPERBOUNTY_TASK_TIMEOUT_S"

Reporter = Callable[[Any], None]
TaskFn = Callable[[Any, Mapping[str, Any], Reporter], Any]


class TaskCancelled(Exception):
    """Raised inside a task by ``report`` once the task was cancelled (or its trial pruned)."""


class _TimedOut(Exception):
    """Raised inside an inline task by ``report`` once it has run past the timeout."""


@dataclass(frozen=True)
class Task:
    """One unit of work. ``key`` is unique within an executor; ``group`` (e.g. a submission) lets a
    pool worker keep the tasks of one group, whose compiled model it holds already."""

    key: Hashable
    fn: TaskFn
    payload: Any = None
    shared: tuple[str, ...] = ()
    group: Hashable | None = None
    label: str = ""


@dataclass(frozen=True)
class TaskEvent:
    """What happened to a task: ``value`` is the progress report or the result, ``error`` a sentence,
    ``where`` (on ``started``) the node, host, process id and library versions."""

    kind: str
    key: Hashable
    value: Any = None
    error: str | None = None
    where: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        return self.kind in FINAL


EventFn = Callable[[TaskEvent], None]


def library_versions() -> dict[str, str]:
    """The versions that decide the numbers on this node (recorded per node in reports)."""
    found = {"python": platform.python_version(), "machine": platform.machine()}
    for package in VERSION_PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


_WHERE: dict[str, Any] = {}


def here(node: str | None = None) -> dict[str, Any]:
    """Where a task runs: node id (the host name outside Ray), host, process id, versions."""
    if not _WHERE:
        _WHERE.update(host=socket.gethostname(), versions=library_versions())
    return {"node": node or _WHERE["host"], "host": _WHERE["host"], "pid": os.getpid(), **_WHERE}


def timeout_sentence(timeout_s: float) -> str:
    return (
        f"The task did not finish within {timeout_s:g} s and was stopped (the task timeout, "
        f"{TIMEOUT_HINT}; a hung or far too slow training)"
    )


def limit_threads(threads: int) -> None:
    """CPU threads for the trainings of this process; must run before keras or jax is imported."""
    if threads > 0:
        flags = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
        os.environ["XLA_FLAGS"] = (
            f"{os.environ.get('XLA_FLAGS', '')} {flags} intra_op_parallelism_threads={threads}"
        )
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
    os.environ.setdefault("KERAS_BACKEND", "jax")


class Executor(ABC):
    """Runs :class:`Task`\\ s and reports :class:`TaskEvent`\\ s; use as a context manager."""

    name = "executor"

    def __init__(self, timeout_s: float | None = None) -> None:
        self.timeout_s = timeout_s if timeout_s and timeout_s > 0 else None
        self._nodes: dict[str, dict[str, Any]] = {}
        self._retried: list[dict[str, Any]] = []
        self._labels: dict[Hashable, str] = {}

    # -- the interface ------------------------------------------------------------------------

    @abstractmethod
    def share(self, name: str, value: Any) -> None:
        """Make ``value`` available to every task that names it in ``Task.shared``."""

    @abstractmethod
    def submit(self, task: Task) -> None:
        """Queue a task; its events come from :meth:`poll`."""

    @abstractmethod
    def cancel(self, key: Hashable) -> None:
        """Stop a queued or running task; a ``cancelled`` event follows."""

    @abstractmethod
    def poll(self, timeout: float = 0.2) -> list[TaskEvent]:
        """The events since the last poll, waiting up to ``timeout`` seconds for the first."""

    @abstractmethod
    def close(self) -> None:
        """Stop every worker this executor started."""

    # -- on top of it -------------------------------------------------------------------------

    def run(self, tasks: Iterable[Task], on_event: EventFn, stop: Callable[[], bool] | None = None) -> None:
        """Submit ``tasks`` and hand every event to ``on_event`` until each task is final.

        ``stop`` (polled between events) cancels what is left once it returns True.
        """
        waiting = set()
        for task in tasks:
            self.submit(task)
            waiting.add(task.key)
        stopping = False
        while waiting:
            if stop is not None and not stopping and stop():
                stopping = True
                for key in list(waiting):
                    self.cancel(key)
            for event in self.poll(0.2):
                if event.final:
                    waiting.discard(event.key)
                on_event(event)

    def describe(self) -> dict[str, Any]:
        """What a report records: executor, the nodes that ran tasks (with versions), retries, timeout."""
        return {
            "executor": self.name,
            "nodes": [dict(info) for _, info in sorted(self._nodes.items())],
            "retried": list(self._retried),
            "timeout_s": self.timeout_s,
        }

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared bookkeeping --------------------------------------------------------------------

    def _remember(self, task: Task) -> None:
        self._labels[task.key] = task.label or str(task.key)

    def _started(self, key: Hashable, where: dict[str, Any]) -> TaskEvent:
        node = str(where.get("node"))
        info = self._nodes.setdefault(
            node, {"node": node, "host": where.get("host"), "versions": where.get("versions"), "tasks": 0}
        )
        info["tasks"] += 1
        return TaskEvent(STARTED, key, where=where)

    def _retry(self, key: Hashable, reason: str) -> TaskEvent:
        self._retried.append({"task": self._labels.get(key, str(key)), "reason": reason})
        return TaskEvent(RETRIED, key, error=reason)


# --------------------------------------------------------------------------- inline


class InlineExecutor(Executor):
    """Each poll runs the next queued task here, to the end; its events come back together.

    The timeout is checked whenever the task reports (a task that never reports is not stopped).
    """

    name = "inline"

    def __init__(self, timeout_s: float | None = None) -> None:
        super().__init__(timeout_s)
        self._shared: dict[str, Any] = {}
        self._todo: list[Task] = []
        self._events: list[TaskEvent] = []

    def share(self, name: str, value: Any) -> None:
        self._shared[name] = value

    def submit(self, task: Task) -> None:
        self._remember(task)
        self._todo.append(task)

    def cancel(self, key: Hashable) -> None:
        for n, task in enumerate(self._todo):
            if task.key == key:
                del self._todo[n]
                self._events.append(TaskEvent(CANCELLED, key))
                return

    def poll(self, timeout: float = 0.2) -> list[TaskEvent]:
        if self._todo:
            self._run_one(self._todo.pop(0))
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        self._todo.clear()

    def _run_one(self, task: Task) -> None:
        started = time.monotonic()
        self._events.append(self._started(task.key, here()))

        def report(value: Any) -> None:
            if self.timeout_s is not None and time.monotonic() - started > self.timeout_s:
                raise _TimedOut
            self._events.append(TaskEvent(PROGRESS, task.key, value))

        try:
            result = task.fn(task.payload, {n: self._shared[n] for n in task.shared}, report)
        except TaskCancelled:
            self._events.append(TaskEvent(CANCELLED, task.key))
        except _TimedOut:
            self._events.append(TaskEvent(FAILED, task.key, error=timeout_sentence(self.timeout_s or 0)))
        except Exception as exc:  # a task's own failure is an event, never an exception of the run
            self._events.append(TaskEvent(FAILED, task.key, error=f"{type(exc).__name__}: {exc}"))
        else:
            self._events.append(TaskEvent(DONE, task.key, result))


# --------------------------------------------------------------------------- local pool
#
# A small pool of our own rather than ProcessPoolExecutor: when a worker dies, the executor breaks
# every pending future and cannot say which task killed it; here the parent knows what each worker
# holds, fails exactly that task and starts a fresh worker.

# parent -> worker: ("share", name, value) | ("task", key, fn, payload, names) | None to stop
# worker -> parent: (kind, key, value) with kind started / progress / result / error / cancelled
_Message = tuple[str, Hashable, Any]
CANCEL_GRACE_S = 10.0


class _Inbox:
    """A one-way pipe from the parent to one worker.

    The parent closes its copy of the reading end once the worker has started, so a message sent
    to a worker that died raises ``BrokenPipeError`` at once. (A ``SimpleQueue`` keeps both ends
    open here: a large shared array sent to a dead worker filled the pipe and blocked for ever.)
    """

    def __init__(self, context: Any) -> None:
        self.reader, self._writer = context.Pipe(duplex=False)

    def started(self) -> None:
        """The worker holds its own copy of the reading end now; drop ours."""
        self.reader.close()

    def put(self, message: Any) -> None:
        self._writer.send(message)

    def close(self) -> None:
        self._writer.close()


@dataclass
class _Worker:
    process: BaseProcess
    tasks: _Inbox
    holding: Task | None = None
    last_group: Hashable | None = None
    since: float = 0.0
    has: set[str] = field(default_factory=set)
    cancel: Any = None  # a multiprocessing Event: "stop the task you hold"
    cancel_by: float | None = None


def _pool_worker(threads: int, preload: Sequence[str], inbox: Any, outbox: Any, cancel: Any) -> None:
    lifeline.die_with_parent()  # a killed app leaves no worker training on (~530 MB each)
    limit_threads(threads)
    for module in preload:
        import_module(module)
    shared: dict[str, Any] = {}
    while True:
        try:
            message = inbox.recv()
        except EOFError:  # the parent closed the pipe: it is gone or closing
            return
        if message is None:
            return
        if message[0] == "share":
            shared[message[1]] = message[2]
            continue
        _, key, fn, payload, names = message
        outbox.put(("started", key, here()))

        def report(value: Any, key: Hashable = key) -> None:
            if cancel.is_set():
                raise TaskCancelled
            outbox.put(("progress", key, value))

        try:
            result = fn(payload, {n: shared[n] for n in names}, report)
        except TaskCancelled:
            outbox.put(("cancelled", key, None))
            continue
        except Exception as exc:  # reported, and the worker takes the next task
            outbox.put(("error", key, f"{type(exc).__name__}: {exc}"))
            continue
        outbox.put(_sendable(key, result))


def _sendable(key: Hashable, result: Any) -> _Message:
    """The result message, or an error that says why the result could not be sent.

    A Queue pickles in a background thread and drops what it cannot pickle without a word, so the
    run would wait for ever for that task; check here, where the error can still be reported.
    """
    try:
        pickle.dumps(result)
    except Exception as exc:  # anything unpicklable a task put in its result
        reason = f"The training finished but its result could not be sent back ({type(exc).__name__}: {exc})"
        return ("error", key, reason)
    return ("result", key, result)


def _pick(todo: list[Task], worker: _Worker, pool: list[_Worker]) -> Task:
    """The next task for an idle worker: one of the group it ran last (its model's program is
    compiled there already), else one of a group no other worker is on, else the next in line."""
    busy = {w.holding.group for w in pool if w.holding is not None} | {
        w.last_group for w in pool if w is not worker and w.last_group is not None
    }
    rules: tuple[Callable[[Task], bool], ...] = (
        lambda t: t.group is not None and t.group == worker.last_group,
        lambda t: t.group not in busy,
        lambda t: True,
    )
    for rule in rules:
        for n, task in enumerate(todo):
            if rule(task):
                return todo.pop(n)
    raise IndexError("no task left")


def _requeue_lost(
    tasks: Sequence[Task], todo: list[Task], finished: set[Hashable], pool: list[_Worker]
) -> None:
    """Tasks neither waiting, held nor finished had their result lost: run them again.

    Seen once under load (every worker idle, the run waiting for ever). Trainings are
    deterministic, so a cell trained twice scores the same; a run must end rather than hang.
    """
    if todo or any(worker.holding is not None for worker in pool):
        return
    lost = [task for task in tasks if task.key not in finished]
    if lost:
        todo.extend(lost)


def _died(exitcode: int | None) -> str:
    how = (
        f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    )
    return f"The worker process died ({how}; out of memory or killed); its work was lost"


class LocalPoolExecutor(Executor):
    """Spawned worker processes on this machine; they start at once (importing ``preload`` while
    the caller prepares data), each with ``threads`` CPU threads (default: the cores shared out).

    A worker dies with the thread that started it (the parent-death signal is a thread's): with
    ``lasting=True`` every worker, and every fresh one that replaces a killed worker, is started
    from ``lifeline``'s lasting thread instead, so the executor may be used from one short-lived
    thread after another (not from two at once).
    """

    name = "pool"

    def __init__(
        self,
        workers: int | None = None,
        threads: int | None = None,
        timeout_s: float | None = None,
        preload: Sequence[str] = (),
        lasting: bool = False,
    ) -> None:
        super().__init__(timeout_s)
        self.workers = max(1, workers or default_workers())
        self.threads = threads if threads is not None else max(1, (os.cpu_count() or 1) // self.workers)
        self._preload = tuple(preload)
        self._lasting = lasting
        self._context = multiprocessing.get_context("spawn")
        self._outbox = self._context.Queue()
        self._shared: dict[str, Any] = {}
        self._todo: list[Task] = []
        self._open: dict[Hashable, Task] = {}  # submitted, not final
        self._finished: set[Hashable] = set()
        self._cancelling: set[Hashable] = set()
        self._events: list[TaskEvent] = []
        self._undelivered_count: dict[Hashable, int] = {}
        self._pool = [self._start() for _ in range(self.workers)]

    def _start(self) -> _Worker:
        inbox = _Inbox(self._context)
        cancel = self._context.Event()
        process = self._context.Process(
            target=_pool_worker,
            args=(self.threads, self._preload, inbox.reader, self._outbox, cancel),
            daemon=True,
        )
        if self._lasting:
            lifeline.in_lasting_thread(process.start)
        else:
            process.start()
        inbox.started()
        return _Worker(process, inbox, cancel=cancel)

    def worker_pids(self) -> list[int | None]:
        """The process id of each worker (a replaced worker's successor has a new one)."""
        return [worker.process.pid for worker in self._pool]

    def share(self, name: str, value: Any) -> None:
        self._shared[name] = value
        for worker in self._pool:
            worker.has.discard(name)

    def submit(self, task: Task) -> None:
        self._remember(task)
        self._open[task.key] = task
        self._finished.discard(task.key)
        self._todo.append(task)
        self._dispatch()

    def cancel(self, key: Hashable) -> None:
        for n, task in enumerate(self._todo):
            if task.key == key:
                del self._todo[n]
                self._final(TaskEvent(CANCELLED, key))
                return
        for worker in self._pool:
            if worker.holding is not None and worker.holding.key == key:
                self._cancelling.add(key)
                worker.cancel.set()
                worker.cancel_by = time.monotonic() + CANCEL_GRACE_S

    def poll(self, timeout: float = 0.2) -> list[TaskEvent]:
        self._dispatch()
        self._drain(timeout)
        self._reap()
        self._enforce_deadlines()
        _requeue_lost(list(self._open.values()), self._todo, self._finished, self._pool)
        self._dispatch()
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        for worker in self._pool:
            with contextlib.suppress(OSError):  # a worker that died meanwhile has nothing to stop
                worker.tasks.put(None)
            worker.tasks.close()
        for worker in self._pool:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=5)
            if worker.process.is_alive():  # a loaded machine: SIGTERM not handled yet; none may outlive close
                worker.process.kill()
                worker.process.join()

    # -- internals ------------------------------------------------------------------------------

    def _final(self, event: TaskEvent) -> None:
        self._finished.add(event.key)
        self._open.pop(event.key, None)
        self._cancelling.discard(event.key)
        self._events.append(event)

    def _dispatch(self) -> None:
        for n, worker in enumerate(self._pool):
            if worker.holding is not None or not self._todo:
                continue
            if not worker.process.is_alive():  # died while idle: a fresh one takes the task
                self._pool[n] = worker = self._start()
            task = _pick(self._todo, worker, self._pool)
            try:
                self._send(worker, task)
            except OSError:  # the worker died before it read the task: it was not the task's doing
                self._pool[n] = self._start()
                self._undelivered(task, worker)

    def _send(self, worker: _Worker, task: Task) -> None:
        for name in task.shared:
            if name not in worker.has:
                worker.tasks.put(("share", name, self._shared[name]))
                worker.has.add(name)
        worker.cancel.clear()
        worker.cancel_by = None
        worker.tasks.put(("task", task.key, task.fn, task.payload, task.shared))
        worker.holding, worker.last_group, worker.since = task, task.group, time.monotonic()

    def _undelivered(self, task: Task, worker: _Worker) -> None:
        """Queue a task again after its worker died while it was being sent; twice is a failure
        (the task's shared data may be what kills the workers), so a run never loops for ever."""
        self._undelivered_count[task.key] = self._undelivered_count.get(task.key, 0) + 1
        if self._undelivered_count[task.key] > 1:
            worker.process.join(timeout=5)
            self._final(TaskEvent(FAILED, task.key, error=_died(worker.process.exitcode)))
        else:
            self._todo.insert(0, task)

    def _holder(self, key: Hashable) -> _Worker | None:
        return next((w for w in self._pool if w.holding is not None and w.holding.key == key), None)

    def _drain(self, timeout: float) -> None:
        """Handle every message waiting (the first may take ``timeout``)."""
        wait = timeout
        while True:
            try:
                kind, key, value = self._outbox.get(timeout=wait)
            except queue_module.Empty:
                return
            wait = 0.01
            self._handle(kind, key, value)

    def _handle(self, kind: str, key: Hashable, value: Any) -> None:
        if key in self._finished:
            return  # a late message of a task already final (timed out, for one)
        worker = self._holder(key)
        if kind == "started":
            if worker is not None:
                worker.since = time.monotonic()  # the timeout counts from here
            self._events.append(self._started(key, value))
            return
        if kind == "progress":
            self._events.append(TaskEvent(PROGRESS, key, value))
            return
        if worker is not None:
            worker.holding = None
        if kind == "result":
            self._final(TaskEvent(DONE, key, value))
        elif kind == "error":
            self._final(TaskEvent(FAILED, key, error=value))
        elif key in self._cancelling:
            self._final(TaskEvent(CANCELLED, key))
        else:  # stopped by a cancel meant for the task before it on that worker: run it again
            self._todo.insert(0, self._open[key])

    def _reap(self) -> None:
        for worker in self._pool:
            if worker.holding is not None and not worker.process.is_alive():
                self._drain(0.2)  # its last words, if any
                if worker.holding is not None:
                    key, worker.holding = worker.holding.key, None
                    self._final(TaskEvent(FAILED, key, error=_died(worker.process.exitcode)))

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in self._pool:
            task = worker.holding
            if task is None:
                continue
            if worker.cancel_by is not None and now > worker.cancel_by:
                self._stop(worker)
                self._final(TaskEvent(CANCELLED, task.key))
            elif self.timeout_s is not None and now - worker.since > self.timeout_s:
                self._stop(worker)
                self._final(TaskEvent(FAILED, task.key, error=timeout_sentence(self.timeout_s)))

    def _stop(self, worker: _Worker) -> None:
        """End a worker's task the hard way; a fresh worker takes the next task."""
        worker.process.kill()
        worker.process.join(timeout=10)
        worker.holding = None


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- Ray


def ray_init_address(address: str) -> str:
    """``HYPERBOUNTY_RAY_ADDRESS`` as ``ray.init`` takes it: ``auto``, ``ray://host:port`` or
    ``host:port`` (a GCS address); anything else is refused in words."""
    text = address.strip()
    if text == "auto" or text.startswith("ray://"):
        return text
    host, _, port = text.rpartition(":")
    if host and port.isdigit():
        return text
    raise ValueError(
        f"HYPERBOUNTY_RAY_ADDRESS={address!r} is not a Ray address: use 'auto' (the cluster this machine "
        "belongs to), 'ray://host:10001' (Ray Client) or 'host:6379' (the head node's GCS)."
    )


_SINK_CLASS: list[Any] = []


def _sink_class() -> Any:
    """The actor that collects progress from every task (created lazily: Ray imports only here)."""
    if not _SINK_CLASS:
        import ray

        @ray.remote(num_cpus=0)
        class ProgressSink:
            def __init__(self) -> None:
                self.messages: list[tuple[Hashable, str, Any]] = []

            def put(self, key: Hashable, kind: str, value: Any) -> None:
                self.messages.append((key, kind, value))

            def drain(self) -> list[tuple[Hashable, str, Any]]:
                out, self.messages = self.messages, []
                return out

        _SINK_CLASS.append(ProgressSink)
    return _SINK_CLASS[0]


def _ray_entry(fn: TaskFn, key: Hashable, payload: Any, names: Sequence[str], sink: Any, *values: Any) -> Any:
    """Runs on a Ray worker: the shared values arrive resolved from the node's object store."""
    import ray

    if "jax" not in sys.modules:
        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
        limit_threads(max(1, int(cpus)))
    sink.put.remote(key, "started", here(ray.get_runtime_context().get_node_id()))

    def report(value: Any) -> None:
        sink.put.remote(key, "progress", value)

    try:
        result = fn(payload, dict(zip(names, values, strict=True)), report)
    except TaskCancelled:
        return ("cancelled", None)
    except KeyboardInterrupt:  # ray.cancel without force
        return ("cancelled", None)
    except Exception as exc:
        result = ("error", f"{type(exc).__name__}: {exc}")
    else:
        result = ("result", result)
    with contextlib.suppress(ray.exceptions.RayActorError):  # a lost progress actor loses progress only
        ray.get(sink.put.remote(key, "flush", None))  # every progress message is in before the result
    return result


class RayExecutor(Executor):
    """Tasks on a Ray cluster, one CPU each; shared values go to the object store once (``ray.put``).

    A task that fails because its worker or node died (``NodeDiedError``, ``WorkerCrashedError``,
    a lost object) runs again, up to ``retries`` times, and :meth:`describe` lists each retry with
    its reason. Connects with ``ray.init`` unless this process is connected already.
    """

    name = "ray"

    def __init__(self, address: str = "auto", timeout_s: float | None = None, retries: int = 2) -> None:
        super().__init__(timeout_s)
        import ray

        self._ray = ray
        self.address = address
        if not ray.is_initialized():
            init_address = ray_init_address(address)
            ray.init(address=init_address, log_to_driver=False, **_runtime_env(init_address))
        self.retries = retries
        self._sink = _sink_class().options(**_on_this_node(ray)).remote()
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_ray_entry)
        self._shared: dict[str, Any] = {}
        self._refs: dict[Hashable, Any] = {}  # key -> ObjectRef of the running attempt
        self._tasks: dict[Hashable, Task] = {}
        self._attempts: dict[Hashable, int] = {}
        self._since: dict[Hashable, float] = {}
        self._node_of: dict[Hashable, str] = {}
        self._cancelling: set[Hashable] = set()
        self._events: list[TaskEvent] = []

    def share(self, name: str, value: Any) -> None:
        self._shared[name] = self._ray.put(value)

    def submit(self, task: Task) -> None:
        self._remember(task)
        self._tasks[task.key] = task
        self._attempts[task.key] = self._attempts.get(task.key, 0) + 1
        refs = [self._shared[n] for n in task.shared]
        self._refs[task.key] = self._remote.remote(
            task.fn, task.key, task.payload, list(task.shared), self._sink, *refs
        )

    def cancel(self, key: Hashable) -> None:
        ref = self._refs.get(key)
        if ref is not None:
            self._cancelling.add(key)
            self._ray.cancel(ref, force=False)

    def poll(self, timeout: float = 0.2) -> list[TaskEvent]:
        ray = self._ray
        if self._refs:
            ray.wait(list(self._refs.values()), num_returns=1, timeout=timeout)
            ready, _ = ray.wait(list(self._refs.values()), num_returns=len(self._refs), timeout=0)
        else:
            time.sleep(timeout)
            ready = []
        for key, kind, value in self._drain_sink():
            if key not in self._refs:
                continue  # a late message of a task already final
            if kind == "started":
                self._since[key] = time.monotonic()
                self._node_of[key] = str(value.get("node"))
                self._events.append(self._started(key, value))
            elif kind == "progress":
                self._events.append(TaskEvent(PROGRESS, key, value))
        by_ref = {ref: key for key, ref in self._refs.items()}
        for ref in ready:
            self._collect(by_ref[ref], ref)
        self._enforce_timeouts()
        events, self._events = self._events, []
        return events

    def _drain_sink(self) -> list[tuple[Hashable, str, Any]]:
        """The progress messages so far; a lost progress actor is replaced (its messages are lost,
        never the results, which come back through the tasks' own object refs)."""
        try:
            return self._ray.get(self._sink.drain.remote())
        except self._ray.exceptions.RayActorError:
            self._sink = _sink_class().options(**_on_this_node(self._ray)).remote()
            return []

    def close(self) -> None:
        for ref in self._refs.values():
            self._ray.cancel(ref, force=True)
        self._refs.clear()
        with contextlib.suppress(Exception):  # the cluster may be gone already; nothing left to stop then
            self._ray.kill(self._sink)

    def describe(self) -> dict[str, Any]:
        nodes = [n for n in self._ray.nodes() if n.get("Alive")]
        return {
            **super().describe(),
            "address": self.address,
            "cluster": {
                "nodes": len(nodes),
                "cpus": int(sum(n.get("Resources", {}).get("CPU", 0) for n in nodes)),
            },
        }

    # -- internals ------------------------------------------------------------------------------

    def _final(self, event: TaskEvent) -> None:
        self._refs.pop(event.key, None)
        self._cancelling.discard(event.key)
        self._events.append(event)

    def _collect(self, key: Hashable, ref: Any) -> None:
        ray = self._ray
        try:
            kind, value = ray.get(ref)
        except ray.exceptions.TaskCancelledError:
            kind, value = "cancelled", None
        except ray.exceptions.RayTaskError as exc:  # the entry function itself raised
            kind, value = "error", str(exc).splitlines()[-1] if str(exc) else type(exc).__name__
        except ray.exceptions.RayError as exc:  # the worker or its node died, an object was lost
            self._lost(key, exc)
            return
        if kind == "result":
            self._final(TaskEvent(DONE, key, value))
        elif kind == "error":
            self._final(TaskEvent(FAILED, key, error=value))
        else:
            self._final(TaskEvent(CANCELLED, key))

    def _lost(self, key: Hashable, exc: Exception) -> None:
        if key in self._cancelling:
            self._final(TaskEvent(CANCELLED, key))
            return
        node = self._node_of.get(key, "")
        alive = {n["NodeID"] for n in self._ray.nodes() if n.get("Alive")}
        why = (
            f"its node {node[:12]} left the cluster ({type(exc).__name__})"
            if node and node not in alive
            else f"its worker process died ({type(exc).__name__})"
        )
        if self._attempts.get(key, 0) <= self.retries:
            self._refs.pop(key, None)
            self._since.pop(key, None)
            self._events.append(self._retry(key, f"run again after {why}"))
            self.submit(self._tasks[key])
            return
        self._final(
            TaskEvent(
                FAILED, key, error=f"The task failed {self._attempts[key]} times: {why}; its work was lost"
            )
        )

    def _enforce_timeouts(self) -> None:
        if self.timeout_s is None:
            return
        now = time.monotonic()
        for key, since in list(self._since.items()):
            if key in self._refs and now - since > self.timeout_s:
                self._ray.cancel(self._refs[key], force=True)
                self._since.pop(key)
                self._final(TaskEvent(FAILED, key, error=timeout_sentence(self.timeout_s)))


def _on_this_node(ray: Any) -> dict[str, Any]:
    """Options that keep the progress actor on the driver's node (it outlives any worker node)."""
    try:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        node = ray.get_runtime_context().get_node_id()
        return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node, soft=False)}
    except Exception:  # Ray Client has no local node: let Ray place it
        return {}


def _runtime_env(address: str) -> dict[str, Any]:
    """Ray Client drivers ship this checkout to the cluster (its nodes run the pinned requirements)."""
    if not address.startswith("ray://"):
        return {}
    from settings import REPO_ROOT

    excludes = [".git", ".venv", ".hyperbounty", "tools/node", "node_modules", "bench/results"]
    return {"runtime_env": {"working_dir": str(REPO_ROOT), "excludes": excludes}}


# --------------------------------------------------------------------------- choosing one


def default_executor(
    workers: int | None = None,
    threads: int | None = None,
    timeout_s: float | None = None,
    preload: Sequence[str] = (),
    ray_address: str | None = None,
    lasting: bool = False,
) -> Executor:
    """Ray when ``ray_address`` (default: ``HYPERBOUNTY_RAY_ADDRESS``) is set, else inline for
    ``workers=0``, else the local pool. ``timeout_s`` None: ``HYPERBOUNTY_TASK_TIMEOUT_S``;
    ``lasting``: the pool's workers outlive the calling thread (see :class:`LocalPoolExecutor`)."""
    from settings import get_settings

    settings = get_settings()
    address = settings.ray_address if ray_address is None else ray_address
    timeout = settings.task_timeout_s if timeout_s is None else timeout_s
    if address:
        return RayExecutor(address, timeout_s=timeout)
    if workers == 0:
        return InlineExecutor(timeout_s=timeout)
    return LocalPoolExecutor(workers, threads, timeout_s=timeout, preload=preload, lasting=lasting)
