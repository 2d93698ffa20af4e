"""From candles to the arrays a model trains on, the same way for owner, participant and verifier.

Published split files (format ``hyperbounty-split-csv/1``): UTF-8 CSV, LF line endings, header
``time,<COIN>_close,<COIN>_volume,...`` in the manifest's coin order, one row per interval
start (Unix seconds, ascending) that every coin has, numbers written with at most 8 decimals
and no trailing zeros. They hold raw merged candles, not features, so anyone can check them
against the market and rebuild the features from the manifest's rules:

1. Within each split, rows whose times are one interval apart form a run; a longer step is a
   gap. The percent change of every close and volume is taken against the previous row of the
   same run (a run's first row has none, and a change from a zero volume is undefined).
2. Scaling: ``clip((x - median) / IQR, -clip, clip)`` with median and IQR of each feature fitted
   on the training split only (an IQR of 0 counts as 1).
3. Target at row i (H = ``future_period``), always within one run; rows with no such future are
   dropped, never labelled 0. ``direction``: 1 iff the target coin's close H rows later is above
   the close at row i. ``volatility``: 1 iff the realized volatility of the next H rows (sum of
   absolute log returns of the target close over rows i+1..i+H) exceeds that of the last H rows
   (i-H+1..i). The persistence baseline predicts, for row i, the latest target already known
   at row i: the one of row i-H.
4. A sequence is ``sequence_length`` consecutive rows of one run that all have features; it is
   labelled with the target of its last row. Splits are separate files, so no sequence crosses
   a split boundary.
5. Training classes are balanced by undersampling the larger class, capped at
   ``max_train_sequences`` (half per class) and trimmed so the total is a multiple of the batch
   size when that leaves any (an odd batch size: of twice it), all with
   ``numpy.random.default_rng(seed)``; validation and test keep every sequence. The trim spares
   every model a second XLA compilation for a short last batch, which measured here cost as
   much as a whole epoch of the demo protocol.

Scoring walks forward over eras (:func:`prepare_eras`): the three files form one timeline, and
era e trains, validates and tests on windows of the train, validation and test files' lengths
shifted e test-slices forward, each window processed by rules 1-5 as a file of its own.

The owner's own arrays are built by parsing the bytes it publishes, so the owner and everyone
else run the exact same code on the exact same input.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

import durable
import storage
from ml.data import (
    BUNDLED_COINS,
    INTERVALS,
    PAPRIKA_INTERVALS,
    DataError,
    load_bundled,
    merge_coins,
    resample,
)
from ml.manifest import PERMILLE, TaskManifest
from settings import Settings, get_settings

SPLITS: tuple[str, ...] = ("train", "validation", "test")


@dataclass(frozen=True)
class DatasetParameters:
    """What an owner chooses; :func:`build_dataset` turns it plus candles into a manifest."""

    title: str = "Will LTC's volatility rise over the next 15 minutes?"
    source: str = "bundled"
    description: str = "Bundled 2018 BTC/LTC/ETH/BCH 1-minute candles (pythonprogramming.net, sentdex)"
    coins: tuple[str, ...] = BUNDLED_COINS
    interval: str = "5m"
    target_coin: str = "LTC"
    target: str = "volatility"
    sequence_length: int = 24
    future_period: int = 3
    split_permille: tuple[int, int, int] = (800, 100, 100)
    last_rows: int | None = None  # keep only the most recent rows of the merged candles
    epochs: int = 6
    batch_size: int = 64
    seed: int = 2018
    seeds: int = 3
    eras: int = 3
    seed_rule: str = "reveal_block"
    max_train_sequences: int | None = 6400
    max_parameters: int | None = 1_000_000  # e.g. 3x128 has 336k, 2x256 802k, 4x512 7.4M
    clip: int = 10
    # "forward": bundled data -> a forward-test rehearsal on public candles; coinpaprika -> a live
    # forward test (no test split: the test file is the window after the reveal deadline).
    # "private": the last test_permille of the candles, committed by digest. Uploads are private.
    test_kind: str = "forward"
    forward_duration_s: int = 24 * 3600  # a live forward test's window


def demo_parameters() -> DatasetParameters:
    """The default demo protocol, sized so that 3 typical submissions evaluate in about 3 minutes here.

    5-minute candles of 4 coins (8 features), sequences of 24 steps (2 hours); the target is
    whether LTC's volatility over the next 15 minutes exceeds that of the last 15 minutes (the
    direction of the price is a coin flip on this data, volatility is not: see the README and
    bench/skill.py); 6 epochs over at most 6400 balanced training sequences (100 batches of 64),
    scored over 3 seeds x 3 walk-forward eras. Six epochs, not three: measured on this data, the
    2x64 model gains 6 points of accuracy from them (56.8 % -> 62.8 %) and the 1x16 2 points.
    """
    return DatasetParameters()


def tiny_parameters() -> DatasetParameters:
    """The "Quick check" protocol: a small task for trying the flow, tests and end-to-end runs.

    256 training sequences of 8 steps x 4 features, 1 epoch (4 batches), 2 seeds x 2 eras. Measured
    here (one process, the default 2x64 model): 0.9 s of training once its programs are compiled;
    the first training of a model shape on a machine costs about 23 s instead, nearly all of it
    XLA compiling (keras/jax start 7 s, compiling the train, test and predict steps 14 s), which the
    persistent compilation cache (``ml.train.use_compilation_cache``, ``<data>/cache/xla``) then
    saves for every later seed, era, trial and evaluation of that shape. A dashboard trial runs in
    the backend's kept job worker (``actions.jobs``), so only the first one pays for starting it;
    ``bench/trial.py`` (2 shared cores, results/trial.json): first trial ~10 s, the second 0.8 s,
    the first after a restart 3-4 s (imports, no compiling), 1.4-1.6 s when the Submit page had
    the worker prewarmed. On a loaded 2-core machine all of these stretch two to four times.
    """
    return DatasetParameters(
        title="Tiny test task",
        coins=("BTC", "LTC"),
        interval="15m",
        sequence_length=8,
        future_period=2,
        last_rows=1500,
        epochs=1,
        batch_size=64,
        seeds=2,
        eras=2,
        max_train_sequences=256,
    )


def direction_parameters() -> DatasetParameters:
    """The seed's original task, the price direction 15 minutes ahead, under the demo protocol."""
    return DatasetParameters(title="Will LTC close higher in 15 minutes?", target="direction")


