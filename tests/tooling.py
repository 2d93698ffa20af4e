"""Shared test helpers.

``require`` is the one way a test says it needs an external tool: locally a
missing tool skips the test with a hint, under ``CI=true`` it fails, so CI
can never go green by silently skipping the real parts.
"""

from __future__ import annotations

import os

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
