"""Hyperparameter search for participants: an Optuna TPE study over the contract's ranges.

Why: the bounty is a hyperparameter-optimisation problem, and trying one set at a time by hand is
the slow way to solve it. A trial trains exactly as the owner's evaluation will (the bounty's
protocol: every seed on every walk-forward era, the manifest's fixed seeds) but on the published
files only: the eras come from ``ml.preprocess.prepare_validation_eras``, whose held-out slice is
the public validation file, so a participant never needs the hidden test data. The objective is
the mean accuracy over those cells, as the posted score is; a model over the compute budget or a
diverging one scores 0, as the protocol scores it.

The search space is ``protocol.RANGES`` (what the contract accepts): learning rate and units on a
log scale, activation and loss categorical. Trials report their validation accuracy after every
epoch of every cell, and a median pruner stops those clearly behind (a pruned trial stops at its
next batch through the executor's cancel). Trials run in parallel as tasks of an executor (the
local pool or Ray, ``ml.executor``); the prepared eras travel once per node. The study lives in a
SQLite file (Optuna's RDB storage) under the data dir: a search started again, after a crash or a
``kill -9``, continues where it was and never repeats a finished trial; trials that were running
when the process died are run again from their parameters.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml import scoring
from ml.executor import CANCELLED, DONE, FAILED, PROGRESS, Executor, Task, TaskEvent, default_executor
from ml.manifest import TaskManifest
from ml.preprocess import Prepared, prepare_validation_eras
from protocol import ACTIVATIONS, LOSSES, RANGES, Hyperparameters

if TYPE_CHECKING:  # optuna loads only when a search runs or is shown
    import optuna

PPM = 1_000_000
SAMPLERS = ("tpe", "random")
LOG_SCALE = frozenset({"learning_rate_micro", "lstm_units"})
CATEGORICAL = {"activation": ACTIVATIONS, "loss": LOSSES}


def search_space(limits: Mapping[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """Optuna distributions over ``protocol.RANGES``; ``limits`` narrows integer fields (a bench
    or a quick test keeps models small), never beyond what the contract accepts."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    space: dict[str, Any] = {}
    for name, (low, high, _) in RANGES.items():
        if name in CATEGORICAL:
            space[name] = CategoricalDistribution(list(CATEGORICAL[name]))
            continue
        lo, hi = (limits or {}).get(name, (low, high))
        lo, hi = max(low, int(lo)), min(high, int(hi))
        step = 10 if name == "dropout_permille" and (hi - lo) % 10 == 0 else 1  # 0.01 of dropout is enough
        space[name] = IntDistribution(lo, hi, log=name in LOG_SCALE, step=step)
    return space


def hyperparameters_from_params(params: Mapping[str, Any]) -> Hyperparameters:
    """A trial's parameters (activation and loss by name) as the contract's hyperparameters."""
    values = dict(params)
    for name, choices in CATEGORICAL.items():
        if isinstance(values.get(name), str):
            values[name] = list(choices).index(values[name])
    return Hyperparameters.from_dict({k: int(v) for k, v in values.items()})


@dataclass(frozen=True)
class SearchProgress:
    """Where a search stands: finished trials of the target, running ones, the best so far."""

    finished: int
    target: int | None
    running: int
    best_value_ppm: int | None
    best_hyperparameters: dict[str, int] | None
    message: str


@dataclass
class SearchResult:
    study_name: str
    storage: str
    finished: int  # COMPLETE or PRUNED trials in the study
    ran: int  # trials this call finished (a resumed search does not repeat the others)
    best_value_ppm: int | None
    best_hyperparameters: dict[str, int] | None
    trials: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False


# --------------------------------------------------------------------------- one trial


@dataclass(frozen=True)
class _TrialSpec:
    """What every trial of one search shares (once per node)."""

    manifest_bytes: bytes
    seeds: tuple[int, ...]
    xla_cache_dir: Path | None


