"""A killed app leaves no worker behind: job workers and evaluation workers take the parent-death signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from settings import REPO_ROOT
from tests.tooling import process_gone, wait_until

READY = "HYPERBOUNTY_TEST_WORKER_READY"


def _hold(ready: Path) -> None:
    """What a long training looks like from outside: busy, never reading its queue."""
    ready.write_text(str(os.getpid()))
    time.sleep(600)


def sleep_forever(progress) -> None:
    """A job work function (process=True imports it by name in the worker)."""
    _hold(Path(os.environ[READY]))


def hang_trainer(manifest, prepared, hp, progress=None, seed=None, xla_cache_dir=None):
    """A trainer for ml.runner (called as ml.train.train_submission is)."""
    _hold(Path(os.environ[READY]))


JOB_APP = """
from actions.jobs import JobRunner
from tests.test_lifeline import sleep_forever
runner = JobRunner()
runner.start("train:1", "a long training", sleep_forever, process=True)
runner.wait("train:1")
"""

EVALUATION_APP = """
from ml import data, preprocess, runner
from protocol import Hyperparameters
manifest, files = preprocess.build_dataset(data.load_bundled(["BTC", "LTC"]), preprocess.tiny_parameters())
submission = runner.Submission("0x" + "11" * 20, Hyperparameters())
trainer = "tests.test_lifeline:hang_trainer"
runner.evaluate_submissions(manifest, files, [submission], workers=1, trainer=trainer)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("app", [JOB_APP, EVALUATION_APP], ids=["job-worker", "evaluation-worker"])
def test_sigkill_of_the_app_leaves_no_worker(app: str, isolated_data_dir: Path, tmp_path: Path) -> None:
    ready = tmp_path / "worker.pid"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), READY: str(ready)}
    parent = subprocess.Popen(
        [sys.executable, "-c", app], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert wait_until(
            lambda: (ready.is_file() and ready.read_text()) or parent.poll() is not None, timeout=120
        )
        assert parent.poll() is None, parent.communicate()[1].decode()[-2000:]
        worker = int(ready.read_text())
        assert not process_gone(worker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        assert wait_until(lambda: process_gone(worker), timeout=120), (
            f"worker {worker} outlived the app that started it"
        )
    finally:
        if parent.poll() is None:
            parent.kill()
        if ready.is_file() and ready.read_text() and not process_gone(int(ready.read_text())):
            os.kill(int(ready.read_text()), signal.SIGKILL)  # the bug this test is for: clean up after it