@dataclass
class Prepared:
    """Model-ready arrays of one task: ``x_*`` float32 (n, sequence_length, features), ``y_*`` int32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    feature_names: list[str] = field(default_factory=list)
    median: np.ndarray | None = None
    iqr: np.ndarray | None = None
    # baselines' inputs: the persistence forecast per sequence (-1 = not known: the majority
    # class is used) and the majority class of the (unbalanced) training window
    persist_val: np.ndarray | None = None
    persist_test: np.ndarray | None = None
    majority: np.ndarray | None = None  # shape (1,)

    @property
    def has_test(self) -> bool:
        return self.x_test is not None

    def save(self, path: Path) -> None:
        """Atomic ``.npz``: a reader never sees a half-written cache file."""
        arrays = {k: v for k, v in self.__dict__.items() if isinstance(v, np.ndarray)}
        with durable.atomic_open(path) as fh:
            # allow_pickle=False, as load() reads it back: plain numbers and strings only
            np.savez(fh, allow_pickle=False, feature_names=np.array(self.feature_names), **arrays)

    @classmethod
    def load(cls, path: Path) -> Prepared:
        with np.load(path, allow_pickle=False) as npz:
            values = {k: npz[k] for k in npz.files}
        names = [str(n) for n in values.pop("feature_names")]
        return cls(feature_names=names, **values)


# --- owner: candles -> manifest + split files ----------------------------------------------


def build_dataset(
    frames: Mapping[str, pd.DataFrame], params: DatasetParameters, cache_dir: Path | None = None
) -> tuple[TaskManifest, dict[str, bytes]]:
    """Resample, merge, split; returns the manifest and the three split files to add to IPFS.

    The manifest names the train and validation CIDs; the test file's CID is
    ``storage.ipfs_cid(files["test"])``, which the owner commits to on chain and keeps private.
    The arrays it prepares as a check land in the preprocess cache ``cache_dir``.
    """
    import keras  # lazy (seconds to import): only for the manifest's record of the library that will train

    coins = tuple(params.coins)
    _check_parameters(params)
    missing = [c for c in coins if c not in frames]
    if missing:
        raise DataError(f"No candles for {', '.join(missing)}: load those coins first.")
    merged = merge_coins({c: resample(frames[c], params.interval) for c in coins})
    if params.last_rows is not None:
        merged = merged.iloc[-params.last_rows :]
    live = _live_forward(params)
    if live:
        # a live forward test: the history is train + validation only (in the ratio of their
        # permille); the test rows are the window after the reveal deadline, which do not exist yet
        train_end = len(merged) * params.split_permille[0] // sum(params.split_permille[:2])
        parts = {"train": merged.iloc[:train_end], "validation": merged.iloc[train_end:]}
    else:
        bounds = split_bounds(len(merged), params.split_permille)
        parts = {name: merged.iloc[lo:hi] for name, (lo, hi) in zip(SPLITS, bounds, strict=True)}
    files = {name: split_to_csv(part, coins) for name, part in parts.items()}
    rows = {name: len(part) for name, part in parts.items()}
    if live:
        rows["test"] = params.forward_duration_s // INTERVALS[params.interval]  # nominal
    manifest = _manifest(
        title=params.title,
        data=dict(
            source=params.source,
            description=params.description,
            train_cid=storage.ipfs_cid(files["train"]),
            validation_cid=storage.ipfs_cid(files["validation"]),
            first_time=int(merged.index[0]),
            last_time=int(merged.index[-1]),
            rows=rows,
        ),
        coins=coins,
        interval=params.interval,
        target_coin=params.target_coin,
        target=params.target,
        sequence_length=params.sequence_length,
        future_period=params.future_period,
        features=dict(clip=params.clip),
        split=dict(
            train_permille=params.split_permille[0],
            validation_permille=params.split_permille[1],
            test_permille=params.split_permille[2],
        ),
        test=_test_rule(params, parts.get("test")),
        evaluation=dict(
            epochs=params.epochs,
            batch_size=params.batch_size,
            seed=params.seed,
            max_train_sequences=params.max_train_sequences,
            max_parameters=params.max_parameters,
            seeds=params.seeds,
            eras=params.eras,
            seed_rule=params.seed_rule,
            keras_version=keras.__version__,
            backend=keras.backend.backend(),
        ),
    )
    # fail now, at the owner's desk, if a split yields no sequences
    prepare(manifest, files, cache_dir=cache_dir)
    return manifest, files


def _live_forward(params: DatasetParameters) -> bool:
    return params.test_kind == "forward" and params.source == "coinpaprika"


def _test_rule(params: DatasetParameters, test_part: pd.DataFrame | None) -> dict:
    """The manifest's test rule.

    coinpaprika with ``test_kind="forward"``: a live forward test over the ``forward_duration_s``
    after the first interval boundary at or after the reveal deadline (``start_time`` None).
    Bundled candles: a forward-test rehearsal over the test split's window (public data).
    Anything else: the private test split.
    """
    if _live_forward(params):
        duration = params.forward_duration_s
        return dict(kind="forward", source="coinpaprika", start_time=None, duration_s=duration)
    if params.test_kind != "forward" or params.source != "bundled" or test_part is None or test_part.empty:
        return {}
    step = INTERVALS[params.interval]
    start = int(test_part.index[0])
    return dict(
        kind="forward",
        source="bundled",
        start_time=start,
        duration_s=int(test_part.index[-1]) + step - start,
        rehearsal=True,
    )


def _check_parameters(params: DatasetParameters) -> None:
    """The owner's choices, checked up front with messages in plain words."""
    if not params.coins:
        raise DataError("Choose at least one coin.")
    if params.target_coin not in params.coins:
        raise DataError(f"The target coin {params.target_coin} must be one of the chosen coins.")
    for name in ("sequence_length", "future_period"):
        value = getattr(params, name)
        if not 1 <= value <= 1024:
            raise DataError(f"{name} must be between 1 and 1024 steps, got {value}.")
    if params.epochs < 1 or params.batch_size < 1:
        raise DataError("epochs and batch_size must be at least 1.")
    if params.target not in ("direction", "volatility"):
        raise DataError(f"The target must be direction or volatility, got {params.target!r}.")
    if not 1 <= params.seeds <= 32 or not 1 <= params.eras <= 16:
        raise DataError("Seeds must be 1..32 and eras 1..16.")
    if params.test_kind not in ("forward", "private"):
        raise DataError(f"The test data is a forward test or a private split, got {params.test_kind!r}.")
    if _live_forward(params):
        _check_forward_window(params)
    if params.last_rows is not None and params.last_rows < 10:
        raise DataError(
            f"last_rows = {params.last_rows} keeps too little data; use at least a few hundred rows."
        )


