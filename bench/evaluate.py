"""The evaluation on Ray against the local process pool, same cells, same 2 cores; scaling on paper.

Both phases run ``ml.runner.evaluate_submissions`` over the same submissions under the same
manifest, each cell (submission, seed, era) one task: first on the local pool (the default, one
worker per core, one XLA thread each), then on a real two-node Ray cluster started here
(``ray.cluster_utils.Cluster``, 1 CPU per node, so Ray gets the same 2 cores). Scores and every
cell's per-sequence hits must be identical; the throughput ratio is pool wall time / Ray wall time
(1.0: the engine costs nothing; the target is >= 0.85). Each phase starts cold (no cached
preprocessing, no cached XLA programs). The cluster's start time is measured on its own.

The per-task overhead is measured with empty tasks through each executor (2 at a time); with the
measured per-cell cost it gives the wall time of 200 submissions x 9 cells on 1, 4, 16 and 64
nodes of 2 cores on paper: waves = ceil(cells / (2 x nodes)), wall = waves x (cell + overhead).
That assumes what the measurement shows (tasks spread evenly, arrays sent once per node) and
leaves out what it cannot (a network between nodes, the driver's own limits).

    .venv/bin/python bench/evaluate.py                 # demo protocol, 2 typical submissions
    .venv/bin/python bench/evaluate.py --quick         # tiny protocol, a smoke run
Prints a table and writes bench/results/evaluate.json with the commit it measured.
"""

from __future__ import annotations

import argparse
import json
import math
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

from bench.provenance import git_commit  # noqa: E402
from protocol import Hyperparameters  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "evaluate.json"
WATCHED = ("ml", "bench/evaluate.py", "requirements.txt")
# (lstm_layers, lstm_units, dense_layers, activation, loss, dropout_permille, learning_rate_micro)
TYPICAL = [
    Hyperparameters(1, 32, 1, 0, 0, 200, 1000),
    Hyperparameters(2, 64, 1, 0, 0, 200, 1000),
    Hyperparameters(1, 16, 0, 1, 1, 100, 2000),
]
PAPER_SUBMISSIONS, PAPER_CELLS, PAPER_NODES, CORES_PER_NODE = 200, 9, (1, 4, 16, 64), 2
OVERHEAD_TASKS = 40


