"""TPE against random search at equal trials (10, 20, 40), 3 repetitions each: best validation score.

Each repetition runs one 40-trial study per sampler through ``ml.search.run_search`` (trials on
the local pool, 2 at a time, pruning on); the best validation accuracy after the first 10, 20 and
40 finished trials is read from the study in trial order. The question the issue asks: does TPE
reach random search's 40-trial best within 20 trials?

Budget, honestly: on the demo task one trial is 9 trainings of 6 epochs (20-70 s here), so 240
trials would take hours on these 2 shared cores. The bench keeps the default task's data and target
(the tiny protocol's candles and volatility target) but scores each trial on 1 seed x 1 era of
1 epoch, and searches small models (up to 2 LSTM layers of up to 64 units; activation, loss,
dropout and learning rate over the contract's full ranges). The JSON records these conditions.

    .venv/bin/python bench/search.py              # 3 repetitions x 2 samplers x 40 trials
    .venv/bin/python bench/search.py --trials 12 --repetitions 1   # a smoke run
Prints a table and writes bench/results/search.json with the commit it measured.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.provenance import git_commit  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "search.json"
WATCHED = ("ml", "bench/search.py", "requirements.txt")
CHECKPOINTS = (10, 20, 40)
LIMITS = {"lstm_layers": (1, 2), "lstm_units": (4, 64), "dense_layers": (0, 2)}


def best_after(study, n: int) -> int | None:
    """The best validation accuracy (ppm) among the first ``n`` finished trials, in trial order."""
    from ml.search import finished_trials

    first = sorted(finished_trials(study), key=lambda t: t.number)[:n]
    values = [t.user_attrs["value_ppm"] for t in first if "value_ppm" in t.user_attrs]
    return max(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=max(CHECKPOINTS))
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    commit = git_commit(*WATCHED)
    os.environ["HYPERBOUNTY_DATA_DIR"] = tempfile.mkdtemp(prefix="hb-bench-search-")

    import psutil

    from ml import data, preprocess, search
    from ml.executor import LocalPoolExecutor

    params = dataclasses.replace(preprocess.tiny_parameters(), seeds=1, eras=1, epochs=1)
    manifest, files = preprocess.build_dataset(data.load_bundled(list(params.coins)), params)
    public = {name: files[name] for name in ("train", "validation")}
    folder = Path(tempfile.mkdtemp(prefix="hb-bench-studies-"))
    checkpoints = [n for n in CHECKPOINTS if n <= args.trials]
    load_at_start = os.getloadavg()
    print(f"{args.repetitions} repetitions x (tpe, random) x {args.trials} trials; commit {commit}")
    runs = []
    started = time.perf_counter()
    with LocalPoolExecutor(workers=args.parallel, threads=1, preload=("ml.train",)) as executor:
        for rep in range(args.repetitions):
            for sampler in ("tpe", "random"):
                t0 = time.perf_counter()
                path = folder / f"{sampler}-{rep}.sqlite3"
                result = search.run_search(
                    manifest,
                    public,
                    path,
                    study_name="bench",
                    trials=args.trials,
                    executor=executor,
                    parallel=args.parallel,
                    sampler=sampler,
                    seed=rep,
                    limits=LIMITS,
                )
                study = search.open_study(path, "bench")
                best = {str(n): best_after(study, n) for n in checkpoints}
                pruned = sum(1 for row in result.trials if row["state"] == "pruned")
                runs.append(
                    {
                        "repetition": rep,
                        "sampler": sampler,
                        "best_ppm_after": best,
                        "pruned": pruned,
                        "seconds": round(time.perf_counter() - t0, 1),
                        "best_hyperparameters": result.best_hyperparameters,
                    }
                )
                print(f"  rep {rep} {sampler:<6} best after {best}  pruned {pruned}  {runs[-1]['seconds']} s")

    def mean(sampler: str, n: int) -> float | None:
        values = [r["best_ppm_after"][str(n)] for r in runs if r["sampler"] == sampler]
        values = [v for v in values if v is not None]
        return round(sum(values) / len(values), 1) if values else None

    summary = {s: {str(n): mean(s, n) for n in checkpoints} for s in ("tpe", "random")}
    top, mid = str(max(checkpoints)), str(20 if 20 in checkpoints else max(checkpoints))
    per_rep = []
    for rep in range(args.repetitions):
        tpe = next(r for r in runs if r["repetition"] == rep and r["sampler"] == "tpe")
        rnd = next(r for r in runs if r["repetition"] == rep and r["sampler"] == "random")
        per_rep.append((tpe["best_ppm_after"][mid] or 0) >= (rnd["best_ppm_after"][top] or 0))
    reached = (summary["tpe"][mid] or 0) >= (summary["random"][top] or 0)
    print(f"mean best after n trials: {summary}")
    print(f"TPE's best after {mid} >= random's after {top}: on average {reached}; per repetition {per_rep}")
    result = {
        "benchmark": "search",
        "commit": commit,
        "conditions": {
            "machine": platform.platform(),
            "cores": psutil.cpu_count(),
            "shared_with_other_programs": True,
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
            "task": "the tiny protocol's data and volatility target; 1 seed x 1 era x 1 epoch per trial",
            "space": {
                "limited": LIMITS,
                "full_range": ["activation", "loss", "dropout_permille", "learning_rate_micro"],
            },
            "executor": f"local pool, {args.parallel} workers, 1 thread each; pruning: median",
            "samplers": "TPE (multivariate, constant liar, 5 startup trials) vs random; seed = repetition",
            "wall_s": round(time.perf_counter() - started, 1),
        },
        "manifest_cid": manifest.cid(),
        "trials": args.trials,
        "repetitions": args.repetitions,
        "runs": runs,
        "mean_best_ppm_after": summary,
        "tpe_reaches_random_best": {
            "question": f"TPE's best after {mid} trials >= random's best after {top}",
            "on_average": reached,
            "per_repetition": per_rep,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