def _check_forward_window(params: DatasetParameters) -> None:
    """A live forward test's window: whole intervals, and enough rows for a sequence in every era."""
    if params.interval not in PAPRIKA_INTERVALS:
        raise DataError(
            f"coinpaprika has no {params.interval} ticks for a forward test: choose one of "
            f"{', '.join(PAPRIKA_INTERVALS)}."
        )
    step = INTERVALS[params.interval]
    duration = params.forward_duration_s
    if duration <= 0 or duration % step:
        raise DataError(
            f"The forward-test window must be a whole number of {params.interval} intervals, "
            f"got {duration} s."
        )
    # each era tests on a slice of its own: one row without features, a sequence, a future period
    needed = params.eras * (params.sequence_length + params.future_period + 1)
    if duration // step < needed:
        hours = -(-needed * step // 3600)
        raise DataError(
            f"A forward-test window of {duration // step} {params.interval} candles is too short: each of "
            f"the {params.eras} eras needs {params.sequence_length + params.future_period + 1} rows for one "
            f"sequence; make it at least {hours} hours (better several times that)."
        )


def _manifest(**fields) -> TaskManifest:
    try:
        return TaskManifest(**fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise DataError(f"These dataset parameters do not make a valid task: {problems}.") from None


def split_bounds(rows: int, permille: tuple[int, int, int]) -> list[tuple[int, int]]:
    """(first row, end row) of train, validation and test: the chronological split by thousandths."""
    if sum(permille) != PERMILLE or min(permille) <= 0:
        raise DataError(
            f"Split fractions must be positive and add up to {PERMILLE} permille, got {permille}."
        )
    train_end = rows * permille[0] // PERMILLE
    val_end = rows * (permille[0] + permille[1]) // PERMILLE
    return [(0, train_end), (train_end, val_end), (val_end, rows)]


def split_to_csv(frame: pd.DataFrame, coins: tuple[str, ...]) -> bytes:
    """The stable text of one split file (see the module docstring)."""
    columns = [f"{coin}_{kind}" for coin in coins for kind in ("close", "volume")]
    lines = ["time," + ",".join(columns)]
    values = frame[columns].to_numpy(dtype=np.float64)
    for t, row in zip(frame.index.to_numpy(dtype=np.int64), values, strict=True):
        lines.append(str(int(t)) + "," + ",".join(_number(v) for v in row))
    return ("\n".join(lines) + "\n").encode()


def _number(value: float) -> str:
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def parse_split(data: bytes, manifest: TaskManifest, name: str = "split") -> pd.DataFrame:
    """Read a published split file back; anything off-format is a ``DataError``."""
    expected = ["time"] + [f"{c}_{k}" for c in manifest.coins for k in ("close", "volume")]
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=np.float64)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"The {name} file is not a readable CSV ({exc}).") from None
    if list(frame.columns) != expected:
        raise DataError(
            f"The {name} file's header is {','.join(frame.columns)}; expected {','.join(expected)}."
        )
    if frame.isna().to_numpy().any():
        raise DataError(f"The {name} file has empty or non-numeric values.")
    times = frame["time"].to_numpy(dtype=np.int64)
    if len(times) > 1 and (np.diff(times) <= 0).any():
        raise DataError(f"The {name} file's times are not strictly increasing.")
    return frame.set_index(frame["time"].astype(np.int64)).drop(columns="time")


