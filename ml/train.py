"""Deterministic training of one submission and its score.

The score is the accuracy on the held-out test split (never a training accuracy, never the
best epoch of anything) as an integer in parts per million, rounded half to even: exactly the
number ``postScores`` takes. With the same manifest, hyperparameters and seed, Keras on jax
gives the same weights and so the same score bit for bit on the same platform, also in another
process: every random source is seeded and the data order comes from the seed. The thread count
does not change the numbers (measured); the process environment can, slightly: with and without
``OPENBLAS_CORETYPE=Haswell`` the last bit of a validation loss differed here (the score did not),
so a verifier should run where the owner ran, with the versions the report records.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.manifest import TaskManifest
from ml.model import (
    HyperparameterLike,
    as_hyperparameters,
    build_model,
    encode_targets,
    forward_flops,
    trainable_parameters,
)
from ml.preprocess import Prepared
from ml.scoring import accuracy_ppm
from settings import Settings, get_settings

PPM = 1_000_000
CURVE_KEYS: tuple[str, ...] = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class TrainingProgress:
    """One progress report: enough for a progress bar (``fraction``) and live curves."""

    epoch: int  # 1-based epoch in progress
    epochs: int
    batch: int  # batches done in this epoch
    batches: int
    fraction: float  # 0..1 of the whole training
    logs: dict[str, float]  # latest running metrics of this epoch
    curves: dict[str, list[float]]  # finished epochs so far
    epoch_done: bool = False


ProgressFn = Callable[[TrainingProgress], None]


class TrainingFailed(RuntimeError):
    """A training that produced no usable model (it diverged): the protocol scores it 0."""


@dataclass
class TrainingResult:
    """What a training produced; ``score_ppm`` is None when there is no test split yet.

    ``test_prob_up`` (probability of class 1 per test sequence) feeds the report's cell; it is
    not part of ``to_dict``.
    """

    hyperparameters: dict[str, int]
    score_ppm: int | None
    correct: int | None
    total: int | None
    val_accuracy_ppm: int
    curves: dict[str, list[float | None]]  # None: a diverged epoch's NaN or infinity
    epochs: int
    train_sequences: int
    parameters: int
    forward_flops_per_sequence: int
    seconds: dict[str, float] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)  # the first includes XLA compilation
    seed: int | None = None
    test_prob_up: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("test_prob_up")
        return data


_CACHE_SET: list[str] = []


def xla_cache_dir_for(settings: Settings) -> Path:
    """jax's persistent compilation cache of one data dir: ``<data>/cache/xla``."""
    return settings.path("cache", "xla")


def use_compilation_cache(folder: Path | None = None) -> None:
    """Keep jax's compiled XLA programs in ``folder`` (None: under the process settings' data
    dir), shared by processes and runs.

    Compilation dominates a short training (the demo's 2x64 model: about 8 s of compiling in
    its first epoch against under 1 s per later epoch); re-running a model that was trained
    before here (a verification, or the owner scoring what a participant tried on the same
    machine) then skips it: 14.2 s -> 6.2 s measured, with bit-identical results, as the cache
    holds the very program that would be compiled again. jax fixes the folder at its first
    use, so it is set once per process (the folder of that first call); the programs it holds
    are keyed by their content, so a later data dir reusing them reads the same results. Every
    program is kept, however quick to compile or small (jax's defaults skip those under 1 s).
    """
    import keras  # lazy, here and below: keras and jax take seconds to import, pages must not pay that

    if _CACHE_SET or keras.backend.backend() != "jax":
        return
    import jax

    chosen = str(folder or xla_cache_dir_for(get_settings()))
    jax.config.update("jax_compilation_cache_dir", chosen)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # LSTM steps all pay
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)  # -1: no size floor, none set later
    _CACHE_SET.append(chosen)


def warm_up() -> None:
    """Import keras and jax and start jax's CPU backend, the seconds a process pays before its first
    training (a dashboard's job worker does it while the person still reads the page).

    Compiles nothing, so the compilation cache folder is still chosen by the first training.
    """
    import keras  # lazy: see use_compilation_cache

    if keras.backend.backend() == "jax":
        import jax

        jax.devices()


def seed_everything(seed: int) -> None:
    """Python, numpy and the Keras backend all start from ``seed``."""
    import keras  # lazy: see use_compilation_cache

    keras.utils.set_random_seed(seed)


