"""Evaluate many submissions under one manifest, in parallel, and write the evaluation report.

Each submission is trained once per cell, one (seed, era) pair of the manifest's protocol
(ml/scoring.py turns the cells into a score with an error bar; ml/preprocess.py defines the
eras). Preprocessing runs once, in the caller, and lands in the on-disk cache, one file per era;
each worker process (spawn start method: forking a process in which jax already runs threads
can hang) loads those arrays once and trains cells one after another, preferring the cells of
the submission it trained last so a model is compiled once, not once per worker. Every cell
trains from its own seed in a fresh model, so a result does not depend on which worker ran it
or what ran before: the parallel run gives the same scores as a sequential one. A cell that
raises, or whose worker dies, fails its submission, which the protocol scores 0 with the
reason in the report; the others still finish. Workers take the parent-death signal
(``lifeline``) first, so a killed app leaves none of them training on.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import pickle
import platform
import queue as queue_module
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue, SimpleQueue
from pathlib import Path
from typing import Any

import lifeline
import storage
from ml import scoring
from ml.manifest import TaskManifest, canonical_json
from ml.model import HyperparameterLike
from ml.preprocess import Prepared, cache_path, prepare_eras
from ml.train import TrainingProgress, TrainingResult

REPORT_FORMAT = "hyperbounty-evaluation-report/2"
DEFAULT_TRAINER = "ml.train:train_submission"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A revealed submission: who sent it and its hyperparameters (dataclass, dict or tuple)."""

    participant: str
    hyperparameters: HyperparameterLike


@dataclass(frozen=True)
class RunnerProgress:
    """Progress of one submission over all its cells, for a progress bar and live curves."""

    index: int
    participant: str
    state: str  # "queued", "training", "scored", "failed"
    fraction: float
    training: TrainingProgress | None = None
    error: str | None = None
    cells_done: int = 0
    cells: int = 1


RunnerProgressFn = Callable[[RunnerProgress], None]


@dataclass(frozen=True)
class CellTask:
    """One training: submission ``index`` on era ``era`` with the protocol's ``seed_index``-th seed."""

    index: int
    era: int
    seed_index: int
    seed: int


@dataclass
class SubmissionResult:
    """One submission's score over its cells. A failed one is scored 0, with the reason."""

    participant: str
    hyperparameters: Any
    status: str  # "scored" or "failed"
    score_ppm: int | None = None
    error: str | None = None
    training: dict[str, Any] | None = None  # the first cell's training (curves, timings)
    worker_pid: int | None = None
    seconds: float = 0.0
    stderr_ppm: int | None = None
    ci95_ppm: list[int] | None = None
    log_loss: float | None = None
    auc: float | None = None
    tied_with_leader: bool = False
    cells: list[dict[str, Any]] = field(default_factory=list)

    def cell_objects(self) -> list[scoring.Cell]:
        return [scoring.Cell.from_dict({k: v for k, v in c.items() if k in _CELL_KEYS}) for c in self.cells]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubmissionResult:
        """One entry of a report's ``submissions``; what an older format lacks takes its default."""
        return cls(**_known_fields(cls, data))


_CELL_KEYS = {f for f in scoring.Cell.__dataclass_fields__}


@dataclass
class EvaluationReport:
    """The document whose CID becomes ``reportDigest``; ``to_bytes`` is canonical JSON."""

    manifest_cid: str
    test_cid: str | None
    protocol: dict[str, Any]
    environment: dict[str, str]
    submissions: list[SubmissionResult]
    runner: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, Any] = field(default_factory=dict)
    eras: list[dict[str, int]] = field(default_factory=list)
    baselines: list[dict[str, Any]] = field(default_factory=list)
    leader: str | None = None
    format: str = REPORT_FORMAT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationReport:
        """The report read back from its JSON document: the inverse of :meth:`to_dict`.

        A report of an older format (no intervals, baselines or seeds) reads with those fields
        at their defaults and keeps its ``format``; keys outside the format are ignored.
        """
        values = _known_fields(cls, data)
        values["submissions"] = [SubmissionResult.from_dict(s) for s in data["submissions"]]
        return cls(**values)

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    def cid(self) -> str:
        return storage.ipfs_cid(self.to_bytes())

    def digest(self) -> bytes:
        return storage.cid_to_digest(self.cid())

    def score_of(self, participant: str) -> int | None:
        """A participant's score, found by its address (never by the score's value)."""
        for result in self.submissions:
            if result.participant.lower() == participant.lower():
                return result.score_ppm
        raise KeyError(f"{participant} has no submission in this report.")

    def scores_for_chain(self) -> tuple[list[str], list[int]]:
        """``postScores`` arguments: every submission with its score, a failed one with 0."""
        scores = [int(r.score_ppm or 0) if r.status == "scored" else 0 for r in self.submissions]
        return [r.participant for r in self.submissions], scores

    @property
    def failed(self) -> list[SubmissionResult]:
        return [r for r in self.submissions if r.status != "scored"]


