"""Shared fixtures for ml/ tests: expensive things are built once, under a throwaway data dir."""

from __future__ import annotations

import contextlib
import os

import pytest

import settings as settings_module


@contextlib.contextmanager
def data_dir(path):
    """Point settings at ``path`` for fixtures wider than one test (the autouse one is per test)."""
    previous = os.environ.get("HYPERBOUNTY_DATA_DIR")
    os.environ["HYPERBOUNTY_DATA_DIR"] = str(path)
    settings_module.get_settings.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HYPERBOUNTY_DATA_DIR", None)
        else:
            os.environ["HYPERBOUNTY_DATA_DIR"] = previous
        settings_module.get_settings.cache_clear()


@pytest.fixture(scope="session")
def tiny_task(tmp_path_factory):
    """(manifest, files) of the tiny protocol over the bundled data."""
    from ml import data, preprocess

    with data_dir(tmp_path_factory.mktemp("tiny-task-data")):
        return preprocess.build_dataset(data.load_bundled(["BTC", "LTC"]), preprocess.tiny_parameters())
