"""Evaluate many submissions under one manifest, in parallel, and write the evaluation report.

Each submission is trained once per cell, one (seed, era) pair of the manifest's protocol
(ml/scoring.py turns the cells into a score with an error bar; ml/preprocess.py defines the
eras). Preprocessing runs once, in the caller, and lands in the on-disk cache, one file per era.
Each cell is one task of an executor (``ml.executor``: the local process pool by default, a Ray
cluster when ``HYPERBOUNTY_RAY_ADDRESS`` is set, inline for ``workers=0``); an era's arrays travel
once per worker process or node, and a pool worker prefers the cells of the submission it trained
last so a model is compiled once, not once per worker. Every cell trains from its own seed in a
fresh model, so a result does not depend on which worker or node ran it or what ran before: the
parallel run, and the run on Ray, give the same scores as a sequential one. A cell that raises,
whose worker dies or that runs past the task timeout fails its submission, which the protocol
scores 0 with the reason (and the cell) in the report; the others still finish. A cell whose Ray
node left the cluster is trained again elsewhere, and the report's ``runner`` says so.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import storage
from ml import scoring
from ml.executor import (
    CANCELLED,
    DONE,
    FAILED,
    PROGRESS,
    RETRIED,
    STARTED,
    Executor,
    Task,
    TaskCancelled,
    TaskEvent,
    default_executor,
    default_workers,
)
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

    @property
    def executor(self) -> str:
        """Where the cells trained: "pool", "ray" or "inline" ("pool" for a report from before
        the executor was recorded: the local pool was then the only way)."""
        return str(self.runner.get("executor", "pool"))

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """The nodes that trained cells, with their library versions ([] in an older report)."""
        return list(self.runner.get("nodes", []))

    @property
    def retried(self) -> list[dict[str, Any]]:
        """Cells trained again after their node or worker was lost, each with the reason."""
        return list(self.runner.get("retried", []))


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
    executor: Executor | None = None,
    task_timeout_s: float | None = None,
) -> EvaluationReport:
    """Train and score every submission on every cell; ``workers=0`` trains in this process.

    ``files`` must include the test split. ``seeds`` are the protocol's training seeds (for
    ``seed_rule = "reveal_block"`` the caller derives them from the chain, see
    ``ml.scoring.derive_seeds``, and says where from in ``seed_source``); by default the
    manifest's fixed ones. ``trainer`` ("module:function") exists so tests can inject a failure;
    it is called as ``train_submission`` is. ``cache_dir``: the preprocess cache the eras land in
    (``ml.preprocess.cache_dir_for(settings)``); ``xla_cache_dir``: where every trainer keeps
    compiled programs (``ml.train.xla_cache_dir_for(settings)``); None for either: under the
    process settings' data dir. ``executor``: where the cells run (``ml.executor``; None: Ray when
    ``HYPERBOUNTY_RAY_ADDRESS`` is set, else a local pool of ``workers``, started and stopped here);
    ``task_timeout_s``: how long one cell may train (None: ``HYPERBOUNTY_TASK_TIMEOUT_S``). The
    report's ``runner`` records the executor, the nodes that trained (with their versions), the
    cells run again after a lost node, and the timeout.
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
    tracker = _Tracker(submissions, len(seeds) * protocol.eras, progress)
    workers = default_workers() if workers is None else workers
    workers = min(workers, len(tasks)) if workers > 0 else 0
    threads = threads_per_worker if threads_per_worker is not None else _threads_for(max(1, workers))
    own = executor is None
    if executor is None:  # started before preprocessing: pool workers import Keras meanwhile
        executor = default_executor(workers, threads, timeout_s=task_timeout_s, preload=("ml.runner",))
    try:
        prepare_eras(manifest, files, expected_test_cid=expected_test_cid, cache_dir=cache_dir)
        eras = [Prepared.load(path) for path in era_paths]
        run = _Run(manifest.to_bytes(), trainer, xla_cache_dir)
        _run_cells(executor, run, submissions, tasks, eras, tracker)
        placement = executor.describe()
    finally:
        if own:
            executor.close()
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
            **placement,
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


# --- one cell, wherever it runs -----------------------------------------------------------


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
    """What every cell of one evaluation needs besides its task (shared once per node)."""

    manifest_bytes: bytes
    trainer: str
    xla_cache_dir: Path | None


def _cell_task(payload: tuple[CellTask, Submission], shared: Mapping[str, Any], report: Any) -> _CellOutcome:
    """An executor task: one cell, with its era's arrays and the run from the shared values."""
    task, sub = payload
    run: _Run = shared["run"]
    return _train_cell(run, shared[_era_name(task.era)], sub, task, report)


def _era_name(era: int) -> str:
    return f"era:{era}"


def _train_cell(
    run: _Run, prepared: Prepared, sub: Submission, task: CellTask, relay: Callable[[TrainingProgress], None]
) -> _CellOutcome:
    started = time.perf_counter()
    raw_hp = _raw(sub.hyperparameters)
    try:
        train = _load_trainer(run.trainer)
        outcome: TrainingResult = train(
            _manifest(run.manifest_bytes),
            prepared,
            sub.hyperparameters,
            relay,
            seed=task.seed,
            xla_cache_dir=run.xla_cache_dir,
        )
        if prepared.y_test is None or outcome.test_prob_up is None:
            raise ValueError("the era's arrays have no test split to score on")
        cell = scoring.make_cell(task.seed, task.era, prepared.y_test, outcome.test_prob_up)
    except TaskCancelled:
        raise
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


_MANIFESTS: dict[bytes, TaskManifest] = {}


def _manifest(raw: bytes) -> TaskManifest:
    """The run's manifest, parsed once per process."""
    if raw not in _MANIFESTS:
        _MANIFESTS[raw] = TaskManifest.from_bytes(raw)
    return _MANIFESTS[raw]


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


def _run_cells(
    executor: Executor,
    run: _Run,
    submissions: Sequence[Submission],
    tasks: Sequence[CellTask],
    eras: Sequence[Prepared],
    tracker: _Tracker,
) -> None:
    """Every cell as one executor task; the run and each era's arrays travel once per node."""
    executor.share("run", run)
    for era, prepared in enumerate(eras):
        executor.share(_era_name(era), prepared)
    by_key = {(t.index, t.era, t.seed_index): t for t in tasks}

    def on_event(event: TaskEvent) -> None:
        task = by_key[event.key]  # type: ignore[index]
        if event.kind in (STARTED, RETRIED):
            tracker.training(task, None)
        elif event.kind == PROGRESS:
            tracker.training(task, event.value)
        elif event.kind == DONE:
            tracker.finished(task, event.value)
        elif event.kind in (FAILED, CANCELLED):
            tracker.finished(task, _failed(submissions[task.index], event.error or "cancelled"))

    executor.run(
        [
            Task(
                key=(t.index, t.era, t.seed_index),
                fn=_cell_task,
                payload=(t, submissions[t.index]),
                shared=("run", _era_name(t.era)),
                group=t.index,
                label=f"{submissions[t.index].participant} era {t.era} seed {t.seed}",
            )
            for t in tasks
        ],
        on_event,
    )


def _failed(sub: Submission, error: str) -> _CellOutcome:
    return _CellOutcome(None, _raw(sub.hyperparameters), None, error, 0, 0.0)


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