def _known_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def environment() -> dict[str, str]:
    """Library versions that decide the numbers, recorded in every report."""
    import keras  # lazy: keras and jax take seconds to import, and pages that read reports never need them

    found = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    for package in ("numpy", "jax", "jaxlib", "torch"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def evaluate_submissions(
    manifest: TaskManifest,
    files: Mapping[str, bytes],
    submissions: Sequence[Submission],
    workers: int | None = None,
    progress: RunnerProgressFn | None = None,
    expected_test_cid: str | None = None,
    threads_per_worker: int | None = None,
    trainer: str = DEFAULT_TRAINER,
    seeds: Sequence[int] | None = None,
    seed_source: Mapping[str, Any] | None = None,
    cache_dir: Path | None = None,
    xla_cache_dir: Path | None = None,
) -> EvaluationReport:
    """Train and score every submission on every cell; ``workers=0`` trains in this process.

    ``files`` must include the test split. ``seeds`` are the protocol's training seeds (for
    ``seed_rule = "reveal_block"`` the caller derives them from the chain, see
    ``ml.scoring.derive_seeds``, and says where from in ``seed_source``); by default the
    manifest's fixed ones. ``trainer`` ("module:function") exists so tests can inject a failure;
    it is called as ``train_submission`` is. ``cache_dir``: the preprocess cache the eras land in
    (``ml.preprocess.cache_dir_for(settings)``); ``xla_cache_dir``: where every trainer keeps
    compiled programs (``ml.train.xla_cache_dir_for(settings)``); None for either: under the
    process settings' data dir.
    """
    if "test" not in files:
        raise ValueError("Scoring needs the test split: pass files['test'].")
    started = time.perf_counter()
    protocol = manifest.evaluation
    seeds = list(seeds) if seeds is not None else scoring.fixed_seeds(protocol.seed, protocol.seeds)
    if len(seeds) != protocol.seeds:
        raise ValueError(f"The protocol trains {protocol.seeds} seeds, got {len(seeds)}.")
    tasks = [
        CellTask(i, era, k, seed)
        for i in range(len(submissions))
        for era in range(protocol.eras)
        for k, seed in enumerate(seeds)
    ]
    era_paths = [cache_path(manifest, files["test"], era, cache_dir) for era in range(protocol.eras)]

    def preprocess_once() -> None:  # into the disk cache (era_paths), where every worker reads it
        prepare_eras(manifest, files, expected_test_cid=expected_test_cid, cache_dir=cache_dir)

    tracker = _Tracker(submissions, len(seeds) * protocol.eras, progress)
    workers = default_workers() if workers is None else workers
    workers = min(workers, len(tasks)) if workers > 0 else 0
    run = _Run(manifest, era_paths, submissions, trainer, xla_cache_dir)
    if workers == 0:
        preprocess_once()
        _run_inline(run, tasks, tracker)
    else:
        threads = threads_per_worker if threads_per_worker is not None else _threads_for(workers)
        _run_pool(run, tasks, workers, threads, tracker, preprocess_once)
    eras = [Prepared.load(path) for path in era_paths]
    bandwidth = scoring.bandwidth_for(manifest)
    results = [tracker.result(i, bandwidth) for i in range(len(submissions))]
    leader = _mark_ties(results, bandwidth)
    return EvaluationReport(
        manifest_cid=manifest.cid(),
        test_cid=storage.ipfs_cid(files["test"]),
        protocol=protocol.model_dump(mode="json"),
        environment=environment(),
        submissions=results,
        runner={
            "workers": workers,
            "cells": len(tasks),
            "wall_seconds": round(time.perf_counter() - started, 3),
        },
        seeds={"rule": protocol.seed_rule, "values": seeds, **dict(seed_source or {})},
        eras=[{"era": e, "test_sequences": _test_rows(p)} for e, p in enumerate(eras)],
        baselines=[b.to_dict() for b in scoring.score_baselines(eras, bandwidth)],
        leader=leader,
    )


def _test_rows(prepared: Prepared) -> int:
    if prepared.y_test is None:
        raise ValueError("An era's cached arrays have no test split.")
    return len(prepared.y_test)


def _mark_ties(results: list[SubmissionResult], bandwidth: int) -> str | None:
    """The leader (highest score, first in order on a tie, as the contract breaks ties by
    commit order and the caller lists submissions in that order) and who is tied with it."""
    scored = [r for r in results if r.status == "scored"]
    if not scored:
        return None
    leader = max(scored, key=lambda r: (r.score_ppm, -results.index(r)))
    cells = {r.participant: r.cell_objects() for r in scored}
    tied = scoring.tied_with_leader(cells, leader.participant, bandwidth)
    for r in scored:
        r.tied_with_leader = r.participant in tied
    return leader.participant


class _Tracker:
    """Collects cells per submission and turns cell progress into per-submission progress."""

    def __init__(self, submissions: Sequence[Submission], cells: int, progress: RunnerProgressFn | None):
        self.submissions = submissions
        self.cells = cells
        self.progress = progress
        self.done: dict[int, list[tuple[CellTask, _CellOutcome]]] = {i: [] for i in range(len(submissions))}
        self.running: dict[tuple[int, int, int], float] = {}
        for i, sub in enumerate(submissions):
            self._emit(RunnerProgress(i, sub.participant, "queued", 0.0, cells=cells))

    def _emit(self, event: RunnerProgress) -> None:
        if self.progress is not None:
            self.progress(event)

    def _fraction(self, index: int) -> float:
        running = sum(f for (i, _, _), f in self.running.items() if i == index)
        return min(1.0, (len(self.done[index]) + running) / self.cells)

    def training(self, task: CellTask, event: TrainingProgress | None) -> None:
        self.running[(task.index, task.era, task.seed_index)] = event.fraction if event else 0.0
        who = self.submissions[task.index].participant
        self._emit(
            RunnerProgress(
                task.index,
                who,
                "training",
                self._fraction(task.index),
                training=event,
                cells_done=len(self.done[task.index]),
                cells=self.cells,
            )
        )

    def finished(self, task: CellTask, outcome: _CellOutcome) -> None:
        self.running.pop((task.index, task.era, task.seed_index), None)
        self.done[task.index].append((task, outcome))
        count = len(self.done[task.index])
        errors = [o.error for _, o in self.done[task.index] if o.error]
        state = ("failed" if errors else "scored") if count == self.cells else "training"
        self._emit(
            RunnerProgress(
                task.index,
                self.submissions[task.index].participant,
                state,
                self._fraction(task.index),
                error=errors[0] if errors else None,
                cells_done=count,
                cells=self.cells,
            )
        )

    def result(self, index: int, bandwidth: int) -> SubmissionResult:
        sub = self.submissions[index]
        done = sorted(self.done[index], key=lambda pair: (pair[0].era, pair[0].seed_index))
        seconds = round(sum(o.seconds for _, o in done), 3)
        pids = [o.worker_pid for _, o in done if o.worker_pid]
        errors = [(t, o.error) for t, o in done if o.error]
        if errors or len(done) < self.cells:
            task, error = errors[0] if errors else (None, "some cells never ran")
            where = f" (era {task.era}, seed {task.seed})" if task else ""
            return SubmissionResult(
                sub.participant,
                _raw(sub.hyperparameters),
                "failed",
                score_ppm=0,
                error=f"{error}{where}; the protocol scores a failed training 0",
                worker_pid=pids[0] if pids else None,
                seconds=seconds,
            )
        outcomes = [o for _, o in done]
        cells = [o.cell for o in outcomes if o.cell is not None]  # every cell of a scored submission
        summary = scoring.summarize(cells, bandwidth)
        return SubmissionResult(
            sub.participant,
            done[0][1].hyperparameters,
            "scored",
            score_ppm=summary.score_ppm,
            training=done[0][1].training,
            worker_pid=pids[0] if pids else None,
            seconds=seconds,
            stderr_ppm=summary.stderr_ppm,
            ci95_ppm=list(summary.ci95_ppm),
            log_loss=summary.log_loss,
            auc=summary.auc,
            cells=[
                {**cell.to_dict(), "curves": (o.training or {}).get("curves", {})}
                for cell, o in zip(cells, outcomes, strict=True)
            ],
        )


def _threads_for(workers: int) -> int:
    """CPU threads per worker: share the cores out so workers do not fight over them."""
    return max(1, (os.cpu_count() or 1) // workers)


def _emit(progress: RunnerProgressFn | None, event: RunnerProgress) -> None:
    if progress is not None:
        progress(event)


# --- in process -------------------------------------------------------------------------


@dataclass
class _CellOutcome:
    cell: scoring.Cell | None  # None exactly when ``error`` says why
    hyperparameters: Any
    training: dict[str, Any] | None
    error: str | None
    worker_pid: int
    seconds: float


@dataclass(frozen=True)
class _Run:
    """What every cell of one evaluation needs besides its task."""

    manifest: TaskManifest
    era_paths: Sequence[Path]
    submissions: Sequence[Submission]
    trainer: str
    xla_cache_dir: Path | None


def _run_inline(run: _Run, tasks: Sequence[CellTask], tracker: _Tracker) -> None:
    for task in tasks:
        tracker.training(task, None)

        def relay(event: TrainingProgress, task: CellTask = task) -> None:
            tracker.training(task, event)

        tracker.finished(task, _train_cell(run, run.submissions[task.index], task, relay))


def _train_cell(
    run: _Run, sub: Submission, task: CellTask, relay: Callable[[TrainingProgress], None]
) -> _CellOutcome:
    started = time.perf_counter()
    raw_hp = _raw(sub.hyperparameters)
    try:
        train = _load_trainer(run.trainer)
        path = str(run.era_paths[task.era])
        prepared = _PREPARED.get(path) or Prepared.load(Path(path))
        _PREPARED[path] = prepared
        outcome: TrainingResult = train(
            run.manifest,
            prepared,
            sub.hyperparameters,
            relay,
            seed=task.seed,
            xla_cache_dir=run.xla_cache_dir,
        )
        if prepared.y_test is None or outcome.test_prob_up is None:
            raise ValueError("the era's arrays have no test split to score on")
        cell = scoring.make_cell(task.seed, task.era, prepared.y_test, outcome.test_prob_up)
    except Exception as exc:  # any failure of one cell is reported, not raised
        return _CellOutcome(
            None,
            raw_hp,
            None,
            f"{type(exc).__name__}: {exc}",
            os.getpid(),
            round(time.perf_counter() - started, 3),
        )
    return _CellOutcome(
        cell,
        outcome.hyperparameters,
        _null_for_non_finite(outcome.to_dict()),
        None,
        os.getpid(),
        round(time.perf_counter() - started, 3),
    )


def _null_for_non_finite(training: dict[str, Any]) -> dict[str, Any]:
    """The training with every NaN or infinite curve point (a diverging model's) as null.

    ``ml.train`` records them so already; this holds for any ``trainer``, since one such point
    would make the whole report unserialisable (``canonical_json`` refuses NaN). The score comes
    from the predictions, never from the curves, so it stays what the model got.
    """
    curves = training.get("curves") or {}
    training["curves"] = {
        name: [p if p is not None and math.isfinite(p) else None for p in points]
        for name, points in curves.items()
    }
    return training


def _load_trainer(spec: str) -> Callable[..., TrainingResult]:
    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)


_PREPARED: dict[str, Prepared] = {}


# --- worker processes --------------------------------------------------------------------
#
# A small pool of our own rather than ProcessPoolExecutor: when a worker dies, the executor
# breaks every pending future and cannot say which task killed it; here the parent knows what
# each worker holds, marks exactly that cell failed and starts a fresh worker.

# parent -> worker: (cell, its submission), or None to stop; worker -> parent: (kind, cell, payload)
_TaskMessage = tuple[CellTask, Submission] | None
_Message = tuple[str, CellTask, Any]


def _limit_threads(threads: int) -> None:
    """Runs first in every worker, before keras or jax is imported there."""
    if threads > 0:
        flags = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
        os.environ["XLA_FLAGS"] = (
            f"{os.environ.get('XLA_FLAGS', '')} {flags} intra_op_parallelism_threads={threads}"
        )
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
    os.environ.setdefault("KERAS_BACKEND", "jax")


def _worker_main(
    threads: int,
    manifest_bytes: bytes,
    era_paths: list[str],
    trainer: str,
    xla_cache_dir: str | None,
    tasks: SimpleQueue[_TaskMessage],
    outbox: Queue[_Message],
) -> None:
    lifeline.die_with_parent()  # a killed app leaves no worker training on (~530 MB each)
    _limit_threads(threads)
    run = _Run(
        TaskManifest.from_bytes(manifest_bytes),
        [Path(p) for p in era_paths],
        [],
        trainer,
        Path(xla_cache_dir) if xla_cache_dir is not None else None,
    )
    while True:
        message = tasks.get()
        if message is None:
            return
        task, sub = message
        outbox.put(("progress", task, None))

        def relay(event: TrainingProgress, task: CellTask = task) -> None:
            outbox.put(("progress", task, event))

        outbox.put(("result", task, _sendable(_train_cell(run, sub, task, relay), sub)))


@dataclass
class _Worker:
    process: BaseProcess
    tasks: SimpleQueue[_TaskMessage]
    holding: CellTask | None = None
    last_index: int | None = None


def _pick(todo: list[CellTask], worker: _Worker, pool: list[_Worker]) -> CellTask:
    """The next cell for an idle worker: one of the submission it trained last (its model's
    program is compiled there already), else one of a submission no other worker is on, else
    the next in line."""
    busy = {w.holding.index for w in pool if w.holding is not None} | {
        w.last_index for w in pool if w is not worker and w.last_index is not None
    }
    rules: tuple[Callable[[CellTask], bool], ...] = (
        lambda t: t.index == worker.last_index,
        lambda t: t.index not in busy,
        lambda t: True,
    )
    for rule in rules:
        for n, task in enumerate(todo):
            if rule(task):
                return todo.pop(n)
    raise IndexError("no cell left")


def _run_pool(
    run: _Run,
    tasks: Sequence[CellTask],
    workers: int,
    threads: int,
    tracker: _Tracker,
    preprocess_once: Callable[[], None],
) -> None:
    """Workers start first: they import Keras and jax while this process preprocesses."""
    context = multiprocessing.get_context("spawn")
    outbox: Queue[_Message] = context.Queue()
    todo = list(tasks)
    finished: set[CellTask] = set()
    manifest_bytes = run.manifest.to_bytes()
    paths = [str(p) for p in run.era_paths]
    xla_cache_dir = str(run.xla_cache_dir) if run.xla_cache_dir is not None else None

    def start() -> _Worker:
        queue: SimpleQueue[_TaskMessage] = context.SimpleQueue()
        process = context.Process(
            target=_worker_main,
            args=(threads, manifest_bytes, paths, run.trainer, xla_cache_dir, queue, outbox),
            daemon=True,
        )
        process.start()
        return _Worker(process, queue)

    pool = [start() for _ in range(workers)]
    try:
        preprocess_once()
        while len(finished) < len(tasks):
            for n, worker in enumerate(pool):
                if worker.holding is None and todo:
                    if not worker.process.is_alive():  # died while idle: a fresh one takes the task
                        pool[n] = worker = start()
                    worker.holding = _pick(todo, worker, pool)
                    worker.last_index = worker.holding.index
                    worker.tasks.put((worker.holding, run.submissions[worker.holding.index]))
            _drain(outbox, finished, pool, tracker, timeout=0.5)
            _requeue_lost(tasks, todo, finished, pool)
            for n, worker in enumerate(pool):
                if worker.holding is not None and not worker.process.is_alive():
                    _drain(outbox, finished, pool, tracker, timeout=0.2)  # its last words, if any
                    if worker.holding is not None:
                        task = worker.holding
                        finished.add(task)
                        tracker.finished(task, _died(run.submissions[task.index], worker.process.exitcode))
                    pool[n] = start() if todo else _Worker(worker.process, worker.tasks)
    finally:
        for worker in pool:
            if worker.process.is_alive():
                worker.tasks.put(None)
        for worker in pool:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.terminate()


def _requeue_lost(
    tasks: Sequence[CellTask], todo: list[CellTask], finished: set[CellTask], pool: list[_Worker]
) -> None:
    """Cells neither waiting, held nor finished had their result lost: train them again.

    Seen once under load (every worker idle, the run waiting for ever). Training is deterministic,
    so a cell trained twice scores the same; a run must end rather than hang.
    """
    if todo or any(worker.holding is not None for worker in pool):
        return
    lost = [task for task in tasks if task not in finished]
    if lost:
        log.warning("%d cell(s) had no result and no worker; training them again", len(lost))
        todo.extend(lost)


def _drain(
    outbox: Queue[_Message], finished: set[CellTask], pool: list[_Worker], tracker: _Tracker, timeout: float
) -> None:
    """Handle every message waiting (the first may take ``timeout``)."""
    wait = timeout
    while True:
        try:
            kind, task, payload = outbox.get(timeout=wait)
        except queue_module.Empty:
            return
        wait = 0.01
        if kind == "progress":
            if task not in finished:
                tracker.training(task, payload)
            continue
        finished.add(task)
        for worker in pool:
            if worker.holding == task:
                worker.holding = None
        tracker.finished(task, payload)


def _sendable(outcome: _CellOutcome, sub: Submission) -> _CellOutcome:
    """The outcome, or a failure that says why it could not be sent.

    A Queue pickles in a background thread and drops what it cannot pickle without a word, so
    the run would wait for ever for that cell; check here, where the error can still be reported.
    """
    try:
        pickle.dumps(outcome)
    except Exception as exc:  # anything unpicklable a trainer put in its result
        reason = f"The training finished but its result could not be sent back ({type(exc).__name__}: {exc})"
        return _CellOutcome(None, _raw(sub.hyperparameters), None, reason, 0, 0.0)
    return outcome


def _died(sub: Submission, exitcode: int | None) -> _CellOutcome:
    how = (
        f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    )
    return _CellOutcome(
        None,
        _raw(sub.hyperparameters),
        None,
        f"The training process died ({how}; out of memory or killed); nothing was scored",
        0,
        0.0,
    )


def _raw(hp: Any) -> Any:
    if hasattr(hp, "to_dict"):
        return hp.to_dict()
    return list(hp) if isinstance(hp, tuple | list) else hp


# --- verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    participant: str
    posted_score_ppm: int
    recomputed_score_ppm: int | None
    reproduced: bool
    error: str | None
    result: SubmissionResult
    environment_note: str = ""  # set when this machine's Keras differs from the manifest's

    def summary(self) -> str:
        if self.error:
            return f"Could not re-run {self.participant}'s submission: {self.error}"
        verdict = "reproduced" if self.reproduced else "NOT reproduced"
        if self.environment_note and not self.reproduced:
            verdict += f" ({self.environment_note})"
        return (
            f"{self.participant}: posted {self.posted_score_ppm} ppm, re-run gives "
            f"{self.recomputed_score_ppm} ppm: {verdict}."
        )


def verify_submission(
    manifest: TaskManifest,
    files: Mapping[str, bytes],
    submission: Submission,
    posted_score_ppm: int,
    expected_test_cid: str | None = None,
    in_process: bool = False,
    seeds: Sequence[int] | None = None,
    cache_dir: Path | None = None,
    xla_cache_dir: Path | None = None,
) -> Verification:
    """Re-run one submission exactly as the owner should have, and compare with the posted score.

    ``cache_dir`` and ``xla_cache_dir`` as for :func:`evaluate_submissions`.
    """
    report = evaluate_submissions(
        manifest,
        files,
        [submission],
        workers=0 if in_process else 1,
        expected_test_cid=expected_test_cid,
        seeds=seeds,
        cache_dir=cache_dir,
        xla_cache_dir=xla_cache_dir,
    )
    result = report.submissions[0]
    recomputed = result.score_ppm
    wanted = (manifest.evaluation.keras_version, manifest.evaluation.backend)
    here = (report.environment["keras"], report.environment["backend"])
    note = (
        ""
        if wanted == here
        else (
            f"the manifest asks for Keras {wanted[0]} on {wanted[1]}; "
            f"this machine has Keras {here[0]} on {here[1]}"
        )
    )
    return Verification(
        participant=submission.participant,
        posted_score_ppm=int(posted_score_ppm),
        recomputed_score_ppm=recomputed,
        reproduced=recomputed is not None and recomputed == int(posted_score_ppm),
        error=result.error,
        result=result,
        environment_note=note,
    )