# --- everyone: split files -> arrays ------------------------------------------------------


def prepare(
    manifest: TaskManifest,
    files: Mapping[str, bytes],
    use_cache: bool = True,
    expected_test_cid: str | None = None,
    cache_dir: Path | None = None,
) -> Prepared:
    """Arrays for training and scoring, cached on disk by manifest CID and test-file CID.

    ``files`` holds ``train`` and ``validation`` (and ``test`` once revealed). Every file is
    checked against the CID the manifest names, so a swapped file cannot be scored. The cache
    lives in ``cache_dir`` (see :func:`cache_dir_for`; the actions layer passes its backend's).
    """
    check_files(manifest, files, expected_test_cid)
    path = cache_path(manifest, files.get("test"), cache_dir=cache_dir)
    if use_cache and path.exists():
        try:
            return Prepared.load(path)
        except Exception:
            path.unlink(missing_ok=True)
    prepared = _compute(manifest, files)
    if use_cache:
        prepared.save(path)
    return prepared


def cache_dir_for(settings: Settings) -> Path:
    """The preprocess cache of one data dir: ``<data>/cache/preprocessed``."""
    return settings.path("cache", "preprocessed")


def cache_path(
    manifest: TaskManifest, test_file: bytes | None, era: int | None = None, cache_dir: Path | None = None
) -> Path:
    """The cache file of these arrays in ``cache_dir`` (None: the process settings' data dir)."""
    test_cid = storage.ipfs_cid(test_file) if test_file is not None else "no-test"
    label = f"{manifest.cid()}:{test_cid}" + ("" if era is None else f":era{era}")
    key = hashlib.sha256(label.encode()).hexdigest()[:32]
    return (cache_dir or cache_dir_for(get_settings())) / f"{key}.npz"