class CpuMeter:
    """Wall time, and the machine-wide CPU use sampled over one phase (others share this machine)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()

    def __enter__(self) -> CpuMeter:
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
        self.wall = time.perf_counter() - self.start

    def summary(self) -> dict[str, float | None]:
        mean = round(sum(self.samples) / len(self.samples), 1) if self.samples else None
        return {"wall_s": round(self.wall, 2), "machine_cpu_percent_mean": mean}


def empty(payload, shared, report):
    """An empty task: what the executor itself costs per task."""
    return payload


def overhead_per_task(executor) -> float:
    """Seconds each task costs beyond its work, 2 at a time (after one warm-up round)."""
    from ml.executor import Task

    executor.run([Task(("warm", i), empty, i) for i in range(2)], lambda event: None)
    started = time.perf_counter()
    executor.run([Task(i, empty, i) for i in range(OVERHEAD_TASKS)], lambda event: None)
    return (time.perf_counter() - started) * 2 / OVERHEAD_TASKS


def evaluate(manifest, files, hps, executor, xla_dir: Path):
    from ml.runner import Submission, evaluate_submissions

    submissions = [Submission(f"0x{i + 1:040x}", hp) for i, hp in enumerate(hps)]
    with CpuMeter() as meter:
        report = evaluate_submissions(manifest, files, submissions, executor=executor, xla_cache_dir=xla_dir)
    return report, meter


def fresh_data_dir(name: str) -> Path:
    from settings import get_settings

    folder = Path(tempfile.mkdtemp(prefix=f"hb-bench-{name}-"))
    os.environ["HYPERBOUNTY_DATA_DIR"] = str(folder)
    get_settings.cache_clear()
    return folder


def cells_of(report) -> list[tuple[int | None, list[str]]]:
    return [(r.score_ppm, [c["hits"] for c in r.cells]) for r in report.submissions]


def paper_scaling(cell_s: float, overhead_s: float) -> list[dict[str, float | int]]:
    cells = PAPER_SUBMISSIONS * PAPER_CELLS
    rows = []
    for nodes in PAPER_NODES:
        slots = nodes * CORES_PER_NODE
        waves = math.ceil(cells / slots)
        wall = waves * (cell_s + overhead_s)
        rows.append(
            {
                "nodes": nodes,
                "cores": slots,
                "waves": waves,
                "wall_s": round(wall, 1),
                "wall_h": round(wall / 3600, 3),
                "overhead_share": round(overhead_s / (cell_s + overhead_s), 4),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny protocol: a smoke run")
    parser.add_argument("--submissions", type=int, default=2, help="how many typical submissions (1..3)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    commit = git_commit(*WATCHED)
    fresh_data_dir("build")

    import ray
    from ray.cluster_utils import Cluster

    from ml import data, preprocess
    from ml.executor import LocalPoolExecutor, RayExecutor

    params = preprocess.tiny_parameters() if args.quick else preprocess.demo_parameters()
    manifest, files = preprocess.build_dataset(data.load_bundled(list(params.coins)), params)
    hps = TYPICAL[: args.submissions]
    protocol = manifest.evaluation
    cells = len(hps) * protocol.seeds * protocol.eras
    print(
        f"protocol: {'tiny' if args.quick else 'demo'} ({protocol.epochs} epochs, {protocol.seeds} seeds x "
        f"{protocol.eras} eras); {len(hps)} submissions = {cells} cells; {psutil.cpu_count()} cores; "
        f"commit {commit}"
    )
    load_at_start = os.getloadavg()

    xla = fresh_data_dir("pool") / "xla"
    with LocalPoolExecutor(workers=2, threads=1, preload=("ml.runner",)) as pool:
        pool_report, pool_meter = evaluate(manifest, files, hps, pool, xla)
        pool_overhead = overhead_per_task(pool)
    print(f"pool: {pool_meter.summary()}, per-task overhead {pool_overhead * 1000:.1f} ms")

    xla = fresh_data_dir("ray") / "xla"
    started = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    cluster_start = time.perf_counter() - started
    print(f"two-node Ray cluster up in {cluster_start:.1f} s")
    try:
        with RayExecutor("auto") as executor:
            ray_report, ray_meter = evaluate(manifest, files, hps, executor, xla)
            ray_overhead = overhead_per_task(executor)
    finally:
        ray.shutdown()
        cluster.shutdown()
    print(f"ray : {ray_meter.summary()}, per-task overhead {ray_overhead * 1000:.1f} ms")

    identical = cells_of(ray_report) == cells_of(pool_report)
    ratio = pool_meter.wall / ray_meter.wall
    cell_s = sum(r.seconds for r in pool_report.submissions) / cells
    scaling = paper_scaling(cell_s, ray_overhead)
    print(
        f"throughput ratio (pool wall / Ray wall): {ratio:.3f} (target >= 0.85); "
        f"identical scores: {identical}"
    )
    print(f"mean cell cost {cell_s:.2f} s; on paper, {PAPER_SUBMISSIONS} submissions x {PAPER_CELLS} cells:")
    for row in scaling:
        print(
            f"  {row['nodes']:>3} nodes ({row['cores']:>3} cores): {row['wall_h']:.2f} h "
            f"({row['waves']} waves)"
        )

    result = {
        "benchmark": "evaluate",
        "commit": commit,
        "protocol": "tiny" if args.quick else "demo",
        "manifest_cid": manifest.cid(),
        "cells": cells,
        "submissions": [hp.describe() for hp in hps],
        "conditions": {
            "machine": platform.platform(),
            "cores": psutil.cpu_count(),
            "shared_with_other_programs": True,
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
            "pool": "2 spawned workers, 1 XLA thread each",
            "ray": "ray.cluster_utils.Cluster: head + 1 node, 1 CPU each, on the same 2 cores",
            "cold": "each phase in a fresh data dir: no cached preprocessing, no cached XLA programs",
            **pool_report.environment,
            "ray_version": ray.__version__,
        },
        "pool": {**pool_meter.summary(), "per_task_overhead_ms": round(pool_overhead * 1000, 2)},
        "ray": {
            **ray_meter.summary(),
            "cluster_start_s": round(cluster_start, 2),
            "per_task_overhead_ms": round(ray_overhead * 1000, 2),
            "nodes": ray_report.runner["nodes"],
            "retried": ray_report.runner["retried"],
        },
        "throughput_ratio": round(ratio, 3),
        "target_ratio": 0.85,
        "scores_identical": identical,
        "scores_ppm": [r.score_ppm for r in ray_report.submissions],
        "mean_cell_s": round(cell_s, 3),
        "paper_scaling": {
            "submissions": PAPER_SUBMISSIONS,
            "cells_per_submission": PAPER_CELLS,
            "cores_per_node": CORES_PER_NODE,
            "cell_s": round(cell_s, 3),
            "overhead_s": round(ray_overhead, 4),
            "rows": scaling,
        },
        "note": "machine_cpu_percent_mean is machine-wide: other programs shared these 2 cores, so both "
        "wall times are pessimistic alike; the ratio compares runs minutes apart under that load.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if not identical:
        sys.exit("scores differ between the pool and Ray")


if __name__ == "__main__":
    main()
