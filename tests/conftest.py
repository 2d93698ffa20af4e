"""Every test gets its own data directory, so nothing touches a user's state."""

from __future__ import annotations

import pytest

import settings as settings_module


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "hb-data"
    monkeypatch.setenv("HYPERBOUNTY_DATA_DIR", str(data_dir))
    settings_module.get_settings.cache_clear()
    yield data_dir
    settings_module.get_settings.cache_clear()
