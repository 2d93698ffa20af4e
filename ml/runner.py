"""Evaluate many submissions under one manifest, in parallel, and write the evaluation report.

Preprocessing runs once, in the caller, and lands in the on-disk cache; each worker process
(spawn start method: forking a process in which jax already runs threads can hang) loads those
arrays once and trains submissions one after another. Every submission trains from the same
seed in a fresh model, so a result does not depend on which worker ran it or what ran before:
the parallel run gives the same scores as a sequential one. A submission that raises, or whose
worker dies (out of memory, killed), is reported as failed; the others still finish.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import queue as queue_module
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import storage
from ml.manifest import TaskManifest, canonical_json
from ml.preprocess import cache_path, prepare
from ml.train import TrainingProgress, TrainingResult

REPORT_FORMAT = "hyperbounty-evaluation-report/1"
DEFAULT_TRAINER = "ml.train:train_submission"


@dataclass(frozen=True)
class Submission:
    """A revealed submission: who sent it and its hyperparameters (dataclass, dict or tuple)."""

    participant: str
    hyperparameters: Any


@dataclass(frozen=True)
class RunnerProgress:
    """Progress of one submission, for a per-submission progress bar and live curves."""

    index: int
    participant: str
    state: str  # "queued", "training", "scored", "failed"
    fraction: float
    training: TrainingProgress | None = None
    error: str | None = None


RunnerProgressFn = Callable[[RunnerProgress], None]


@dataclass
class SubmissionResult:
    participant: str
    hyperparameters: Any
    status: str  # "scored" or "failed"
    score_ppm: int | None = None
    error: str | None = None
    training: dict[str, Any] | None = None
    worker_pid: int | None = None
    seconds: float = 0.0


@dataclass
class EvaluationReport:
    """The document whose CID becomes ``reportDigest``; ``to_bytes`` is canonical JSON."""

    manifest_cid: str
    test_cid: str | None
    protocol: dict[str, Any]
    environment: dict[str, str]
    submissions: list[SubmissionResult]
    runner: dict[str, Any] = field(default_factory=dict)
    format: str = REPORT_FORMAT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

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
        """``postScores`` arguments: every scored participant with its own score, in report order."""
        scored = [r for r in self.submissions if r.status == "scored" and r.score_ppm is not None]
        return [r.participant for r in scored], [int(r.score_ppm) for r in scored]

    @property
    def failed(self) -> list[SubmissionResult]:
        return [r for r in self.submissions if r.status != "scored"]


def environment() -> dict[str, str]:
    """Library versions that decide the numbers, recorded in every report."""
    from importlib.metadata import PackageNotFoundError, version

    import keras

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
) -> EvaluationReport:
    """Train and score every submission; ``workers=0`` trains in this process, one by one.

    ``files`` must include the test split. ``trainer`` ("module:function") exists so tests can
    inject a failure into a worker; it defaults to :func:`ml.train.train_submission`.
    """
    if "test" not in files:
        raise ValueError("Scoring needs the test split: pass files['test'].")
    started = time.perf_counter()
    prepared_path = cache_path(manifest, files["test"])

    def preprocess_once() -> None:  # into the disk cache, where every worker reads it
        prepare(manifest, files, expected_test_cid=expected_test_cid)

    count = len(submissions)
    workers = default_workers() if workers is None else workers
    workers = min(workers, count) if workers > 0 else 0
    for i, sub in enumerate(submissions):
        _emit(progress, RunnerProgress(i, sub.participant, "queued", 0.0))
    if workers == 0:
        preprocess_once()
        results = _run_inline(manifest, prepared_path, submissions, progress, trainer)
    else:
        threads = threads_per_worker if threads_per_worker is not None else _threads_for(workers)
        results = _run_pool(
            manifest, prepared_path, submissions, workers, threads, progress, trainer, preprocess_once
        )
    return EvaluationReport(
        manifest_cid=manifest.cid(),
        test_cid=storage.ipfs_cid(files["test"]),
        protocol=manifest.evaluation.model_dump(mode="json"),
        environment=environment(),
        submissions=[results[i] for i in range(count)],
        runner={"workers": workers, "wall_seconds": round(time.perf_counter() - started, 3)},
    )


def _threads_for(workers: int) -> int:
    """CPU threads per worker: share the cores out so workers do not fight over them."""
    return max(1, (os.cpu_count() or 1) // workers)


def _emit(progress: RunnerProgressFn | None, event: RunnerProgress) -> None:
    if progress is not None:
        progress(event)


# --- in process -------------------------------------------------------------------------


def _run_inline(manifest, prepared_path, submissions, progress, trainer) -> dict[int, SubmissionResult]:
    results = {}
    for i, sub in enumerate(submissions):

        def relay(event: TrainingProgress, i: int = i, who: str = sub.participant) -> None:
            _emit(progress, RunnerProgress(i, who, "training", event.fraction, training=event))

        result = _train_one(manifest, prepared_path, sub, trainer, relay)
        results[i] = result
        _emit(progress, _final_event(i, result))
    return results


def _final_event(index: int, result: SubmissionResult) -> RunnerProgress:
    return RunnerProgress(index, result.participant, result.status, 1.0, error=result.error)


def _train_one(manifest, prepared_path, sub, trainer, relay) -> SubmissionResult:
    from ml.preprocess import Prepared

    started = time.perf_counter()
    hp = sub.hyperparameters
    raw_hp = hp.to_dict() if hasattr(hp, "to_dict") else (list(hp) if isinstance(hp, tuple | list) else hp)
    try:
        train = _load_trainer(trainer)
        prepared = _PREPARED.get(str(prepared_path)) or Prepared.load(Path(prepared_path))
        _PREPARED[str(prepared_path)] = prepared
        outcome: TrainingResult = train(manifest, prepared, hp, relay)
    except Exception as exc:  # any failure of one submission is reported, not raised
        return SubmissionResult(
            sub.participant,
            raw_hp,
            "failed",
            error=f"{type(exc).__name__}: {exc}",
            worker_pid=os.getpid(),
            seconds=round(time.perf_counter() - started, 3),
        )
    return SubmissionResult(
        sub.participant,
        outcome.hyperparameters,
        "scored",
        score_ppm=outcome.score_ppm,
        training=outcome.to_dict(),
        worker_pid=os.getpid(),
        seconds=round(time.perf_counter() - started, 3),
    )


def _load_trainer(spec: str) -> Callable[..., TrainingResult]:
    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)


_PREPARED: dict[str, Any] = {}


# --- worker processes --------------------------------------------------------------------
#
# A small pool of our own rather than ProcessPoolExecutor: when a worker dies, the executor
# breaks every pending future and cannot say which task killed it; here the parent knows what
# each worker holds, marks exactly that submission failed and starts a fresh worker.


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
    threads: int, manifest_bytes: bytes, prepared_path: str, trainer: str, tasks, outbox
) -> None:
    _limit_threads(threads)
    manifest = TaskManifest.from_bytes(manifest_bytes)
    while True:
        task = tasks.get()
        if task is None:
            return
        index, sub = task
        outbox.put(("progress", RunnerProgress(index, sub.participant, "training", 0.0)))

        def relay(event: TrainingProgress, index: int = index, who: str = sub.participant) -> None:
            outbox.put(("progress", RunnerProgress(index, who, "training", event.fraction, training=event)))

        outbox.put(("result", index, _train_one(manifest, prepared_path, sub, trainer, relay)))


@dataclass
class _Worker:
    process: Any
    tasks: Any
    holding: int | None = None


def _run_pool(manifest, prepared_path, submissions, workers, threads, progress, trainer, preprocess_once):
    """Workers start first: they import Keras and jax while this process preprocesses."""
    context = multiprocessing.get_context("spawn")
    outbox = context.Queue()
    todo = list(range(len(submissions)))
    results: dict[int, SubmissionResult] = {}
    args = (threads, manifest.to_bytes(), str(prepared_path), trainer)

    def start() -> _Worker:
        tasks = context.SimpleQueue()
        process = context.Process(target=_worker_main, args=(*args, tasks, outbox), daemon=True)
        process.start()
        return _Worker(process, tasks)

    pool = [start() for _ in range(workers)]
    try:
        preprocess_once()
        while len(results) < len(submissions):
            for n, worker in enumerate(pool):
                if worker.holding is None and todo:
                    if not worker.process.is_alive():  # died while idle: a fresh one takes the task
                        pool[n] = worker = start()
                    worker.holding = todo.pop(0)
                    worker.tasks.put((worker.holding, submissions[worker.holding]))
            _drain(outbox, results, pool, progress, timeout=0.5)
            for n, worker in enumerate(pool):
                if worker.holding is not None and not worker.process.is_alive():
                    _drain(outbox, results, pool, progress, timeout=0.2)  # its last words, if any
                    if worker.holding is not None:
                        i = worker.holding
                        results[i] = _died(submissions[i], worker.process.exitcode)
                        _emit(progress, _final_event(i, results[i]))
                    pool[n] = start() if todo else _Worker(worker.process, worker.tasks)
    finally:
        for worker in pool:
            if worker.process.is_alive():
                worker.tasks.put(None)
        for worker in pool:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.terminate()
    return results


def _drain(outbox, results, pool, progress, timeout: float) -> None:
    """Handle every message waiting (the first may take ``timeout``)."""
    wait = timeout
    while True:
        try:
            message = outbox.get(timeout=wait)
        except queue_module.Empty:
            return
        wait = 0.01
        if message[0] == "progress":
            _emit(progress, message[1])
            continue
        _, index, result = message
        results[index] = result
        for worker in pool:
            if worker.holding == index:
                worker.holding = None
        _emit(progress, _final_event(index, result))


def _died(sub: Submission, exitcode: int | None) -> SubmissionResult:
    how = (
        f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    )
    return SubmissionResult(
        sub.participant,
        _raw(sub.hyperparameters),
        "failed",
        error=f"The training process died ({how}; out of memory or killed); nothing was scored.",
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
) -> Verification:
    """Re-run one submission exactly as the owner should have, and compare with the posted score."""
    report = evaluate_submissions(
        manifest, files, [submission], workers=0 if in_process else 1, expected_test_cid=expected_test_cid
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
