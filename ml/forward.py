"""Forward tests: the test file of a bounty is built by a public rule, after its window closed.

A forward-test manifest (``test.kind == "forward"``) names a source, the coins, the interval
and a window; the test file is the merged candles of that window, written exactly as every
split file (ml/preprocess.py). The owner builds it with :func:`build_test_file` once the
window has passed and reveals its digest; anyone runs the same function on the same public
source and compares (:func:`compare_test_files` names the first row that differs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import storage
from ml.data import CoinpaprikaClient, DataError, load_bundled, merge_coins, resample
from ml.manifest import TaskManifest
from ml.preprocess import split_to_csv

CandleSource = Callable[[TaskManifest, int, int], Mapping[str, pd.DataFrame]]


def test_window(manifest: TaskManifest, reveal_deadline: int) -> tuple[int, int]:
    """``[start, end)`` of the test window in Unix seconds.

    Without a fixed ``start_time`` the window starts at the first interval boundary at or after
    the bounty's reveal deadline: data nobody could have seen while choosing what to reveal.
    """
    rule = manifest.test
    if rule.kind != "forward" or rule.duration_s is None:
        raise DataError("This bounty keeps a private test split: there is no public rule to rebuild it by.")
    step = manifest.interval_seconds
    start = rule.start_time if rule.start_time is not None else -(-int(reveal_deadline) // step) * step
    return start, start + rule.duration_s


def build_test_file(
    manifest: TaskManifest, frames: Mapping[str, pd.DataFrame], reveal_deadline: int
) -> bytes:
    """The test file by the manifest's rule, from candles that cover the window."""
    start, end = test_window(manifest, reveal_deadline)
    missing = [c for c in manifest.coins if c not in frames]
    if missing:
        raise DataError(f"No candles for {', '.join(missing)} to build the test file from.")
    merged = merge_coins({c: resample(frames[c], manifest.interval) for c in manifest.coins})
    part = merged[(merged.index >= start) & (merged.index < end)]
    if part.empty:
        raise DataError(
            f"The source has no candles in the test window {start}..{end} (Unix seconds): "
            "it may not have closed yet, or the source lacks those times."
        )
    return split_to_csv(part, tuple(manifest.coins))


def bundled_candles(manifest: TaskManifest, start: int, end: int) -> Mapping[str, pd.DataFrame]:
    """The bundled 2018 candles (public: a forward test on them is a rehearsal)."""
    return load_bundled(manifest.coins)


def coinpaprika_candles(
    api_key: str | None = None, base_url: str | None = None, cache_dir: Path | None = None
) -> CandleSource:
    """Candles of the window from coinpaprika (refused while the window has not closed).

    ``cache_dir``: where answers are cached (``ml.data.coinpaprika_cache_dir(settings)``; None: under
    the process settings' data dir)."""

    def load(manifest: TaskManifest, start: int, end: int) -> Mapping[str, pd.DataFrame]:
        client = CoinpaprikaClient(api_key=api_key, base_url=base_url, cache_dir=cache_dir)
        return client.load(manifest.coins, start, end, manifest.interval, settled=True)

    return load


def source_for(
    manifest: TaskManifest,
    api_key: str | None = None,
    base_url: str | None = None,
    cache_dir: Path | None = None,
) -> CandleSource:
    """Where the manifest's rule reads its candles (``cache_dir`` as for :func:`coinpaprika_candles`)."""
    if manifest.test.source == "bundled":
        return bundled_candles
    if manifest.test.source == "coinpaprika":
        return coinpaprika_candles(api_key, base_url, cache_dir)
    raise DataError("This bounty keeps a private test split: there is no public source to rebuild it from.")


def rebuild_test_file(
    manifest: TaskManifest,
    reveal_deadline: int,
    now: int,
    source: CandleSource | None = None,
) -> bytes:
    """What the owner reveals and a verifier recomputes; refused before the window closed."""
    start, end = test_window(manifest, reveal_deadline)
    if now < end and not manifest.test.rehearsal:
        raise DataError(
            f"The test window closes at {end} (Unix seconds); its candles do not all exist yet. "
            "Build the test file after that."
        )
    frames = (source or source_for(manifest))(manifest, start, end)
    return build_test_file(manifest, frames, reveal_deadline)


@dataclass(frozen=True)
class TestFileCheck:
    """The outcome of rebuilding a revealed test file and comparing it with the revealed one."""

    matches: bool
    rebuilt_cid: str
    revealed_cid: str
    first_difference: str | None = None

    def summary(self) -> str:
        if self.matches:
            return f"Matches: the rebuilt test file has the revealed CID {self.revealed_cid}."
        return (
            f"Does NOT match: the rule gives {self.rebuilt_cid}, the owner revealed {self.revealed_cid}. "
            + (self.first_difference or "")
        )


def compare_test_files(rebuilt: bytes, revealed: bytes | None, revealed_cid: str) -> TestFileCheck:
    """Compare by CID; when the revealed bytes are at hand, name the first differing row."""
    rebuilt_cid = storage.ipfs_cid(rebuilt)
    matches = rebuilt_cid == storage.normalize_cid(revealed_cid)
    difference = None
    if not matches and revealed is not None:
        difference = first_difference(rebuilt, revealed)
    return TestFileCheck(matches, rebuilt_cid, storage.normalize_cid(revealed_cid), difference)


def first_difference(expected: bytes, actual: bytes) -> str:
    """'Row N (time T): expected ..., revealed ...' for the first line that differs."""
    ours = expected.decode(errors="replace").splitlines()
    theirs = actual.decode(errors="replace").splitlines()
    for number, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            time = a.split(",", 1)[0]
            where = "the header" if number == 0 else f"row {number} (time {time})"
            return f"First difference at {where}: expected {a!r}, revealed {b!r}."
    if len(ours) != len(theirs):
        return f"The rebuilt file has {len(ours) - 1} rows, the revealed one {len(theirs) - 1}."
    return "The files differ only in line endings or trailing bytes."
