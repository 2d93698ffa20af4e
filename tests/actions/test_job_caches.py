"""The background jobs train with the caches of the backend's data dir (the Settings they are given).

A job may run in a spawned worker, which cannot ask the backend for its settings, so the backend's
``Settings`` travel with the job and the job names the folders to ml: the preprocess cache
(``ml.preprocess.cache_dir_for``) and the XLA compilation cache (``ml.train.xla_cache_dir_for``).
The training itself is replaced here: these tests check only which folders reach ml.
"""

from __future__ import annotations

import pytest

from actions import evaluation, submissions
from actions.jobs import Progress
from ml import data, preprocess
from ml.train import xla_cache_dir_for
from protocol import Hyperparameters
from settings import Settings

HP = Hyperparameters(
    lstm_layers=1, lstm_units=8, dense_layers=0, dropout_permille=0, learning_rate_micro=5000
)


class Captured(Exception):
    """Raised by a stand-in for ml once it has seen its arguments: no training needed."""


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    """(manifest bytes, files) of the tiny protocol, built under a throwaway data dir."""
    cache = tmp_path_factory.mktemp("build-cache")
    params = preprocess.tiny_parameters()
    manifest, files = preprocess.build_dataset(data.load_bundled(list(params.coins)), params, cache)
    return manifest.to_bytes(), files


def quiet() -> Progress:
    return Progress(lambda message: None, lambda: False)


def capture(seen: dict):
    def stand_in(*args, **kwargs):
        seen.update(kwargs)
        raise Captured

    return stand_in


def test_the_evaluation_job_uses_the_caches_of_its_settings(task, tmp_path, monkeypatch):
    settings, seen = Settings(data_dir=tmp_path / "backend"), {}
    monkeypatch.setattr(evaluation, "evaluate_submissions", capture(seen))
    manifest_bytes, files = task
    with pytest.raises(Captured):
        evaluation.evaluation_job(
            quiet(), manifest_bytes, files, [("0xabc", HP.to_dict())], "cid", tmp_path, settings=settings
        )
    assert seen["cache_dir"] == preprocess.cache_dir_for(settings)
    assert seen["xla_cache_dir"] == xla_cache_dir_for(settings)


def test_the_verify_job_uses_the_caches_of_its_settings(task, tmp_path, monkeypatch):
    settings, seen = Settings(data_dir=tmp_path / "backend"), {}
    monkeypatch.setattr(evaluation, "verify_submission", capture(seen))
    manifest_bytes, files = task
    with pytest.raises(Captured):
        evaluation.verify_job(
            quiet(), manifest_bytes, files, "0xabc", HP.to_dict(), 1, "cid", settings=settings
        )
    assert seen["cache_dir"] == preprocess.cache_dir_for(settings)
    assert seen["xla_cache_dir"] == xla_cache_dir_for(settings)


def test_the_trial_job_uses_the_caches_of_its_settings(task, tmp_path, monkeypatch):
    settings, prepared, trained = Settings(data_dir=tmp_path / "backend"), {}, {}

    def fake_prepare(manifest, files, **kwargs):
        prepared.update(kwargs)
        return "prepared"

    monkeypatch.setattr(submissions, "prepare", fake_prepare)
    monkeypatch.setattr(submissions, "train_submission", capture(trained))
    manifest_bytes, files = task
    with pytest.raises(Captured):
        submissions.trial_job(quiet(), manifest_bytes, files, HP.to_dict(), settings)
    assert prepared["cache_dir"] == preprocess.cache_dir_for(settings)
    assert trained["xla_cache_dir"] == xla_cache_dir_for(settings)
