"""Shared fixtures for ml/ tests: the tiny task is built once per session (it takes ~1 s)."""

from __future__ import annotations

import os

import pytest

import settings as settings_module


@pytest.fixture(scope="session")
def tiny_task(tmp_path_factory):
    """(manifest, files) of the tiny protocol over the bundled data."""
    from ml import data, preprocess

    previous = os.environ.get("HYPERBOUNTY_DATA_DIR")
    os.environ["HYPERBOUNTY_DATA_DIR"] = str(tmp_path_factory.mktemp("tiny-task-data"))
    settings_module.get_settings.cache_clear()
    try:
        return preprocess.build_dataset(data.load_bundled(["BTC", "LTC"]), preprocess.tiny_parameters())
    finally:
        if previous is None:
            os.environ.pop("HYPERBOUNTY_DATA_DIR", None)
        else:
            os.environ["HYPERBOUNTY_DATA_DIR"] = previous
        settings_module.get_settings.cache_clear()
