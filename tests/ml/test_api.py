"""The public names the dashboard imports from ``ml`` resolve, and importing ``ml`` stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ml
from settings import REPO_ROOT


def test_every_public_name_resolves():
    for name in ml.__all__:
        assert getattr(ml, name) is not None, name
    with pytest.raises(AttributeError):
        ml.no_such_thing  # noqa: B018


def test_importing_ml_does_not_load_keras():
    code = "import sys, ml; from ml import DataError, TaskManifest; print('keras' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )
    assert done.stdout.strip() == "False", done.stderr[-1000:]
