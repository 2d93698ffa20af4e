"""Features, targets, sequences, scaling and splits: including the old design's mistakes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import storage
from ml import preprocess
from ml.data import DataError
from ml.preprocess import DatasetParameters, build_dataset, parse_split, prepare, split_features


def _walk(rows: int, seed: int, calm_until: int | None = None, step: int = 60, start: int = 1_600_000_020):
    """A random-walk coin; after ``calm_until`` rows it becomes ten times as volatile."""
    rng = np.random.default_rng(seed)
    scale = np.full(rows, 0.001)
    if calm_until is not None:
        scale[calm_until:] = 0.01
    close = 100 * np.exp(np.cumsum(rng.normal(0, scale)))
    volume = rng.uniform(1, 10, rows)
    index = pd.Index(start // step * step + step * np.arange(rows), name="time")
    return pd.DataFrame({"close": close, "volume": volume}, index=index)


def _params(**overrides):
    base = dict(
        title="synthetic",
        source="upload",
        description="random walk",
        coins=("AAA", "BBB"),
        interval="1m",
        target_coin="AAA",
        target="direction",
        sequence_length=5,
        future_period=2,
        epochs=1,
        batch_size=16,
        max_train_sequences=None,
        seed=7,
    )
    base.update(overrides)
    return DatasetParameters(**base)


@pytest.fixture
def synthetic():
    frames = {"AAA": _walk(1000, 1, calm_until=800), "BBB": _walk(1000, 2, calm_until=800)}
    return build_dataset(frames, _params())


def test_split_files_are_raw_candles_in_a_stable_format(synthetic):
    manifest, files = synthetic
    header, first = files["train"].decode().splitlines()[:2]
    assert header == "time,AAA_close,AAA_volume,BBB_close,BBB_volume"
    assert all(len(v.split(".")[-1]) <= 8 for v in first.split(",")[1:])
    assert preprocess.split_to_csv(parse_split(files["train"], manifest), manifest.coins) == files["train"]
    assert manifest.data.rows == {"train": 800, "validation": 100, "test": 100}
    # chronological: every training time is before every validation time, and so on
    times = {k: parse_split(v, manifest).index for k, v in files.items()}
    assert times["train"][-1] < times["validation"][0] < times["validation"][-1] < times["test"][0]


def test_targets_of_rows_without_a_future_are_dropped_not_labelled_zero():
    """Old mistake: the last rows were labelled 0. A rising price has only 1s to learn."""
    manifest, _ = build_dataset({"AAA": _walk(400, 3), "BBB": _walk(400, 4)}, _params())
    rows = 30
    rising = pd.DataFrame(
        {
            "AAA_close": np.linspace(100, 130, rows),
            "AAA_volume": np.linspace(1, 2, rows),
            "BBB_close": np.linspace(5, 6, rows),
            "BBB_volume": np.linspace(1, 2, rows),
        },
        index=pd.Index(1_600_000_020 // 60 * 60 + 60 * np.arange(rows), name="time"),
    )
    features, target, ends = split_features(rising, manifest)
    assert (target[: rows - 2] == 1).all()
    assert (target[rows - 2 :] == -1).all()  # no future: unknown, not 0
    assert ends.max() == rows - 3
    _x, y = preprocess.make_sequences(features, target, ends, manifest.sequence_length)
    assert (y == 1).all()
    assert len(y) == rows - 2 - manifest.sequence_length  # first row has no change, last 2 no future


def test_sequences_and_targets_never_cross_a_gap(synthetic):
    manifest, _ = synthetic
    times = list(1_600_000_020 // 60 * 60 + 60 * np.arange(10)) + list(
        1_600_100_000 // 60 * 60 + 60 * np.arange(10)
    )
    frame = pd.DataFrame(
        {
            "AAA_close": np.arange(20, dtype=float) + 100,
            "AAA_volume": 1.0,
            "BBB_close": 5.0,
            "BBB_volume": 1.0,
        },
        index=pd.Index(times, name="time"),
    )
    features, target, ends = split_features(frame, manifest)
    assert np.isnan(features[10]).all()  # the first row after the gap has no percent change
    assert target[8] == -1 and target[9] == -1  # their future lies across the gap
    # windows of 5 rows with features: rows 1..7 (targets known) and 11..17 in the second run
    assert list(ends) == [5, 6, 7, 15, 16, 17]


def test_every_split_is_scaled_with_training_statistics_only(synthetic):
    """Old mistake: each split was scaled with its own statistics."""
    manifest, files = synthetic
    prepared = prepare(manifest, files)
    train_features = split_features(parse_split(files["train"], manifest), manifest)[0]
    median, iqr = preprocess.fit_scaler(train_features)
    np.testing.assert_array_equal(prepared.median, median)
    np.testing.assert_array_equal(prepared.iqr, iqr)
    val_features, val_target, val_ends = split_features(parse_split(files["validation"], manifest), manifest)
    expected = preprocess.scale(val_features, median, iqr, manifest.features.clip)
    x_val, _ = preprocess.make_sequences(expected, val_target, val_ends, manifest.sequence_length)
    np.testing.assert_array_equal(prepared.x_val, x_val)
    # the volatile validation period looks volatile; scaled with its own stats it would not
    own = preprocess.scale(val_features, *preprocess.fit_scaler(val_features), manifest.features.clip)
    assert np.nanstd(expected[:, 0]) > 5 * np.nanstd(own[:, 0])


def test_no_sequence_reaches_across_a_split_boundary(synthetic):
    manifest, files = synthetic
    prepared = prepare(manifest, files)
    val_rows = manifest.data.rows["validation"]
    # contiguous split: ends run from row L (row 0 has no change) to the last row with a future
    assert len(prepared.y_val) == val_rows - manifest.future_period - manifest.sequence_length
    assert (
        len(prepared.y_test) == manifest.data.rows["test"] - manifest.future_period - manifest.sequence_length
    )


def test_training_classes_are_balanced_deterministically(synthetic):
    manifest, files = synthetic
    first = prepare(manifest, files, use_cache=False)
    second = prepare(manifest, files, use_cache=False)
    assert (first.y_train == 0).sum() == (first.y_train == 1).sum()
    np.testing.assert_array_equal(first.x_train, second.x_train)
    x, y = preprocess.make_sequences(*_train_arrays(manifest, files))
    other = preprocess.balance(x, y, seed=8, cap=None)
    assert not np.array_equal(other[0], first.x_train)  # the seed picks which ones are kept
    capped = preprocess.balance(x, y, seed=7, cap=100)
    assert len(capped[1]) == 100 and capped[1].sum() == 50
    whole_batches = preprocess.balance(x, y, seed=7, cap=100, multiple_of=16)
    assert len(whole_batches[1]) == 96 and whole_batches[1].sum() == 48
    odd_batch = preprocess.balance(x, y, seed=7, cap=100, multiple_of=15)
    assert len(odd_batch[1]) == 90 and odd_batch[1].sum() == 45
    assert len(first.y_train) % manifest.evaluation.batch_size == 0


def _train_arrays(manifest, files):
    features, target, ends = split_features(parse_split(files["train"], manifest), manifest)
    median, iqr = preprocess.fit_scaler(features)
    return preprocess.scale(features, median, iqr, 10), target, ends, manifest.sequence_length


def test_preprocessing_is_cached_on_disk_by_manifest(synthetic, monkeypatch):
    manifest, files = synthetic
    first = prepare(manifest, files)
    assert preprocess.cache_path(manifest, files["test"]).exists()

    def fail(*args):
        raise AssertionError("computed again instead of using the cache")

    monkeypatch.setattr(preprocess, "_compute", fail)
    again = prepare(manifest, files)
    np.testing.assert_array_equal(first.x_test, again.x_test)
    without_test = {k: v for k, v in files.items() if k != "test"}
    with pytest.raises(AssertionError, match="computed again"):
        prepare(manifest, without_test)  # a different key: participants have no test file


def test_swapped_or_missing_files_are_refused(synthetic):
    manifest, files = synthetic
    with pytest.raises(DataError, match=r"validation file has CID .* but the manifest names"):
        prepare(manifest, {**files, "validation": files["test"]})
    with pytest.raises(DataError, match="train file is missing"):
        prepare(manifest, {"validation": files["validation"]})
    with pytest.raises(DataError, match="test file has CID"):
        prepare(manifest, files, expected_test_cid=storage.ipfs_cid(files["validation"]))
    prepared = prepare(manifest, files, expected_test_cid=preprocess.hidden_test_cid(files))
    assert prepared.has_test


def test_too_little_data_is_refused_when_the_owner_builds(synthetic):
    with pytest.raises(DataError, match="yields no sequences"):
        build_dataset({"AAA": _walk(60, 1), "BBB": _walk(60, 2)}, _params(sequence_length=10))
    with pytest.raises(DataError, match="No candles for BBB"):
        build_dataset({"AAA": _walk(60, 1)}, _params())


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"target_coin": "CCC"}, "target coin CCC must be one of"),
        ({"sequence_length": 0}, "sequence_length must be between 1 and 1024"),
        ({"future_period": 2000}, "future_period must be between"),
        ({"split_permille": (800, 150, 100)}, "add up to 1000"),
        ({"interval": "2m"}, "Unknown interval"),
        ({"source": "somewhere"}, "do not make a valid task: data.source"),
    ],
)
def test_bad_dataset_parameters_get_plain_messages(override, message):
    with pytest.raises(DataError, match=message):
        build_dataset({"AAA": _walk(400, 1), "BBB": _walk(400, 2)}, _params(**override))


def test_bundled_demo_dataset_builds_with_all_four_coins():
    manifest, files = build_dataset(preprocess.data_frames_bundled(), preprocess.demo_parameters())
    prepared = prepare(manifest, files)
    assert manifest.coins == ("BTC", "LTC", "ETH", "BCH") and manifest.interval == "5m"
    assert prepared.x_train.shape[1:] == (manifest.sequence_length, 8)
    assert len(prepared.y_train) == manifest.evaluation.max_train_sequences
    assert sum(len(v) for v in files.values()) < 3_000_000


def test_the_cache_lives_in_the_folder_the_caller_names(tmp_path):
    from settings import Settings

    one, two = Settings(data_dir=tmp_path / "one"), Settings(data_dir=tmp_path / "two")
    assert preprocess.cache_dir_for(one) == tmp_path / "one" / "cache" / "preprocessed"
    frames = {"AAA": _walk(1000, 1), "BBB": _walk(1000, 2)}
    manifest, files = build_dataset(frames, _params(), cache_dir=preprocess.cache_dir_for(one))
    cached = preprocess.cache_path(manifest, files["test"], cache_dir=preprocess.cache_dir_for(one))
    assert cached.exists() and cached.parent == tmp_path / "one" / "cache" / "preprocessed"
    assert not preprocess.cache_path(
        manifest, files["test"], cache_dir=preprocess.cache_dir_for(two)
    ).exists()
    # the process settings' data dir (the default when no folder is named) got nothing
    assert not preprocess.cache_path(manifest, files["test"]).exists()
    eras = preprocess.prepare_eras(manifest, files, cache_dir=preprocess.cache_dir_for(two))
    assert eras and all(p.parent == tmp_path / "two" / "cache" / "preprocessed" for p in eras)


def test_split_bounds_are_the_rows_build_dataset_cuts(synthetic):
    manifest, _ = synthetic
    bounds = preprocess.split_bounds(1000, (800, 100, 100))
    assert bounds == [(0, 800), (800, 900), (900, 1000)]
    assert [hi - lo for lo, hi in bounds] == [manifest.data.rows[name] for name in preprocess.SPLITS]
    with pytest.raises(DataError, match="add up to 1000 permille"):
        preprocess.split_bounds(1000, (800, 100, 50))