def era_windows(rows: Mapping[str, int], eras: int) -> list[dict[str, tuple[int, int]]]:
    """Row ranges of the joined train+validation+test timeline for each walk-forward era.

    The test file is cut into ``eras`` consecutive slices (the last takes the remainder); era e
    tests on slice e and trains and validates on the windows of the train and validation files'
    lengths right before it, so era 0 is exactly the three files and every era's model has only
    seen the past of its test slice.
    """
    n_train, n_val, n_test = rows["train"], rows["validation"], rows["test"]
    if eras < 1 or n_test < eras:
        raise DataError(f"The test data has {n_test} rows: too few for {eras} eras.")
    size = n_test // eras
    windows = []
    for e in range(eras):
        test_lo = n_train + n_val + e * size
        test_hi = n_train + n_val + n_test if e == eras - 1 else test_lo + size
        windows.append(
            {
                "train": (test_lo - n_val - n_train, test_lo - n_val),
                "validation": (test_lo - n_val, test_lo),
                "test": (test_lo, test_hi),
            }
        )
    return windows


def prepare_eras(
    manifest: TaskManifest,
    files: Mapping[str, bytes],
    use_cache: bool = True,
    expected_test_cid: str | None = None,
    cache_dir: Path | None = None,
) -> list[Path]:
    """Every era's arrays (see :func:`era_windows`) in the disk cache ``cache_dir``; returns their paths.

    Paths, not arrays: the evaluation's workers load each era once from there.
    """
    if "test" not in files:
        raise DataError("Scoring over eras needs the test file.")
    check_files(manifest, files, expected_test_cid)
    eras = range(manifest.evaluation.eras)
    paths = [cache_path(manifest, files["test"], era, cache_dir) for era in eras]
    if use_cache and all(_loads(path) for path in paths):
        return paths
    frames = [parse_split(files[name], manifest, name) for name in SPLITS]
    timeline = pd.concat(frames)
    rows = {name: len(frame) for name, frame in zip(SPLITS, frames, strict=True)}
    for path, window in zip(paths, era_windows(rows, manifest.evaluation.eras), strict=True):
        era_frames = {name: timeline.iloc[lo:hi] for name, (lo, hi) in window.items()}
        compute_frames(manifest, era_frames).save(path)
    return paths


def prepare_validation_eras(manifest: TaskManifest, files: Mapping[str, bytes]) -> list[Prepared]:
    """Walk-forward eras over the public files only, with the validation file as held-out data.

    What the owner can score baselines on before the test data exists (the bar suggestion).
    """
    check_files(manifest, files)
    frames = [parse_split(files[name], manifest, name) for name in ("train", "validation")]
    timeline = pd.concat(frames)
    n_train, n_val = len(frames[0]), len(frames[1])
    rows = {"train": n_train - n_val, "validation": n_val, "test": n_val}
    if rows["train"] < n_val:
        raise DataError("The training file is too short to hold out a validation window before it.")
    eras = []
    for window in era_windows(rows, manifest.evaluation.eras):
        era_frames = {name: timeline.iloc[lo:hi] for name, (lo, hi) in window.items()}
        eras.append(compute_frames(manifest, era_frames))
    return eras


