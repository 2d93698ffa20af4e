"""Close every backend (embedded chain, jobs) a test opened."""

from __future__ import annotations

import pytest

from actions import session


@pytest.fixture(autouse=True)
def close_backends():
    yield
    session.close_all()
