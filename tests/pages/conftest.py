"""Every page test gets a fresh data dir (tests/conftest.py) and its backends closed afterwards."""

from __future__ import annotations

import pytest

from actions import session


@pytest.fixture(autouse=True)
def close_backends():
    yield
    session.close_all()
