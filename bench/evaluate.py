"""Evaluating 8 typical submissions: the old way against the runner, in one run.

Old way (the design this replaces): for every submission, preprocess the split files again,
then train, one submission after another, in one process with Keras' default threading.
Runner: ``ml.runner.evaluate_submissions``: preprocessing once, then worker processes (one per
core, one XLA thread each) training side by side. Both train under the same manifest, so the
scores must be identical; the speed-up is quoted as old wall time / runner wall time.

CPU utilisation is measured two ways: our own process tree's CPU seconds (``os.times``, which
includes reaped workers) over wall time and core count, which other programs on the machine
cannot inflate, and the machine-wide figure from ``psutil.cpu_percent`` sampled while each phase
runs. A third phase times 3 typical submissions under the runner: the demo target is <= 3 min.
Epoch cost is set against the model's FLOPs (3x forward per training sequence, 1x per
validation sequence) to show how far from the CPU's peak the training runs. Every phase starts
cold, in a data dir of its own (no cached preprocessing, no cached XLA programs).

    .venv/bin/python bench/evaluate.py            # the default demo protocol, 8 submissions
    .venv/bin/python bench/evaluate.py --quick    # tiny protocol, a smoke run in seconds
Prints a table and writes bench/results/evaluate.json.
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

import psutil  # noqa: E402

from protocol import Hyperparameters  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "evaluate.json"

# (lstm_layers, lstm_units, dense_layers, activation, loss, dropout_permille, learning_rate_micro)
TYPICAL = [
    Hyperparameters(1, 32, 1, 0, 0, 200, 1000),
    Hyperparameters(2, 64, 1, 0, 0, 200, 1000),
    Hyperparameters(3, 128, 1, 0, 1, 200, 1000),
    Hyperparameters(1, 64, 2, 1, 0, 100, 2000),
    Hyperparameters(2, 32, 0, 0, 2, 300, 500),
    Hyperparameters(2, 128, 1, 3, 0, 200, 1000),
    Hyperparameters(1, 128, 1, 6, 3, 200, 1000),
    Hyperparameters(3, 64, 2, 5, 4, 250, 1500),
]
THREE = [TYPICAL[0], TYPICAL[1], TYPICAL[2]]  # 1x32, 2x64, 3x128


class CpuMeter:
    """Own-process-tree CPU seconds and sampled machine-wide utilisation over one phase."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()

    def __enter__(self) -> CpuMeter:
        self.start_times = os.times()
        self.start = time.perf_counter()
        psutil.cpu_percent(interval=None)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(psutil.cpu_percent(interval=None))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        end = os.times()
        self.wall = time.perf_counter() - self.start
        s = self.start_times
        self.cpu = (
            (end.user - s.user)
            + (end.system - s.system)
            + (end.children_user - s.children_user)
            + (end.children_system - s.children_system)
        )

    def summary(self) -> dict[str, float]:
        cores = psutil.cpu_count() or 1
        return {
            "wall_s": round(self.wall, 2),
            "cpu_s": round(self.cpu, 2),
            "own_cpu_utilisation": round(self.cpu / self.wall / cores, 3),
            "machine_cpu_percent_mean": round(sum(self.samples) / len(self.samples), 1)
            if self.samples
            else None,
        }


def old_way(manifest, files, hps) -> tuple[list[dict], CpuMeter]:
    from ml.preprocess import prepare
    from ml.train import train_submission

    rows = []
    with CpuMeter() as meter:
        for hp in hps:
            started = time.perf_counter()
            prepared = prepare(manifest, files, use_cache=False)  # again for every submission
            prepared_at = time.perf_counter()
            result = train_submission(manifest, prepared, hp)
            rows.append(
                {
                    "hyperparameters": hp.describe(),
                    "score_ppm": result.score_ppm,
                    "curves": result.curves,
                    "preprocess_s": round(prepared_at - started, 3),
                    "train_s": result.seconds["total"],
                    "fit_s": result.seconds["fit"],
                    "epoch_seconds": result.epoch_seconds,
                    "wall_s": round(time.perf_counter() - started, 3),
                    "forward_flops_per_sequence": result.forward_flops_per_sequence,
                    "train_sequences": result.train_sequences,
                    "parameters": result.parameters,
                }
            )
    return rows, meter


def runner_way(manifest, files, hps, workers: int | None) -> tuple[object, CpuMeter]:
    from ml.runner import Submission, evaluate_submissions

    submissions = [Submission(f"0x{i + 1:040x}", hp) for i, hp in enumerate(hps)]
    with CpuMeter() as meter:
        report = evaluate_submissions(manifest, files, submissions, workers=workers)
    return report, meter


