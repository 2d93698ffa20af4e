"""Shared test helpers.

``require`` is the one way a test says it needs an external tool: locally a
missing tool skips the test with a hint, under ``CI=true`` it fails, so CI
can never go green by silently skipping the real parts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str, hint: str = "run `bash scripts/setup.sh --dev`") -> None:
    if available:
        return
    message = f"{what} is not available ({hint})"
    if in_ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (wait for state, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def process_gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie counts: it runs nothing and holds nothing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True
