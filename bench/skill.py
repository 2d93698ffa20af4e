"""Do scores measure skill? A fixed panel of hyperparameter sets, scored under the real protocol.

For the default task (volatility) and the seed's direction task, every panel set is evaluated
by ``ml.runner.evaluate_submissions`` exactly as the owner would (seeds x walk-forward eras,
baselines on the same eras), on the bundled candles. Printed and written to
``bench/results/skill.json``:

- variance share: how much of the per-seed scores' variance the hyperparameters explain, the
  one-way intraclass correlation ICC(1) over sets with seeds as replicates (target >= 0.6);
- Kendall tau between the rankings of the sets by two different seeds, averaged over seed
  pairs (target >= 0.7);
- the best set's margin over the best baseline in the best set's standard errors (target >= 3);
- the mean width of the 95 % intervals, in accuracy points;
- the wall time per submission, and the wall time of 3 typical submissions (1x16, 2x64, 1x32)
  evaluated cold in a data dir of their own (target <= 3 min on 2 cores), against the same three
  under a one-cell protocol (one seed, one era) in the same run, as a ratio.

    .venv/bin/python bench/skill.py            # both tasks, the demo protocol
    .venv/bin/python bench/skill.py --quick    # tiny protocol, a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from protocol import Hyperparameters  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "skill.json"

# name -> (lstm_layers, lstm_units, dense_layers, activation, loss, dropout_permille, learning_rate_micro)
PANEL = {
    "original 3x128": Hyperparameters(3, 128, 1, 0, 0, 200, 1000),
    "1x16": Hyperparameters(1, 16, 0, 0, 0, 0, 3000),
    "2x64": Hyperparameters(2, 64, 1, 0, 0, 200, 1000),
    "linear 1x32": Hyperparameters(1, 32, 2, 7, 0, 0, 1000),
    "high dropout 2x64": Hyperparameters(2, 64, 1, 0, 0, 800, 1000),
    "bad (lr 1e-6, hinge)": Hyperparameters(1, 4, 0, 2, 4, 500, 1),
}
TYPICAL = ["1x16", "2x64", "linear 1x32"]


def icc1(scores: np.ndarray) -> float:
    """ICC(1) of a (sets, seeds) matrix: between-set variance over total, one-way ANOVA."""
    sets, seeds = scores.shape
    grand = scores.mean()
    msb = seeds * ((scores.mean(axis=1) - grand) ** 2).sum() / (sets - 1)
    msw = ((scores - scores.mean(axis=1, keepdims=True)) ** 2).sum() / (sets * (seeds - 1))
    return float((msb - msw) / (msb + (seeds - 1) * msw)) if msb + msw > 0 else 0.0


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b of two score vectors."""
    concordant = discordant = ties_a = ties_b = 0
    for i, j in itertools.combinations(range(len(a)), 2):
        da, db = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
        if da == 0 and db == 0:
            continue
        if da == 0:
            ties_a += 1
        elif db == 0:
            ties_b += 1
        elif da == db:
            concordant += 1
        else:
            discordant += 1
    denominator = np.sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b))
    return float((concordant - discordant) / denominator) if denominator else 0.0


def per_seed_scores(result) -> list[float]:
    """A submission's accuracy per seed, averaged over eras, in the report's seed order."""
    seeds: dict[int, list[float]] = {}
    for cell in result.cells:
        seeds.setdefault(cell["seed"], []).append(cell["correct"] / cell["total"])
    return [float(np.mean(v)) for v in seeds.values()]


def evaluate(params, names: list[str], workers: int):
    """Build the task from the bundled candles and evaluate the named sets, in a fresh data dir."""
    from ml.preprocess import build_dataset, data_frames_bundled
    from ml.runner import Submission, evaluate_submissions

    manifest, files = build_dataset(data_frames_bundled(), params)
    subs = [Submission(f"0x{i + 1:040x}", PANEL[name]) for i, name in enumerate(names)]
    started = time.perf_counter()
    report = evaluate_submissions(manifest, files, subs, workers=workers)
    return manifest, report, time.perf_counter() - started


