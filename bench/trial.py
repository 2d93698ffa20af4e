"""How long the "Quick check" (tiny) protocol's trial takes in the dashboard: cold, warm, after a restart.

A trial is what the Submit page runs: ``actions.submissions.trial_job`` as a process job of a
``JobRunner`` (the backend's), with the caches of one data dir. Timed from the job's start to its
result, as the person waits for it:

1. ``cold_first``: a fresh runner (its worker is started by the job) and a fresh data dir (no
   compiled program kept): keras/jax imports, XLA compiling, the training;
2. ``warm_second``: the same runner again, same model shape: the kept worker has everything
   imported and the programs compiled;
3. ``after_restart``: a new runner (a fresh worker, as after a dashboard restart) on the same data
   dir: imports again, but jax's persistent compilation cache spares the compiling;
4. ``after_restart_prewarmed``: a new runner on the same data dir whose worker was started with
   ``JobRunner.prewarm`` (the Submit page opening) and had finished warming when the trial
   started (the person read for that long; ``prewarm_s`` says how long that was).

Optionally (``--evaluation``) the owner's evaluation of one submission (2 seeds x 2 eras, its own
pool as ever) in a fresh data dir and then on the data dir whose cache the trials filled. Every
trial must report the same validation accuracy. Ratios are against the cold first trial of this run.

    .venv/bin/python bench/trial.py [--evaluation]
Prints a table and writes bench/results/trial.json with the commit it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actions.jobs import DONE, JobRunner  # noqa: E402
from actions.submissions import trial_job  # noqa: E402
from bench.provenance import git_commit  # noqa: E402
from ml import data, preprocess  # noqa: E402
from protocol import Hyperparameters  # noqa: E402
from settings import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "trial.json"
WATCHED = ("ml", "actions/jobs.py", "actions/submissions.py", "bench/trial.py", "requirements.txt")


def timed_trial(runner: JobRunner, task: tuple[bytes, dict[str, bytes]], settings: Settings) -> dict:
    """One trial through ``runner`` as the Submit page starts it: seconds and validation accuracy."""
    manifest_bytes, files = task
    started = time.perf_counter()
    runner.start(
        "trial",
        "Trial",
        trial_job,
        manifest_bytes,
        files,
        Hyperparameters().to_dict(),
        settings,
        process=True,
        restart=True,
    )
    view = runner.wait("trial", timeout=1800)
    seconds = time.perf_counter() - started
    if view.state != DONE:
        sys.exit(f"the trial ended {view.state}: {view.error}")
    return {
        "seconds": round(seconds, 2),
        "val_accuracy_ppm": view.result["val_accuracy_ppm"],
        "training_seconds": view.result["seconds"],
    }


def prewarmed(runner: JobRunner) -> float:
    """Start the runner's worker ahead of any job and wait until it is warm: the seconds it took."""
    started = time.perf_counter()
    if not runner.prewarm():
        sys.exit("prewarm started nothing")
    while any(thread.name == "job-prewarm" for thread in threading.enumerate()):
        time.sleep(0.05)
    return time.perf_counter() - started


def timed_evaluation(manifest: object, files: dict[str, bytes], settings: Settings) -> dict:
    from ml.preprocess import cache_dir_for
    from ml.runner import Submission, evaluate_submissions
    from ml.train import xla_cache_dir_for

    started = time.perf_counter()
    report = evaluate_submissions(
        manifest,
        files,
        [Submission("0x" + "11" * 20, Hyperparameters())],
        workers=1,
        cache_dir=cache_dir_for(settings),
        xla_cache_dir=xla_cache_dir_for(settings),
    )
    return {"seconds": round(time.perf_counter() - started, 2), "score_ppm": report.submissions[0].score_ppm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluation", action="store_true", help="also time the owner's evaluation")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    commit = git_commit(*WATCHED)
    load_start = os.getloadavg()
    manifest, files = preprocess.build_dataset(
        data.load_bundled(["BTC", "LTC"]), preprocess.tiny_parameters()
    )
    with tempfile.TemporaryDirectory(prefix="bench-trial-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        task = (manifest.to_bytes(), files)
        phases: dict[str, dict] = {}
        first = JobRunner()
        phases["cold_first"] = timed_trial(first, task, settings)
        phases["warm_second"] = timed_trial(first, task, settings)
        first.close()
        restarted = JobRunner()
        phases["after_restart"] = timed_trial(restarted, task, settings)
        restarted.close()
        prewarmed_runner = JobRunner()
        prewarm_s = prewarmed(prewarmed_runner)
        phases["after_restart_prewarmed"] = {
            **timed_trial(prewarmed_runner, task, settings),
            "prewarm_s": round(prewarm_s, 2),
        }
        prewarmed_runner.close()
        xla_entries = len(list(settings.path("cache", "xla").iterdir()))
        evaluation = None
        if args.evaluation:
            cold = Settings(data_dir=Path(tmp) / "cold")
            evaluation = {
                "cold_cache": timed_evaluation(manifest, files, cold),
                "with_trials_cache": timed_evaluation(manifest, files, settings),
            }
    cold_s = phases["cold_first"]["seconds"]
    for phase in phases.values():
        phase["ratio_to_cold_first"] = round(phase["seconds"] / cold_s, 3)
    accuracies = {phase["val_accuracy_ppm"] for phase in phases.values()}
    result = {
        "benchmark": "trial",
        "commit": commit,
        "protocol": "tiny (the dashboard's Quick check preset), default 2x64 model",
        "conditions": {
            "cores": os.cpu_count(),
            "load_average_at_start": load_start,
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "runner": "actions.jobs.JobRunner process jobs (a kept 1-worker pool), trial_job as Submit",
        },
        "phases": phases,
        "xla_cache_entries": xla_entries,
        "same_validation_accuracy": len(accuracies) == 1,
        "evaluation": evaluation,
        "note": "other programs shared these cores (see the load averages): figures are wall times "
        "under that load; the ratios compare runs seconds apart under it.",
    }
    print(f"{'phase':<26}{'seconds':>9}{'ratio':>8}")
    for name, phase in phases.items():
        print(f"{name:<26}{phase['seconds']:>9.2f}{phase['ratio_to_cold_first']:>8.3f}")
    print(f"prewarm (before the trial): {prewarm_s:.2f} s; XLA cache entries: {xla_entries}")
    if evaluation:
        print(
            f"evaluation: cold cache {evaluation['cold_cache']['seconds']} s, "
            f"with the trials' cache {evaluation['with_trials_cache']['seconds']} s"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if len(accuracies) != 1:
        sys.exit(f"the trials disagree: {sorted(accuracies)}")


if __name__ == "__main__":
    main()
