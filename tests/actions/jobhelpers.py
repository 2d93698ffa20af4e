"""Work functions for the job tests; module level so a spawned worker can import them."""

from __future__ import annotations

import os
import time


def count(progress, n: int, delay: float = 0.0) -> dict:
    for i in range(n):
        progress((i + 1) / n, f"step {i + 1} of {n}", step=i + 1)
        progress.curve("loss", {"epoch": i + 1, "value": 1.0 / (i + 1)})
        time.sleep(delay)
    return {"pid": os.getpid(), "n": n}


def fail(progress) -> None:
    progress(0.1, "about to fail")
    raise ValueError("The price file has no rows; upload a CSV with at least one candle.")


def sleep_forever(progress) -> None:
    while True:
        progress(0.0, "sleeping")
        time.sleep(0.05)


def die(progress) -> None:
    os._exit(3)


def main_script_probe(progress) -> dict:
    """What the parent's main script did to this spawned worker when it was re-imported."""
    import sys

    mp_main = sys.modules.get("__mp_main__")
    session = sys.modules.get("actions.session")
    return {
        "mp_main_file": getattr(mp_main, "__file__", None),
        "backends": len(session._backends) if session is not None else 0,
    }


def block(progress) -> None:
    """Busy without ever reporting: a cancel cannot stop it at a report, only a kill."""
    progress(0.0, "blocking")
    time.sleep(600)


def loaded(progress) -> dict:
    """Which process ran this and whether keras was imported there before this job."""
    import sys

    return {"pid": os.getpid(), "keras": "keras" in sys.modules}


def tiny_trial(progress, settings) -> dict:
    """A trial of the default model under the tiny protocol, with the caches of ``settings``."""
    from actions.submissions import trial_job
    from ml import data, preprocess
    from protocol import Hyperparameters

    candles = data.load_bundled(["BTC", "LTC"])
    manifest, files = preprocess.build_dataset(candles, preprocess.tiny_parameters())
    result = trial_job(progress, manifest.to_bytes(), files, Hyperparameters().to_dict(), settings)
    return {"pid": os.getpid(), "val_accuracy_ppm": result["val_accuracy_ppm"]}