def _loads(path: Path) -> bool:
    """A cache file that exists and reads; a damaged one is removed so it is rebuilt."""
    if not path.exists():
        return False
    try:
        Prepared.load(path)
        return True
    except Exception:
        path.unlink(missing_ok=True)
        return False


def check_files(
    manifest: TaskManifest, files: Mapping[str, bytes], expected_test_cid: str | None = None
) -> None:
    """Every file must be the one its CID names (the test file's CID comes from the chain)."""
    for name in ("train", "validation"):
        if name not in files:
            raise DataError(f"The {name} file is missing; fetch it by its CID from the manifest.")
    expected_cids = [("train", manifest.data.train_cid), ("validation", manifest.data.validation_cid)]
    if expected_test_cid is not None:
        if "test" not in files:
            raise DataError("The test file is missing; fetch it by the CID revealed on chain.")
        expected_cids.append(("test", storage.normalize_cid(expected_test_cid)))
    for name, expected in expected_cids:
        actual = storage.ipfs_cid(files[name])
        if actual != expected:
            raise DataError(f"The {name} file has CID {actual}, but the manifest names {expected}.")


def _compute(manifest: TaskManifest, files: Mapping[str, bytes]) -> Prepared:
    frames = {name: parse_split(files[name], manifest, name) for name in SPLITS if name in files}
    return compute_frames(manifest, frames)


def compute_frames(manifest: TaskManifest, frames: Mapping[str, pd.DataFrame]) -> Prepared:
    """Rules 1-5 on one train/validation(/test) triple of candle frames, each a file of its own."""
    raw = {name: split_features(frame, manifest) for name, frame in frames.items()}
    median, iqr = fit_scaler(raw["train"][0])
    arrays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for name, (features, target, ends) in raw.items():
        scaled = scale(features, median, iqr, manifest.features.clip)
        x, y = make_sequences(scaled, target, ends, manifest.sequence_length)
        if len(y) == 0:
            raise DataError(
                f"The {name} split yields no sequences of {manifest.sequence_length} rows: use more data, a "
                "shorter sequence length or a shorter future period."
            )
        arrays[name] = (x, y, persistence(target, manifest.future_period)[ends].astype(np.int8))
    protocol = manifest.evaluation
    y_all = arrays["train"][1]
    majority = np.array([int(2 * int(y_all.sum()) > len(y_all))], dtype=np.int8)
    x_train, y_train = balance(
        *arrays["train"][:2], protocol.seed, protocol.max_train_sequences, multiple_of=protocol.batch_size
    )
    test = arrays.get("test", (None, None, None))
    return Prepared(
        x_train=x_train,
        y_train=y_train,
        x_val=arrays["validation"][0],
        y_val=arrays["validation"][1],
        x_test=test[0],
        y_test=test[1],
        feature_names=manifest.feature_names,
        median=median,
        iqr=iqr,
        persist_val=arrays["validation"][2],
        persist_test=test[2],
        majority=majority,
    )