def cpu_peak_gflops() -> dict[str, float | str]:
    """A nominal float32 peak: cores x clock x (2 FMA units x SIMD lanes x 2)."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    mhz = next((float(line.split(":")[1]) for line in text.splitlines() if line.startswith("cpu MHz")), 0.0)
    lanes = 16 if " avx512f" in text else 8 if " avx2" in text else 4
    per_cycle = 2 * lanes * 2
    cores = psutil.cpu_count() or 1
    return {
        "cores": cores,
        "mhz": mhz,
        "flops_per_cycle_per_core": per_cycle,
        "peak_gflops": round(cores * mhz * 1e6 * per_cycle / 1e9, 1),
        "simd": f"{lanes * 32}-bit",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny protocol: a smoke run")
    parser.add_argument("--submissions", type=int, default=8, help="how many of the typical submissions")
    parser.add_argument("--workers", type=int, default=None, help="runner workers (default: CPU count)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("HYPERBOUNTY_DATA_DIR", tempfile.mkdtemp(prefix="hb-bench-"))

    from ml import data, preprocess

    params = preprocess.tiny_parameters() if args.quick else preprocess.demo_parameters()
    frames = data.load_bundled(list(params.coins))
    manifest, files = preprocess.build_dataset(frames, params)
    hps = TYPICAL[: args.submissions]
    print(
        f"protocol: {'tiny' if args.quick else 'demo'} ({manifest.interval}, "
        f"sequence {manifest.sequence_length}, {manifest.evaluation.epochs} epochs, "
        f"<= {manifest.evaluation.max_train_sequences} training sequences); "
        f"{len(hps)} submissions; {psutil.cpu_count()} cores"
    )

    load_at_start = os.getloadavg()
    # Each phase starts cold, in a data dir of its own: no preprocessing and no compiled XLA
    # program (ml.train.use_compilation_cache) carries over from one phase to the next.
    fresh_data_dir("old")
    old_rows, old_meter = old_way(manifest, files, hps)
    fresh_data_dir("runner")
    report, run_meter = runner_way(manifest, files, hps, args.workers)
    fresh_data_dir("three")
    three, three_meter = runner_way(manifest, files, THREE, args.workers)

    new_rows = [
        {
            "score_ppm": r.score_ppm,
            "seconds": r.seconds,
            "status": r.status,
            "error": r.error,
            "fit_s": (r.training or {}).get("seconds", {}).get("fit"),
            "curves": (r.training or {}).get("curves"),
        }
        for r in report.submissions
    ]
    identical = all(
        o["score_ppm"] == n["score_ppm"] and o["curves"] == n["curves"]
        for o, n in zip(old_rows, new_rows, strict=True)
    )
    peak = cpu_peak_gflops()
    val_sequences = _val_sequences(manifest, files)
    flops_rows = []
    for row in old_rows:
        per_epoch_flops = 3 * row["forward_flops_per_sequence"] * row["train_sequences"] + (
            row["forward_flops_per_sequence"] * val_sequences
        )
        # steady state: later epochs; the first one also pays for XLA compilation
        steady = row["epoch_seconds"][1:] or row["epoch_seconds"]
        epoch_s = min(steady)
        flops_rows.append(
            {
                "hyperparameters": row["hyperparameters"],
                "parameters": row["parameters"],
                "epoch_s": round(epoch_s, 3),
                "first_epoch_s": row["epoch_seconds"][0],
                "gflop_per_epoch": round(per_epoch_flops / 1e9, 3),
                "achieved_gflops": round(per_epoch_flops / epoch_s / 1e9, 2),
                "fraction_of_peak": round(per_epoch_flops / epoch_s / 1e9 / peak["peak_gflops"], 4),
            }
        )

    speedup = old_meter.wall / run_meter.wall
    print(f"\n{'submission':<72} {'old: prep+train s':>17} {'runner s':>9} {'score':>8}")
    for o, n in zip(old_rows, new_rows, strict=True):
        print(
            f"{o['hyperparameters']:<72} {o['preprocess_s']:>6.2f}+{o['train_s']:>9.2f} "
            f"{n['seconds']:>9.2f} {n['score_ppm'] or 0:>8}"
        )
    print(f"\nold way: {old_meter.summary()}")
    print(f"runner : {run_meter.summary()}  workers={report.runner['workers']}")
    print(f"speed-up (old wall / runner wall): {speedup:.2f}x; scores and curves identical: {identical}")
    print(
        f"load average at start / end: {load_at_start[0]:.1f} / {os.getloadavg()[0]:.1f} "
        f"on {psutil.cpu_count()} cores"
    )
    print(
        f"3 typical submissions (1x32, 2x64, 3x128) under the runner: {three_meter.wall:.1f} s "
        "(target <= 180 s)"
    )
    print(f"CPU nominal peak: {peak}")
    for row in flops_rows:
        print(
            f"  {row['hyperparameters']:<72} epoch {row['epoch_s']:>6.2f} s, "
            f"{row['gflop_per_epoch']:>7.2f} GFLOP, "
            f"{row['achieved_gflops']:>6.2f} GFLOP/s = {100 * row['fraction_of_peak']:.2f} % of peak"
        )

    result = {
        "benchmark": "evaluate",
        "protocol": "tiny" if args.quick else "demo",
        "manifest": json.loads(manifest.to_bytes()),
        "machine": {
            "platform": platform.platform(),
            "cores": psutil.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
            **report.environment,
        },
        "submissions": len(hps),
        "old_way": {
            **old_meter.summary(),
            "per_submission": [{k: v for k, v in r.items() if k != "curves"} for r in old_rows],
        },
        "runner": {
            **run_meter.summary(),
            "workers": report.runner["workers"],
            "per_submission": [{k: v for k, v in r.items() if k != "curves"} for r in new_rows],
        },
        "speedup": round(speedup, 3),
        "scores_identical": identical,
        "three_typical_submissions": {
            **three_meter.summary(),
            "target_s": 180,
            "scores": [r.score_ppm for r in three.submissions],
        },
        "cpu_peak": peak,
        "epoch_cost_vs_flops": flops_rows,
        "note": "Other programs shared this machine during the run when machine_cpu_percent_mean exceeds "
        "own_cpu_utilisation by much; wall-clock figures are then pessimistic for both ways alike.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if not identical:
        sys.exit("scores differ between the old way and the runner")


def fresh_data_dir(name: str) -> None:
    from settings import get_settings

    os.environ["HYPERBOUNTY_DATA_DIR"] = tempfile.mkdtemp(prefix=f"hb-bench-{name}-")
    get_settings.cache_clear()


def _val_sequences(manifest, files) -> int:
    from ml.preprocess import prepare

    return len(prepare(manifest, files).y_val)


if __name__ == "__main__":
    main()
