"""Peak memory of reading an uploaded 40 MB price CSV: ``pd.read_csv`` of the whole file vs ours.

Issue 10 measured 636 MiB for a 40 MB upload with the old reader (every row kept as a list of
Python strings); this script, run on the old reader (commit c057852) before the change, measured
1212 MiB peak RSS for its six-column file (``BEFORE``, kept in the results for comparison).
``ml.data.parse_upload`` now streams the file in chunks, reads only the columns it needs and
keeps compact numbers (int64 times, float64 prices). The baseline, measured in the same run on
the same bytes, is what a straightforward reader does: ``pd.read_csv`` of the whole file with
pandas' default dtypes.

Each reader runs in its own child process, so its peak RSS (``ru_maxrss``) is its own; the
figure quoted is the peak above what the child held once the CSV bytes were in memory (the
dashboard holds the upload's bytes anyway). The tracemalloc peak (Python and numpy allocations,
not the C parser's buffers) is shown beside it. Prints a table and writes
bench/results/csv_memory.json.

    .venv/bin/python bench/csv_memory.py [--mb 40]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.provenance import git_commit  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "csv_memory.json"
MiB = 1024 * 1024
READERS = ("pd_read_csv_whole", "parse_upload")
# The old reader (csv.reader, rows as lists of str) on the same generated 40 MiB file, same script.
BEFORE = {
    "reader": "ml.data.parse_upload at c057852 (csv.reader, every row a list of Python strings)",
    "peak_rss_mib": 1212.3,
    "tracemalloc_peak_mib": 495.3,
}

CHILD = r"""
import io, json, resource, sys, tracemalloc
sys.path.insert(0, sys.argv[3])
import numpy as np, pandas as pd
from ml import data as ml_data

data = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
if sys.argv[1] == "pd_read_csv_whole":
    frame = pd.read_csv(io.BytesIO(data))
    rows = len(frame)
else:
    frames = ml_data.parse_upload(data, coin="BTC")
    rows = sum(len(f) for f in frames.values())
traced_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "peak_rss_kib": after - before, "tracemalloc_peak": traced_peak}))
"""


def write_csv(path: Path, target_bytes: int) -> int:
    """A one-coin CSV with six columns (time,open,high,low,close,volume) of about ``target_bytes``."""
    rows = 0
    with path.open("w") as out:
        out.write("time,open,high,low,close,volume\n")
        size = 0
        while size < target_bytes:
            t = 1_500_000_000 + 60 * rows
            price = 6000 + (rows * 7919 % 100_000) / 97.0
            high, low, close, volume = price + 1.25, price - 1.25, price + 0.5, rows % 997 / 7
            line = f"{t},{price:.5f},{high:.5f},{low:.5f},{close:.5f},{volume:.6f}\n"
            out.write(line)
            size += len(line)
            rows += 1
    return rows


def measure(reader: str, csv_path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, reader, str(csv_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=40.0, help="size of the generated CSV in MB (MiB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "BTC-USD.csv"
        rows = write_csv(csv_path, int(args.mb * MiB))
        size = csv_path.stat().st_size
        figures = {reader: measure(reader, csv_path) for reader in READERS}
    for figure in figures.values():
        figure["peak_rss_mib"] = round(figure.pop("peak_rss_kib") / 1024, 1)
        figure["tracemalloc_peak_mib"] = round(figure.pop("tracemalloc_peak") / MiB, 1)
    base, ours = figures["pd_read_csv_whole"], figures["parse_upload"]
    result = {
        "csv_mib": round(size / MiB, 1),
        "csv_rows": rows,
        "readers": figures,
        "rss_ratio_read_csv_over_ours": round(base["peak_rss_mib"] / max(ours["peak_rss_mib"], 0.1), 2),
        "before_this_change": BEFORE,
        "git_commit": git_commit("ml/data.py"),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(f"CSV: {result['csv_mib']} MiB, {rows} rows (6 columns, 3 needed)")
    print(f"{'reader':<20} {'peak RSS (MiB)':>15} {'tracemalloc peak (MiB)':>24}")
    for reader, figure in figures.items():
        print(f"{reader:<20} {figure['peak_rss_mib']:>15} {figure['tracemalloc_peak_mib']:>24}")
    print(f"pd.read_csv whole / parse_upload peak RSS: {result['rss_ratio_read_csv_over_ours']}x")
    print(f"the old reader (before the change, same file): {BEFORE['peak_rss_mib']} MiB peak RSS")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