def task_figures(label: str, params, workers: int) -> dict:
    names = list(PANEL)
    manifest, report, wall = evaluate(params, names, workers)
    scored = [r for r in report.submissions if r.status == "scored"]
    matrix = np.array([per_seed_scores(r) for r in scored])
    seeds = matrix.shape[1]
    taus = [kendall_tau(matrix[:, i], matrix[:, j]) for i, j in itertools.combinations(range(seeds), 2)]
    best = max(scored, key=lambda r: r.score_ppm)
    best_baseline = max(report.baselines, key=lambda b: b["score_ppm"])
    rows = [
        {
            "set": name,
            "hyperparameters": PANEL[name].describe(),
            "status": r.status,
            "score_ppm": r.score_ppm,
            "stderr_ppm": r.stderr_ppm,
            "ci95_ppm": r.ci95_ppm,
            "auc": r.auc,
            "per_seed_ppm": [round(s * 1e6) for s in per_seed_scores(r)] if r.status == "scored" else [],
            "seconds": r.seconds,
            "error": r.error,
        }
        for name, r in zip(names, report.submissions, strict=True)
    ]
    figures = {
        "task": label,
        "manifest_title": manifest.title,
        "protocol": {k: report.protocol[k] for k in ("epochs", "batch_size", "seeds", "eras")},
        "test_sequences_per_era": [e["test_sequences"] for e in report.eras],
        "variance_share_icc1": round(icc1(matrix), 3) if len(scored) > 1 and seeds > 1 else None,
        "kendall_tau_between_seeds": round(float(np.mean(taus)), 3) if taus else None,
        "best_set": next(row["set"] for row in rows if row["score_ppm"] == best.score_ppm),
        "best_minus_best_baseline_in_se": round(
            (best.score_ppm - best_baseline["score_ppm"]) / max(1, best.stderr_ppm), 2
        ),
        "best_baseline": {k: best_baseline[k] for k in ("name", "score_ppm", "stderr_ppm")},
        "baselines": [{k: b[k] for k in ("name", "score_ppm", "stderr_ppm")} for b in report.baselines],
        "mean_interval_width_points": round(
            float(np.mean([(r.ci95_ppm[1] - r.ci95_ppm[0]) / 1e4 for r in scored])), 2
        ),
        "wall_seconds": round(wall, 1),
        "wall_seconds_per_submission": round(wall / len(names), 1),
        "sets": rows,
    }
    print(f"\n== {label}: {manifest.title}")
    for row in rows:
        shown = (
            f"{row['score_ppm'] / 1e4:6.2f} % ± {row['stderr_ppm'] / 1e4:.2f}"
            if row["stderr_ppm"]
            else "failed"
        )
        print(f"  {row['set']:24s} {shown}  seeds {row['per_seed_ppm']}")
    for b in report.baselines:
        print(f"  baseline {b['name']:15s} {b['score_ppm'] / 1e4:6.2f} % ± {b['stderr_ppm'] / 1e4:.2f}")
    for key in (
        "variance_share_icc1",
        "kendall_tau_between_seeds",
        "best_minus_best_baseline_in_se",
        "mean_interval_width_points",
        "wall_seconds_per_submission",
    ):
        print(f"  {key}: {figures[key]}")
    return figures


def typical_timing(params, workers: int) -> dict:
    """3 typical submissions, cold, under the protocol and under a one-cell protocol."""
    from dataclasses import replace

    out = {}
    for label, p in (("protocol", params), ("one_cell", replace(params, seeds=1, eras=1))):
        with tempfile.TemporaryDirectory() as folder:
            os.environ["HYPERBOUNTY_DATA_DIR"] = folder
            _reset_settings()
            _, _, wall = evaluate(p, TYPICAL, workers)
        out[label] = round(wall, 1)
    out["ratio_protocol_over_one_cell"] = round(out["protocol"] / out["one_cell"], 2)
    print(f"\n3 typical submissions ({', '.join(TYPICAL)}), cold: {out}")
    return out


def _reset_settings() -> None:
    import settings

    cached = getattr(settings.get_settings, "cache_clear", None)
    if cached:
        cached()


def _code_version() -> tuple[str, bool]:
    """The commit this run imports, and whether ml/ or protocol.py differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "HEAD"), bool(git("status", "--porcelain", "--", "ml", "protocol.py"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny protocol, a smoke run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    from ml import preprocess

    if args.quick:
        tasks = {
            "volatility (tiny)": preprocess.tiny_parameters(),
            "direction (tiny)": __import__("dataclasses").replace(
                preprocess.tiny_parameters(), target="direction"
            ),
        }
    else:
        tasks = {
            "volatility (default)": preprocess.demo_parameters(),
            "direction": preprocess.direction_parameters(),
        }
    commit, dirty = _code_version()  # read now: commits may land while the run goes on
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["HYPERBOUNTY_DATA_DIR"] = folder
        _reset_settings()
        results = {label: task_figures(label, params, args.workers) for label, params in tasks.items()}
    timing = typical_timing(next(iter(tasks.values())), args.workers)
    document = {
        "benchmark": "skill",
        "commit": commit,
        "uncommitted_ml_changes": dirty,
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "workers": args.workers,
        "targets": {
            "variance_share_icc1": ">= 0.6",
            "kendall_tau_between_seeds": ">= 0.7",
            "best_minus_best_baseline_in_se": ">= 3",
            "typical_3_submissions_seconds": "<= 180 on 2 cores",
        },
        "tasks": results,
        "typical_3_submissions": timing,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    if not args.quick:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nwrote {args.output.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