def split_features(frame: pd.DataFrame, manifest: TaskManifest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unscaled features (NaN where undefined), targets (-1 where dropped), valid sequence ends."""
    times = frame.index.to_numpy(dtype=np.int64)
    n = len(times)
    run = np.zeros(n, dtype=np.int64)
    if n:
        run[1:] = np.cumsum(np.diff(times) != manifest.interval_seconds)
    values = frame[manifest.feature_names].to_numpy(dtype=np.float64)
    features = np.full_like(values, np.nan)
    if n > 1:
        previous = values[:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            change = values[1:] / previous - 1.0
        change[~np.isfinite(change)] = np.nan
        change[run[1:] != run[:-1]] = np.nan  # never across a gap
        features[1:] = change
    close = frame[f"{manifest.target_coin}_close"].to_numpy(dtype=np.float64)
    if manifest.target == "volatility":
        target = volatility_target(close, run, manifest.future_period)
    else:
        target = future_target(close, run, manifest.future_period)
    ends = sequence_ends(features, run, target, manifest.sequence_length)
    return features, target, ends


def future_target(close: np.ndarray, run: np.ndarray, future_period: int) -> np.ndarray:
    """1 if the close ``future_period`` rows ahead (same run) is higher, 0 if not, -1 if unknown."""
    target = np.full(len(close), -1, dtype=np.int64)
    if len(close) > future_period:
        ahead = close[future_period:]
        now = close[:-future_period]
        same_run = run[future_period:] == run[:-future_period]
        target[:-future_period] = np.where(same_run, (ahead > now).astype(np.int64), -1)
    return target


def volatility_target(close: np.ndarray, run: np.ndarray, period: int) -> np.ndarray:
    """1 if the next ``period`` rows move more (sum of |log return|) than the last ``period``, 0 if
    not, -1 where either window leaves the run."""
    n = len(close)
    moves = np.full(n, np.nan)
    if n > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            moves[1:] = np.abs(np.log(close[1:] / close[:-1]))
        moves[1:][run[1:] != run[:-1]] = np.nan
    valid = np.isfinite(moves)
    total = np.concatenate([[0.0], np.cumsum(np.where(valid, moves, 0.0))])
    count = np.concatenate([[0], np.cumsum(valid)])
    past = np.full(n, np.nan)  # rows i-period+1..i
    if n >= period:
        ok = count[period:] - count[:-period] == period
        past[period - 1 :] = np.where(ok, total[period:] - total[:-period], np.nan)
    target = np.full(n, -1, dtype=np.int64)
    if n > period:
        future = past[period:]  # the window of rows i+1..i+period is the past window of row i+period
        now = past[:-period]
        known = np.isfinite(future) & np.isfinite(now)
        target[:-period] = np.where(known, (future > now).astype(np.int64), -1)
    return target


def persistence(target: np.ndarray, period: int) -> np.ndarray:
    """The latest target known at each row (that of ``period`` rows earlier), -1 where unknown."""
    known = np.full(len(target), -1, dtype=np.int64)
    if len(target) > period:
        known[period:] = target[:-period]
    return known


def sequence_ends(features: np.ndarray, run: np.ndarray, target: np.ndarray, length: int) -> np.ndarray:
    """Rows that end a full window of ``length`` rows with features, all in one run, and have a target."""
    ok = ~np.isnan(features).any(axis=1)
    streak = np.zeros(len(ok), dtype=np.int64)
    for i in range(len(ok)):
        if ok[i]:
            continued = i > 0 and ok[i - 1] and run[i] == run[i - 1]
            streak[i] = streak[i - 1] + 1 if continued else 1
    return np.flatnonzero((streak >= length) & (target >= 0))


def fit_scaler(train_features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and IQR per feature, from the training split only."""
    rows = train_features[~np.isnan(train_features).any(axis=1)]
    if len(rows) == 0:
        raise DataError("The training split has no usable rows to fit the scaling on; use more data.")
    q25, median, q75 = np.percentile(rows, [25, 50, 75], axis=0)
    iqr = q75 - q25
    iqr[iqr == 0] = 1.0
    return median, iqr


def scale(features: np.ndarray, median: np.ndarray, iqr: np.ndarray, clip: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.clip((features - median) / iqr, -clip, clip)


def make_sequences(
    scaled: np.ndarray, target: np.ndarray, ends: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
    if len(ends) == 0:
        return np.zeros((0, length, scaled.shape[1]), np.float32), np.zeros(0, np.int32)
    windows = np.lib.stride_tricks.sliding_window_view(scaled, length, axis=0)  # (n-L+1, F, L)
    x = windows[ends - length + 1].transpose(0, 2, 1).astype(np.float32)
    return np.ascontiguousarray(x), target[ends].astype(np.int32)


def balance(
    x: np.ndarray, y: np.ndarray, seed: int, cap: int | None, multiple_of: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Equal class counts by undersampling, at most ``cap`` in all, chronological order kept."""
    rng = np.random.default_rng(seed)
    per_class = min(int((y == 0).sum()), int((y == 1).sum()))
    if cap is not None:
        per_class = min(per_class, cap // 2)
    step = math.lcm(2, max(1, multiple_of))
    if 2 * per_class >= step:
        per_class = (2 * per_class) // step * step // 2
    if per_class == 0:
        raise DataError("The training split has only one class of target; use more data or another period.")
    keep = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in (0, 1)])
    keep.sort()
    return x[keep], y[keep]


def data_frames_bundled() -> dict[str, pd.DataFrame]:
    """The bundled candles of every coin (a shortcut for the default dataset)."""
    return load_bundled()


def hidden_test_cid(files: Mapping[str, bytes]) -> str:
    """The CID of the hidden test file: what the owner commits to at bounty creation."""
    return storage.ipfs_cid(files["test"])