def train_submission(
    manifest: TaskManifest,
    prepared: Prepared,
    hp: HyperparameterLike,
    progress: ProgressFn | None = None,
    seed: int | None = None,
    xla_cache_dir: Path | None = None,
) -> TrainingResult:
    """Train under the manifest's protocol and score on the test split when it is there.

    ``seed`` is the cell's training seed (the manifest's ``seed`` when None); ``xla_cache_dir``
    where compiled programs are kept (see :func:`use_compilation_cache`). Every batch the
    model sees has the full batch shape (training rows are trimmed to whole batches, validation
    rows for the curves too, predictions padded), so one compiled program serves every seed
    and era of a submission.
    """
    hp = as_hyperparameters(hp)
    started = time.perf_counter()
    import keras  # lazy: see use_compilation_cache

    protocol = manifest.evaluation
    seed = protocol.seed if seed is None else int(seed)
    x_train, y_train = prepared.x_train, prepared.y_train
    size = trainable_parameters(hp, x_train.shape[1], x_train.shape[2])
    if protocol.max_parameters is not None and size > protocol.max_parameters:
        raise TrainingFailed(
            f"the model has {size:,} trainable parameters, above the manifest's compute budget of "
            f"{protocol.max_parameters:,}; use fewer or smaller layers"
        )
    use_compilation_cache(xla_cache_dir)
    seed_everything(seed)
    model = build_model(hp, x_train.shape[1], x_train.shape[2])
    built = time.perf_counter()
    callback = _ProgressCallback(keras, progress, protocol.epochs, len(x_train), protocol.batch_size)
    x_val, y_val = _whole_batches(prepared.x_val, prepared.y_val, protocol.batch_size)
    history = model.fit(
        x_train,
        encode_targets(y_train, hp),
        validation_data=(x_val, encode_targets(y_val, hp)),
        epochs=protocol.epochs,
        batch_size=protocol.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[callback],
    )
    trained = time.perf_counter()
    curves = {k: [_json_number(v) for v in history.history.get(k, [])] for k in CURVE_KEYS}
    val_prob = _prob_up(model, prepared.x_val, protocol.batch_size)
    val_correct = int(np.count_nonzero((val_prob > 0.5) == (prepared.y_val == 1)))
    score = correct = total = None
    test_prob = None
    if prepared.x_test is not None and prepared.y_test is not None:
        test_prob = _prob_up(model, prepared.x_test, protocol.batch_size)
        correct = int(np.count_nonzero((test_prob > 0.5) == (prepared.y_test == 1)))
        total = len(prepared.y_test)
        score = accuracy_ppm(correct, total)
    finished = time.perf_counter()
    return TrainingResult(
        hyperparameters=hp.to_dict(),
        score_ppm=score,
        correct=correct,
        total=total,
        val_accuracy_ppm=accuracy_ppm(val_correct, len(prepared.y_val)),
        curves=curves,
        epochs=protocol.epochs,
        train_sequences=len(x_train),
        parameters=int(model.count_params()),
        forward_flops_per_sequence=forward_flops(hp, x_train.shape[1], x_train.shape[2]),
        seconds={
            "build": round(built - started, 3),
            "fit": round(trained - built, 3),
            "score": round(finished - trained, 3),
            "total": round(finished - started, 3),
        },
        epoch_seconds=[round(t, 3) for t in callback.epoch_seconds],
        seed=seed,
        test_prob_up=test_prob,
    )


def _whole_batches(x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The newest whole batches of the validation rows (all of them if fewer than one batch).

    Only the curves use these; the validation accuracy is computed on every row below.
    """
    keep = len(x) // batch_size * batch_size
    return (x[-keep:], y[-keep:]) if keep else (x, y)


def _prob_up(model: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Probability of class 1 per row. The input is padded to whole batches (rows are
    independent at inference), so one compiled predict step serves every split and era."""
    n = len(x)
    short = -n % batch_size
    if short:
        x = np.concatenate([x, np.zeros((short, *x.shape[1:]), dtype=x.dtype)])
    prob = np.asarray(model.predict(x, batch_size=batch_size, verbose=0)[:n, 1], dtype=np.float64)
    if not np.isfinite(prob).all():
        raise TrainingFailed("the training diverged: the model predicts NaN (try a lower learning rate)")
    return prob


def _json_number(value: Any) -> float | None:
    """A curve point; NaN or infinity (a diverged epoch) is recorded as null."""
    number = float(value)
    return number if math.isfinite(number) else None


def _ProgressCallback(
    keras: Any, progress: ProgressFn | None, epochs: int, rows: int, batch_size: int
) -> Any:
    """A Keras callback that reports at most ~50 times per epoch (cheap for any listener)."""
    batches = max(1, math.ceil(rows / batch_size))
    every = max(1, batches // 50)

    class Callback(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.epoch_seconds: list[float] = []
            self.epoch_started = 0.0
            self.curves: dict[str, list[float]] = {k: [] for k in CURVE_KEYS}

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch
            self.epoch_started = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            done = batch + 1
            if progress is not None and (done % every == 0 or done == batches):
                self._report(done, logs, False)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch_seconds.append(time.perf_counter() - self.epoch_started)
            for key in CURVE_KEYS:
                if logs and key in logs:
                    self.curves[key].append(float(logs[key]))
            if progress is not None:
                self._report(batches, logs, True)

        def _report(self, done: int, logs: dict | None, epoch_done: bool) -> None:
            if progress is None:
                return
            fraction = (self.epoch + done / batches) / epochs
            progress(
                TrainingProgress(
                    epoch=self.epoch + 1,
                    epochs=epochs,
                    batch=done,
                    batches=batches,
                    fraction=min(1.0, fraction),
                    logs={k: float(v) for k, v in (logs or {}).items()},
                    curves={k: list(v) for k, v in self.curves.items()},
                    epoch_done=epoch_done,
                )
            )

    return Callback()
