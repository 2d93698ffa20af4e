"""Deterministic training and the score: held-out accuracy in ppm, rounded half to even."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from ml.preprocess import prepare
from ml.train import accuracy_ppm, train_submission
from protocol import Hyperparameters
from settings import REPO_ROOT

SMALL = Hyperparameters(
    lstm_layers=1, lstm_units=8, dense_layers=1, dropout_permille=100, learning_rate_micro=5000
)


def test_score_is_rounded_half_to_even_not_truncated():
    """Old mistake: the score was truncated. 2/3 is 666,666.67 ppm: 666,667, not 666,666."""
    assert accuracy_ppm(2, 3) == 666_667
    assert accuracy_ppm(1, 3) == 333_333
    assert accuracy_ppm(1, 2_000_000) == 0  # 0.5 ppm: half to even -> 0
    assert accuracy_ppm(3, 2_000_000) == 2  # 1.5 ppm -> 2
    assert accuracy_ppm(5, 2_000_000) == 2  # 2.5 ppm -> 2
    assert accuracy_ppm(7, 7) == 1_000_000
    assert accuracy_ppm(0, 7) == 0
    with pytest.raises(ValueError):
        accuracy_ppm(1, 0)
    with pytest.raises(ValueError):
        accuracy_ppm(4, 3)


def test_rounding_is_exact_for_every_small_fraction():
    for total in range(1, 200):
        for correct in range(total + 1):
            exact = correct * 1_000_000 / total
            assert abs(accuracy_ppm(correct, total) - exact) <= 0.5


def test_the_score_is_held_out_test_accuracy_not_training_accuracy(tiny_task):
    """Old mistake: the best training accuracy was reported. Flip the test labels: the score must follow."""
    manifest, files = tiny_task
    prepared = prepare(manifest, files)
    result = train_submission(manifest, prepared, SMALL)
    flipped = replace(prepared, y_test=1 - prepared.y_test)
    result_flipped = train_submission(manifest, flipped, SMALL)
    assert result.total == len(prepared.y_test)
    assert result.score_ppm == accuracy_ppm(result.correct, result.total)
    # same model (same seed), opposite labels: the two scores add up to exactly 100 %
    assert result.correct + result_flipped.correct == result.total
    assert result.curves["accuracy"] == result_flipped.curves["accuracy"]  # training did not change
    assert result.score_ppm != round(
        max(result.curves["accuracy"]) * 1_000_000
    ) or result_flipped.score_ppm != (round(max(result.curves["accuracy"]) * 1_000_000))


def test_progress_reports_fractions_and_curves(tiny_task):
    manifest, files = tiny_task
    prepared = prepare(manifest, files)
    manifest = manifest.model_copy(
        update={"evaluation": manifest.evaluation.model_copy(update={"epochs": 2})}
    )
    events = []
    result = train_submission(manifest, prepared, SMALL, progress=events.append)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] > 0
    assert [e.epoch for e in events if e.epoch_done] == [1, 2]
    assert events[-1].curves == result.curves
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(result.curves[key]) == 2
    assert result.parameters > 0 and result.forward_flops_per_sequence > 0
    assert len(result.epoch_seconds) == 2 and min(result.epoch_seconds) > 0


def test_participants_without_the_test_file_get_no_score(tiny_task):
    manifest, files = tiny_task
    prepared = prepare(manifest, {k: v for k, v in files.items() if k != "test"})
    result = train_submission(manifest, prepared, SMALL)
    assert result.score_ppm is None and result.total is None
    assert 0 <= result.val_accuracy_ppm <= 1_000_000


SCRIPT = """
import json, sys
from ml.manifest import TaskManifest
from ml.preprocess import prepare
from ml.train import train_submission
from protocol import Hyperparameters
manifest = TaskManifest.from_bytes(open(sys.argv[1], "rb").read())
files = {k: open(sys.argv[2] + "." + k, "rb").read() for k in ("train", "validation", "test")}
result = train_submission(manifest, prepare(manifest, files), Hyperparameters(*json.loads(sys.argv[3])))
print(json.dumps({"score": result.score_ppm, "curves": result.curves}))
"""


@pytest.mark.slow
def test_same_manifest_hyperparameters_and_seed_give_the_same_score_in_two_processes(tiny_task, tmp_path):
    """The second process shares the first one's data dir: its XLA programs come from the disk cache."""
    manifest, files = tiny_task
    (tmp_path / "manifest.json").write_bytes(manifest.to_bytes())
    for name, data in files.items():
        (tmp_path / f"split.{name}").write_bytes(data)
    args = [str(tmp_path / "manifest.json"), str(tmp_path / "split"), json.dumps(list(SMALL.as_tuple()))]
    outputs = []
    for _ in range(2):
        # the same environment as this process: e.g. OPENBLAS_CORETYPE changes the last bit of val_loss
        env = {
            **os.environ,
            "HYPERBOUNTY_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": str(REPO_ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        assert any((tmp_path / "data" / "cache" / "xla").iterdir()), "no compiled program was cached"
    assert outputs[0] == outputs[1]  # bit for bit: floats compared exactly
    in_process = train_submission(manifest, prepare(manifest, files), SMALL)
    assert in_process.score_ppm == outputs[0]["score"]
    assert in_process.curves == outputs[0]["curves"]
    assert np.isfinite(in_process.curves["loss"]).all()