def _trial_task(payload: dict[str, int], shared: Mapping[str, Any], report: Callable[[Any], None]) -> dict:
    """An executor task: one trial's cells on the validation eras; the mean accuracy in ppm.

    After each epoch it reports ``{"step", "val_accuracy"}`` for the pruner.
    """
    from ml.train import TrainingFailed, TrainingProgress, train_submission

    spec: _TrialSpec = shared["spec"]
    eras: Sequence[Prepared] = shared["eras"]
    manifest = TaskManifest.from_bytes(spec.manifest_bytes)
    hp = Hyperparameters.from_dict(payload)
    epochs = manifest.evaluation.epochs
    cells: list[scoring.Cell] = []
    for n, (era, seed) in enumerate((e, s) for e in range(len(eras)) for s in spec.seeds):

        def relay(event: TrainingProgress, n: int = n) -> None:
            if event.epoch_done:
                value = event.logs.get("val_accuracy")
                report({"step": n * epochs + event.epoch, "val_accuracy": value})

        prepared = eras[era]
        try:
            result = train_submission(
                manifest, prepared, hp, relay, seed=seed, xla_cache_dir=spec.xla_cache_dir
            )
        except TrainingFailed as exc:  # over the budget or diverged: the protocol scores it 0
            return {"value_ppm": 0, "error": str(exc), "cells": len(cells)}
        if prepared.y_test is None or result.test_prob_up is None:
            raise ValueError("a validation era has no held-out slice to score on")
        cells.append(scoring.make_cell(seed, era, prepared.y_test, result.test_prob_up))
    return {"value_ppm": scoring.mean_score_ppm(cells), "error": None, "cells": len(cells)}


# --------------------------------------------------------------------------- the study


def open_study(
    study_path: Path, study_name: str, sampler: str = "tpe", seed: int | None = None
) -> optuna.Study:
    """The study in its SQLite file (created on first use), maximising validation accuracy.

    A seeded sampler of a resumed study starts from ``seed`` plus the trials it holds, so it does
    not draw the parameters of its first trials again.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}.")
    study_path.parent.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage_url(study_path),
        sampler=_sampler(sampler, seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0),
        direction="maximize",
        load_if_exists=True,
    )
    held = len(study.get_trials(deepcopy=False))
    if seed is not None and held:
        study.sampler = _sampler(sampler, seed + held)
    return study


def _sampler(kind: str, seed: int | None) -> optuna.samplers.BaseSampler:
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5, multivariate=True, constant_liar=True)


def storage_url(study_path: Path) -> str:
    return f"sqlite:///{Path(study_path).resolve()}"


def finished_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    from optuna.trial import TrialState

    return [
        t for t in study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
    ]


def _recover(study: optuna.Study) -> int:
    """Trials left RUNNING by a process that died: failed, and queued again with their parameters."""
    from optuna.trial import TrialState

    lost = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING]
    for trial in lost:
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        study.enqueue_trial(dict(trial.params), user_attrs={"rerun_of": trial.number})
    return len(lost)


def trials_table(study: optuna.Study) -> list[dict[str, Any]]:
    """One row per trial: number, state, validation accuracy in ppm, seconds, hyperparameters."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        start, end = t.datetime_start, t.datetime_complete
        seconds = (end - start).total_seconds() if start and end else None
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                "value_ppm": t.user_attrs.get("value_ppm"),
                "seconds": round(seconds, 1) if seconds is not None else None,
                "note": t.user_attrs.get("error") or "",
                **dict(t.params),
            }
        )
    return rows


def best_of(study: optuna.Study) -> tuple[int | None, dict[str, int] | None]:
    """The best finished trial's accuracy (ppm) and hyperparameters, or (None, None)."""
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if not done:
        return None, None
    best = max(done, key=lambda t: (t.value, -t.number))
    return best.user_attrs.get("value_ppm"), hyperparameters_from_params(best.params).to_dict()


def run_search(
    manifest: TaskManifest,
    files: Mapping[str, bytes],
    study_path: Path,
    study_name: str | None = None,
    trials: int | None = 30,
    seconds: float | None = None,
    executor: Executor | None = None,
    parallel: int | None = None,
    sampler: str = "tpe",
    seed: int | None = None,
    limits: Mapping[str, tuple[int, int]] | None = None,
    progress: Callable[[SearchProgress], None] | None = None,
    stop: Callable[[], bool] | None = None,
    xla_cache_dir: Path | None = None,
) -> SearchResult:
    """Run (or resume) the study until it holds ``trials`` finished trials or ``seconds`` pass.

    ``files``: the published train and validation files (no test file is needed or read).
    ``executor``: where trials run (None: Ray when ``HYPERBOUNTY_RAY_ADDRESS`` is set, else a local
    pool of ``parallel`` workers, started and stopped here). ``stop`` (polled) ends the search:
    running trials are cancelled and queued again for the next start.
    """

    if trials is None and seconds is None:
        raise ValueError("Give a number of trials, a time budget, or both.")
    name = study_name or f"task-{manifest.cid()}"
    study = open_study(study_path, name, sampler, seed)
    _recover(study)
    space = search_space(limits)
    spec = _TrialSpec(
        manifest.to_bytes(),
        tuple(scoring.fixed_seeds(manifest.evaluation.seed, manifest.evaluation.seeds)),
        xla_cache_dir,
    )
    parallel = max(1, parallel or 2)
    own = executor is None
    if executor is None:
        executor = default_executor(parallel, preload=("ml.train",))
    loop = _SearchLoop(study, space, executor, trials, seconds, progress, stop)
    try:
        executor.share("spec", spec)
        executor.share("eras", prepare_validation_eras(manifest, files))
        loop.run(parallel)
    finally:
        if own:
            executor.close()
    best_ppm, best_hp = best_of(study)
    return SearchResult(
        study_name=name,
        storage=storage_url(study_path),
        finished=len(finished_trials(study)),
        ran=loop.ran,
        best_value_ppm=best_ppm,
        best_hyperparameters=best_hp,
        trials=trials_table(study),
        stopped=loop.stopped,
    )


