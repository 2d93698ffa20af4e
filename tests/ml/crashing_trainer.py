"""A trainer for runner tests: kills its own worker process for one submission, as an OOM kill would."""

from __future__ import annotations

import os

from ml.model import as_hyperparameters
from ml.train import train_submission

CRASH_UNITS = 13


def train(manifest, prepared, hp, progress=None, seed=None, xla_cache_dir=None):
    if as_hyperparameters(hp).lstm_units == CRASH_UNITS:
        os._exit(137)
    return train_submission(manifest, prepared, hp, progress, seed=seed, xla_cache_dir=xla_cache_dir)
