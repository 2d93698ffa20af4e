"""Datasets are kept under the data dir of the settings they are given, never the process-wide one."""

from __future__ import annotations

from actions import datasets
from ml import preprocess
from settings import Settings


def test_two_data_dirs_keep_their_datasets_and_caches_apart(tmp_path, isolated_data_dir):
    one, two = Settings(data_dir=tmp_path / "one"), Settings(data_dir=tmp_path / "two")
    params = datasets.default_parameters("tiny")
    built = datasets.build(one, datasets.load_candles(one, "bundled", list(params.coins)), params)
    assert built.folder.parent == tmp_path / "one" / "owner" / "datasets"
    assert any(preprocess.cache_dir_for(one).iterdir()), "the build's check lands in its own cache"
    assert [d.dataset_id for d in datasets.saved(one)] == [built.dataset_id]
    assert datasets.find_by_test_cid(one, built.test_cid) is not None

    assert datasets.saved(two) == [] and datasets.find_by_test_cid(two, built.test_cid) is None
    assert not any(preprocess.cache_dir_for(two).iterdir())
    assert not (isolated_data_dir / "owner").exists(), "nothing in the process settings' data dir"
    assert not (isolated_data_dir / "cache" / "preprocessed").exists()

    again = datasets.build(two, datasets.load_candles(two, "bundled", list(params.coins)), params)
    assert (
        again.dataset_id == built.dataset_id
        and again.folder.parent == tmp_path / "two" / "owner" / "datasets"
    )
    assert [d.folder for d in datasets.saved(one)] == [built.folder]


def test_the_page_lists_are_the_ml_layers():
    from ml import data

    assert datasets.BUNDLED_COINS == data.BUNDLED_COINS
    assert list(datasets.INTERVALS) == list(data.INTERVALS)