class _SearchLoop:
    """Ask-and-tell: keep ``parallel`` trials running, feed their epochs to the pruner, tell results."""

    def __init__(
        self,
        study: optuna.Study,
        space: dict[str, Any],
        executor: Executor,
        trials: int | None,
        seconds: float | None,
        progress: Callable[[SearchProgress], None] | None,
        stop: Callable[[], bool] | None,
    ) -> None:
        self.study, self.space, self.executor = study, space, executor
        self.target, self.progress, self.stop = trials, progress, stop
        self.deadline = time.monotonic() + seconds if seconds else math.inf
        self.running: dict[int, optuna.trial.Trial] = {}
        self.pruned: set[int] = set()
        self.ran = 0
        self.stopped = False

    def _room(self) -> bool:
        if self.stopped or time.monotonic() > self.deadline:
            return False
        if self.target is None:
            return True
        return len(finished_trials(self.study)) + len(self.running) < self.target

    def run(self, parallel: int) -> None:
        self._emit("starting")
        while True:
            if self.stop is not None and not self.stopped and self.stop():
                self.stopped = True
                for number in list(self.running):
                    self.executor.cancel(number)
            while len(self.running) < parallel and self._room():
                self._ask()
            if not self.running:
                return
            for event in self.executor.poll(0.3):
                self._handle(event)

    def _ask(self) -> None:
        trial = self.study.ask(self.space)
        hp = hyperparameters_from_params(trial.params)
        self.running[trial.number] = trial
        self.executor.submit(
            Task(
                key=trial.number,
                fn=_trial_task,
                payload=hp.to_dict(),
                shared=("spec", "eras"),
                label=f"trial {trial.number}",
            )
        )

    def _handle(self, event: TaskEvent) -> None:
        from optuna.trial import TrialState

        trial = self.running.get(event.key) if isinstance(event.key, int) else None
        if trial is None:
            return
        if event.kind == PROGRESS and event.key not in self.pruned:
            value = event.value.get("val_accuracy")
            if value is not None and math.isfinite(value):
                trial.report(float(value), int(event.value["step"]))
                if trial.should_prune():
                    self.pruned.add(trial.number)
                    self.executor.cancel(trial.number)
            return
        if event.kind not in (DONE, FAILED, CANCELLED):
            return
        del self.running[trial.number]
        if event.kind == DONE:
            trial.set_user_attr("value_ppm", int(event.value["value_ppm"]))
            if event.value.get("error"):
                trial.set_user_attr("error", event.value["error"])
            self.study.tell(trial, event.value["value_ppm"] / PPM)
        elif trial.number in self.pruned:
            self.study.tell(trial, state=TrialState.PRUNED)
        elif event.kind == CANCELLED:  # stopped by the user: run again at the next start
            self.study.tell(trial, state=TrialState.FAIL)
            self.study.enqueue_trial(dict(trial.params), user_attrs={"rerun_of": trial.number})
            self._emit(f"trial {trial.number} stopped")
            return
        else:
            trial.set_user_attr("error", event.error or "failed")
            self.study.tell(trial, state=TrialState.FAIL)
        self.ran += 1
        self._emit(f"trial {trial.number} {'pruned' if trial.number in self.pruned else event.kind}")

    def _emit(self, message: str) -> None:
        if self.progress is None:
            return
        best_ppm, best_hp = best_of(self.study)
        self.progress(
            SearchProgress(
                finished=len(finished_trials(self.study)),
                target=self.target,
                running=len(self.running),
                best_value_ppm=best_ppm,
                best_hyperparameters=best_hp,
                message=message,
            )
        )
