"""Price data: the bundled candles, the coinpaprika API and a user's own CSV.

Every source ends as the same shape, one ``pandas.DataFrame`` per coin indexed by ``time``
(Unix seconds, sorted, unique) with at least the columns ``close`` and ``volume``. Missing
minutes stay missing: nothing here fills a gap with an invented price. ``merge_coins`` then
keeps the times every coin has, so a later step sees a gap as a jump in ``time``.

A user's CSV is refused above ``MAX_UPLOAD_MB`` and otherwise streamed: read in chunks, only the
columns needed, into compact numbers, so a large upload never holds its rows as Python strings.
Every problem in it (not text, a bad cell, a time outside 1970-2100) is a sentence naming the row.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import time as time_module
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import durable
from formatting import utc_minute
from settings import REPO_ROOT, Settings, get_settings

BUNDLED_DIR = REPO_ROOT / "datasets"
BUNDLED_COINS: tuple[str, ...] = ("BTC", "LTC", "ETH", "BCH")
BUNDLED_COLUMNS: tuple[str, ...] = ("time", "low", "high", "open", "close", "volume")
BUNDLED_SHA256 = {
    "BTC": "8a2aaebaf2b10739082473bdc3313019356f30b7f786369fd6279cea4a35f7e4",
    "LTC": "56c702062c06a30a021b33cc2cdd5615156b72c25bffe4d2a1c0caef8dbda01d",
    "ETH": "de157ba360a47695a874a5c3eb6e8af92cc7271b5ad34a016a01284a54272477",
    "BCH": "4ad1cd4aec52d4afa480c4c82aac010ccb0f6cf124f40aff477ede457df9a092",
}
# Interval name -> seconds. Resampling only ever aggregates, so these are all >= 1 minute.
INTERVALS: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600}
MIN_UPLOAD_ROWS = 100


class DataError(ValueError):
    """Price data that cannot be used, with a message that says what to do about it."""


# --- bundled data -------------------------------------------------------------------------


def load_bundled(coins: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The shipped 2018 candles, sorted by time; a fresh copy per call (callers may mutate)."""
    wanted = list(coins) if coins is not None else list(BUNDLED_COINS)
    unknown = [c for c in wanted if c not in BUNDLED_COINS]
    if unknown:
        raise DataError(
            f"No bundled data for {', '.join(unknown)}: the bundled coins are {', '.join(BUNDLED_COINS)}."
        )
    return {coin: _bundled_frame(coin).copy() for coin in wanted}


@lru_cache(maxsize=len(BUNDLED_COINS))
def _bundled_frame(coin: str) -> pd.DataFrame:
    path = BUNDLED_DIR / f"{coin}-USD.csv.xz"
    if not path.exists():
        raise DataError(f"The bundled file {path.name} is missing from {BUNDLED_DIR}; restore it with git.")
    raw = lzma.decompress(path.read_bytes())
    if hashlib.sha256(raw).hexdigest() != BUNDLED_SHA256[coin]:
        raise DataError(f"The bundled file {path.name} is damaged (checksum mismatch); restore it with git.")
    frame = pd.read_csv(io.BytesIO(raw), header=None, names=list(BUNDLED_COLUMNS), dtype=np.float64)
    frame["time"] = frame["time"].astype(np.int64)
    return _tidy(frame, coin)


def _tidy(frame: pd.DataFrame, coin: str) -> pd.DataFrame:
    """Sort by time and index by it; a repeated time is an error, never silently dropped."""
    frame = frame.sort_values("time", kind="stable")
    repeated = frame["time"].duplicated()
    if repeated.any():
        when = int(frame.loc[repeated, "time"].iloc[0])
        raise DataError(
            f"{coin}: time {when} ({utc_minute(when)}) appears more than once; keep one row per time."
        )
    return frame.set_index("time")


# --- resampling and merging -------------------------------------------------------------


def interval_seconds(interval: str) -> int:
    if interval not in INTERVALS:
        raise DataError(f"Unknown interval {interval!r}: choose one of {', '.join(INTERVALS)}.")
    return INTERVALS[interval]


def resample(frame: pd.DataFrame, interval: str) -> pd.DataFrame:
    """Candles of ``interval``, labelled by their start; only intervals holding real candles.

    close = last close inside the interval, volume = sum. An interval with no candle at all is
    absent (a gap), not filled from its neighbours.
    """
    step = interval_seconds(interval)
    times = frame.index.to_numpy(dtype=np.int64)
    bucket = (times // step) * step
    grouped = frame.groupby(bucket, sort=True)
    out = pd.DataFrame({"close": grouped["close"].last(), "volume": grouped["volume"].sum()})
    for column, how in (("open", "first"), ("high", "max"), ("low", "min")):
        if column in frame.columns:
            out[column] = getattr(grouped[column], how)()
    out.index.name = "time"
    return out


def merge_coins(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per time that every coin has: columns ``<COIN>_close`` and ``<COIN>_volume``.

    Coins that start or end at different times are cut to the common range; a time missing
    for any coin is dropped for all, which leaves a gap the sequence builder respects.
    """
    if not frames:
        raise DataError("No coins given: choose at least one coin.")
    parts = []
    for coin, frame in frames.items():
        missing = [c for c in ("close", "volume") if c not in frame.columns]
        if missing:
            raise DataError(f"{coin}: missing column(s) {', '.join(missing)}.")
        part = frame[["close", "volume"]].rename(
            columns={"close": f"{coin}_close", "volume": f"{coin}_volume"}
        )
        parts.append(part)
    merged = pd.concat(parts, axis=1, join="inner").sort_index()
    merged.index = merged.index.astype(np.int64)
    merged.index.name = "time"
    if merged.empty:
        raise DataError(f"The coins {', '.join(frames)} have no time in common; pick coins that overlap.")
    return merged


def count_gaps(times: np.ndarray, step: int) -> int:
    """How many places consecutive times are further apart than one step."""
    return int(np.count_nonzero(np.diff(times) != step))


# --- a user's CSV -----------------------------------------------------------------------

# The largest CSV accepted, in MiB (Streamlit's "MB"): the Preprocess page states it and
# .streamlit/config.toml's server.maxUploadSize matches it. Besides the file's bytes, the streaming
# reader peaks below the file's size again (about 33 MiB for a 40 MiB file: bench/csv_memory.py).
MAX_UPLOAD_MB = 100
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# Rows parsed at a time: bounds the text the reader holds at once whatever the file's size.
CHUNK_ROWS = 10_000
# The times a candle may have: from 1970 up to (not including) 2100 (Unix seconds).
EARLIEST_TIME = 0
LATEST_TIME = 4_102_444_800
# Above this a number in the time column is Unix milliseconds (1e11 s would be the year 5138).
MILLISECONDS_FROM = 1e11
_SNIFF_BYTES = 64 * 1024
_EPOCH = pd.Timestamp(0, tz="UTC")
_EXPECTED_LAYOUT = (
    "a header row time,close,volume (one coin) or time,BTC_close,BTC_volume,... (several coins)"
)


def parse_upload(
    data: bytes | str, coin: str | None = None, min_rows: int = MIN_UPLOAD_ROWS, max_bytes: int | None = None
) -> dict[str, pd.DataFrame]:
    """Frames per coin from an uploaded CSV, or a ``DataError`` naming the row and column.

    Accepted layouts (a header row is required, except for the bundled six-column format):
    - ``time,close,volume[,open,high,low]``: one coin, named by ``coin`` (e.g. the file name);
    - ``time,BTC_close,BTC_volume,ETH_close,ETH_volume,...``: several coins side by side;
    - no header, six columns ``time,low,high,open,close,volume`` like the bundled files.
    ``time`` is Unix seconds (milliseconds are recognised) or an ISO-8601 date-time, from 1970 up
    to 2100. Rows may come in any order; a time that appears twice is an error. Blank rows are
    skipped (and not counted in the row numbers of messages).

    The file is read in chunks of ``CHUNK_ROWS`` rows, only the columns needed, into int64 times
    and float64 prices, so memory stays a fraction of the file's size; a file over ``max_bytes``
    (default ``MAX_UPLOAD_BYTES``) is refused before it is read.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _check_size(len(raw), MAX_UPLOAD_BYTES if max_bytes is None else max_bytes)
    _check_text(raw[:_SNIFF_BYTES])
    header = _first_row(raw)
    if _looks_numeric(header) and len(header) == len(BUNDLED_COLUMNS):
        names, has_header = list(BUNDLED_COLUMNS), False
    else:
        names, has_header = header, True
    columns = _coin_columns(names, coin)
    position = {name.lower(): i for i, name in enumerate(names)}
    wanted = {"time": position["time"]}
    for close_col, volume_col in columns.values():
        wanted[close_col] = position[close_col.lower()]
        wanted[volume_col] = position[volume_col.lower()]
    parsed = _read_columns(raw, wanted, has_header, min_rows)
    times, lines = parsed.pop("time"), parsed.pop("line")
    if len(times) < min_rows:
        raise DataError(f"The file has {len(times)} data rows; at least {min_rows} are needed to train on.")
    order = _time_order(times, lines)
    index = pd.Index(times if order is None else times[order], name="time")
    frames = {}
    for name, (close_col, volume_col) in columns.items():
        close, volume = parsed[close_col], parsed[volume_col]
        if order is not None:
            close, volume = close[order], volume[order]
        frames[name] = pd.DataFrame({"close": close, "volume": volume}, index=index, copy=False)
    return frames


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise DataError(
            f"The file is {size / 2**20:.1f} MB; price CSVs are limited to {limit / 2**20:g} MB. "
            "Upload fewer rows: a shorter period, or 5-minute candles instead of 1-minute ones."
        )


def _check_text(head: bytes) -> None:
    """Refuse what is not text (a spreadsheet, an archive, random bytes) before parsing it as CSV."""
    text = head.decode("utf-8", errors="replace")
    if len(head) == _SNIFF_BYTES:
        text = text[:-4]  # a character cut at the end of the sample is not damage
    unreadable = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\r\n\f"))
    if "\x00" in text or unreadable > len(text) / 100:
        _not_a_csv("it holds binary data, not text")


def _not_a_csv(why: str) -> None:
    raise DataError(
        f"This file is not a CSV of candles ({why}). Upload a text CSV with {_EXPECTED_LAYOUT}: "
        "export the prices as CSV (comma-separated) from your spreadsheet or exchange and upload that file."
    )


def _csv_reader(raw: bytes, **options: Any) -> Any:
    """pandas' C parser over the bytes, every cell as text (no NaN guessing), blank lines skipped.

    Cells are plain ``str`` objects (``dtype=object``): per chunk, they take less memory than
    pandas' string dtype in this pipeline (bench/csv_memory.py).
    """
    try:
        return pd.read_csv(
            io.BytesIO(raw),
            header=None,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            encoding_errors="replace",
            **options,
        )
    except pd.errors.EmptyDataError:
        raise DataError("The file is empty: upload a CSV with a header row time,close,volume.") from None


def _first_row(raw: bytes) -> list[str]:
    try:
        first = _csv_reader(raw, nrows=1)
    except pd.errors.ParserError as exc:
        _not_a_csv(f"its first row cannot be read: {_parser_problem(exc)}")
    return [str(cell).strip() for cell in first.iloc[0]]


def _parser_problem(exc: Exception) -> str:
    return str(exc).replace("Error tokenizing data. C error: ", "").strip().rstrip(".")


def _read_columns(
    raw: bytes, wanted: dict[str, int], has_header: bool, min_rows: int
) -> dict[str, np.ndarray]:
    """The ``wanted`` columns (name -> position; "time" first) as numbers, plus ``line``: each row's number.

    Row numbers count the header (row 1) and skip blank rows, like the messages always have. The
    results go straight into arrays sized by the file's line count, so no chunk list is joined.
    """
    names = list(wanted)
    capacity = max(raw.count(b"\n"), raw.count(b"\r")) + 1
    out = {name: np.empty(capacity, dtype=np.float64) for name in names[1:]}
    out["time"], out["line"] = np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int32)
    rows, first_line = 0, 2 if has_header else 1
    try:
        chunks = _csv_reader(raw, usecols=sorted(set(wanted.values())), chunksize=CHUNK_ROWS)
        for number, chunk in enumerate(chunks):
            cells = _filled_cells(chunk, wanted, skip_first=has_header and number == 0)
            count = len(cells["time"])
            lines = first_line + rows + np.arange(count)
            try:
                out["time"][rows : rows + count] = _times(cells["time"], lines)
                for name in names[1:]:
                    positive = not name.lower().endswith("volume")
                    out[name][rows : rows + count] = _numbers(cells[name], name, lines, positive)
            except DataError:
                if len(chunk) < CHUNK_ROWS and rows + count < min_rows:  # the last chunk: too few rows
                    raise DataError(
                        f"The file has {rows + count} data rows; at least {min_rows} are needed to train on."
                    ) from None
                raise
            out["line"][rows : rows + count] = lines
            rows += count
    except pd.errors.ParserError as exc:
        _not_a_csv(_parser_problem(exc))
    except UnicodeError:
        _not_a_csv("it is not UTF-8 text")
    return {name: values[:rows] for name, values in out.items()}


def _filled_cells(chunk: pd.DataFrame, wanted: dict[str, int], skip_first: bool) -> dict[str, pd.Series]:
    """One chunk's stripped cells by column name, without blank rows (and the header row if first)."""
    cells = {name: chunk[position].str.strip() for name, position in wanted.items()}
    if skip_first:
        cells = {name: text.iloc[1:] for name, text in cells.items()}
    filled = np.zeros(len(cells["time"]), dtype=bool)
    for text in cells.values():
        filled |= (text != "").to_numpy()
    return cells if filled.all() else {name: text[filled] for name, text in cells.items()}


def _times(text: pd.Series, lines: np.ndarray) -> np.ndarray:
    """Unix seconds of one chunk's time cells; the first bad or out-of-range cell is a ``DataError``."""
    values = _seconds(pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64))
    other = ~np.isfinite(values)  # ISO date-times, and cells that are no time at all
    if other.any():
        stamps = pd.to_datetime(text[other], utc=True, format="ISO8601", errors="coerce")
        seconds = ((stamps - _EPOCH) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64, na_value=np.nan)
        values[other] = seconds
        for i in np.flatnonzero(~np.isfinite(values)):  # what pandas cannot read: the exact sentence
            values[i] = _parse_time(text.iat[i], int(lines[i]))
    outside = (values < EARLIEST_TIME) | (values >= LATEST_TIME)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        cell, year = text.iat[first], _year_text(values[first])
        raise DataError(
            f"Row {int(lines[first])}, column time: {cell!r} is {year}, outside the "
            f"times a candle can have: from {utc_minute(EARLIEST_TIME)} up to {utc_minute(LATEST_TIME)} "
            "(Unix seconds, Unix milliseconds or an ISO-8601 date-time); fix that row."
        )
    return values.astype(np.int64)


def _seconds(numbers: np.ndarray) -> np.ndarray:
    """Whole Unix seconds from numbers in the time column (milliseconds above ``MILLISECONDS_FROM``)."""
    return np.where(numbers > MILLISECONDS_FROM, np.floor_divide(numbers, 1000), np.trunc(numbers))


def _year_text(seconds: float) -> str:
    """``the year 33658``, computed without ``datetime`` (which stops at the year 9999)."""
    return f"the year {int(1970 + seconds // 31_556_952)}"


def _numbers(text: pd.Series, name: str, lines: np.ndarray, positive: bool) -> np.ndarray:
    """One chunk's prices or volumes; the first bad cell is a ``DataError`` naming its row."""
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    good = np.isfinite(values) & ((values > 0) if positive else (values >= 0))
    for i in np.flatnonzero(~good):  # what pandas cannot read (or a bad value): the exact sentence
        values[i] = _parse_number(text.iat[i], name, int(lines[i]), positive)
    return values


def _time_order(times: np.ndarray, lines: np.ndarray) -> np.ndarray | None:
    """None if the times are already ascending; else the sorting order (a repeat is an error)."""
    if len(times) < 2 or bool((np.diff(times) > 0).all()):
        return None
    order = np.argsort(times, kind="stable")
    ordered = times[order]
    repeated = ordered[1:] == ordered[:-1]
    if repeated.any():
        later = int(order[1:][repeated].min())  # the earliest row that repeats a time
        first = int(np.flatnonzero(times == times[later])[0])
        t = int(times[later])
        raise DataError(
            f"Row {int(lines[later])}, column time: time {t} ({utc_minute(t)}) already appeared at row "
            f"{int(lines[first])}; keep one row per time."
        )
    return order


def _looks_numeric(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


def _coin_columns(header: list[str], coin: str | None) -> dict[str, tuple[str, str]]:
    lower = [h.lower() for h in header]
    if "time" not in lower:
        raise DataError(
            f"No 'time' column: the header is {','.join(header)}; the first column should be time."
        )
    if "close" in lower or "volume" in lower:
        for needed in ("close", "volume"):
            if needed not in lower:
                raise DataError(f"No '{needed}' column: a one-coin file needs the columns time,close,volume.")
        name = (coin or "COIN").upper()
        return {name: ("close", "volume")}
    coins: dict[str, tuple[str, str]] = {}
    for h in header:
        if h.lower().endswith("_close"):
            name = h[: -len("_close")]
            volume = next((v for v in header if v.lower() == f"{name.lower()}_volume"), None)
            if volume is None:
                raise DataError(f"Column {h} has no matching {name}_volume column.")
            coins[name.upper()] = (h, volume)
    if not coins:
        raise DataError(
            f"Unrecognised columns {','.join(header)}: use time,close,volume for one coin or "
            "time,BTC_close,BTC_volume,... for several."
        )
    return coins


def _cell(cell: str, name: str, line: int) -> str:
    if not cell:
        raise DataError(f"Row {line}, column {name}: the value is missing.")
    return cell


def _parse_time(cell: str, line: int) -> float:
    """One time cell that pandas could not read in bulk: Unix seconds or ms, or a date-time."""
    cell = _cell(cell, "time", line)
    try:
        value = float(cell)
    except ValueError:
        try:
            stamp = pd.Timestamp(cell)
        except (ValueError, TypeError, OverflowError):
            raise DataError(
                f"Row {line}, column time: {cell!r} is neither Unix seconds nor an ISO-8601 date-time."
            ) from None
        if pd.isna(stamp):
            raise DataError(f"Row {line}, column time: {cell!r} is not a valid time.") from None
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return float(int(stamp.timestamp()))
    if not np.isfinite(value):
        raise DataError(f"Row {line}, column time: {cell!r} is not a valid time.")
    return float(_seconds(np.array([value]))[0])


def _parse_number(cell: str, name: str, line: int, positive: bool) -> float:
    cell = _cell(cell, name, line)
    try:
        value = float(cell)
    except ValueError:
        raise DataError(f"Row {line}, column {name}: {cell!r} is not a number.") from None
    if not np.isfinite(value):
        raise DataError(f"Row {line}, column {name}: {cell!r} is not a finite number.")
    if positive and value <= 0:
        raise DataError(f"Row {line}, column {name}: a price must be above 0, got {cell}.")
    if value < 0:
        raise DataError(f"Row {line}, column {name}: volume cannot be negative, got {cell}.")
    return value


# --- coinpaprika -------------------------------------------------------------------------

FREE_API = "https://api.coinpaprika.com/v1"
PRO_API = "https://api-pro.coinpaprika.com/v1"
HISTORICAL_LIMIT = 5000
# coinpaprika's interval names that match ours (it has no 1-minute ticks).
PAPRIKA_INTERVALS = {"5m": "5m", "15m": "15m", "1h": "1h"}
# Ticks of the last minutes may still be filled in: a range is final (and cached) only once its
# end is this far in the past by the wall clock, and a forward test's window is read only then.
SETTLE_S = 600


def wall_clock() -> float:
    """Unix seconds now by this machine's clock (what coinpaprika's data exists up to)."""
    return time_module.time()


def coinpaprika_cache_dir(settings: Settings) -> Path:
    """Where coinpaprika's answers are kept for one data dir: ``<data>/cache/coinpaprika``."""
    return settings.path("cache", "coinpaprika")


class CoinpaprikaClient:
    """The two coinpaprika endpoints HyperBounty needs, with retries and a disk cache.

    Free API without a key, the pro API (``api-pro``) with one. Every successful answer is
    cached under the data dir by its URL and query, so nothing is fetched twice; the key is
    not part of the cache key and never written to disk. A page of ticks that ends less than
    ``SETTLE_S`` ago (or in the future) is not cached: it may still grow.

    ``api_key`` and ``cache_dir`` default to the process settings'; :meth:`for_settings` takes
    them from the settings of a caller's own data dir (what the actions layer uses).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        cache_dir: Path | None = None,
        retries: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 20.0,
        sleep: Callable[[float], None] = time_module.sleep,
    ) -> None:
        self.api_key = get_settings().coinpaprika_api_key if api_key is None else api_key
        self.base_url = (base_url or (PRO_API if self.api_key else FREE_API)).rstrip("/")
        self.cache_dir = cache_dir or coinpaprika_cache_dir(get_settings())
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.sleep = sleep
        self.requests_made = 0

    @classmethod
    def for_settings(
        cls, settings: Settings, api_key: str | None = None, **options: Any
    ) -> CoinpaprikaClient:
        """A client caching under ``settings``' data dir, with its API key unless ``api_key`` is given."""
        key = settings.coinpaprika_api_key if api_key is None else api_key
        return cls(api_key=key, cache_dir=coinpaprika_cache_dir(settings), **options)

    def coins(self) -> list[dict[str, Any]]:
        """``/coins``: every coin's id (e.g. ``btc-bitcoin``), name, symbol, rank."""
        return self._get("/coins", {})

    def coin_id(self, symbol: str) -> str:
        """The id of the best-ranked active coin with this symbol (``BTC`` -> ``btc-bitcoin``)."""
        matches = [
            c
            for c in self.coins()
            if str(c.get("symbol", "")).upper() == symbol.upper() and c.get("is_active", True)
        ]
        if not matches:
            raise DataError(f"coinpaprika knows no active coin with the symbol {symbol!r}.")
        return min(matches, key=lambda c: c.get("rank") or 10**9)["id"]

    def historical(self, coin_id: str, start: int, end: int, interval: str = "5m") -> pd.DataFrame:
        """``/tickers/{id}/historical`` from ``start`` to ``end`` (Unix seconds) as a frame.

        coinpaprika gives ticks (price, 24-hour volume), not candles: ``close`` is the price
        at each tick and ``volume`` the rolling 24-hour volume in US dollars. Long ranges are
        fetched in pages of at most 5000 ticks.
        """
        if interval not in PAPRIKA_INTERVALS:
            raise DataError(
                f"coinpaprika has no {interval} ticks: choose one of {', '.join(PAPRIKA_INTERVALS)}."
            )
        if end <= start:
            raise DataError("The end of the range must be after its start.")
        step = INTERVALS[interval]
        ticks: list[dict[str, Any]] = []
        page_start = start
        while page_start < end:
            page_end = min(end, page_start + step * (HISTORICAL_LIMIT - 1))
            params = {
                "start": page_start,
                "end": page_end,
                "interval": PAPRIKA_INTERVALS[interval],
                "limit": HISTORICAL_LIMIT,
                "quote": "usd",
            }
            ticks.extend(self._get(f"/tickers/{coin_id}/historical", params))
            page_start = page_end + step
        return _ticks_to_frame(ticks, coin_id)

    def load(
        self, symbols: Iterable[str], start: int, end: int, interval: str = "5m", settled: bool = False
    ) -> dict[str, pd.DataFrame]:
        """Frames per coin symbol, ready for :func:`merge_coins`.

        ``settled`` (a forward test's window): refused until the range's end is ``SETTLE_S`` in
        the past by the wall clock, so that owner and verifiers read the same, final ticks, even
        where a dev chain's clock runs ahead of the world's.
        """
        if settled:
            final_at = int(end) + SETTLE_S
            if wall_clock() < final_at:
                raise DataError(
                    f"coinpaprika's ticks up to {utc_minute(int(end))} are final only from "
                    f"{utc_minute(final_at)} (the world's clock, not the chain's); build the test file "
                    "after that."
                )
        return {s.upper(): self.historical(self.coin_id(s), start, end, interval) for s in symbols}

    # -- transport

    def _cache_path(self, path: str, params: Mapping[str, Any]) -> Path:
        key = json.dumps({"base": self.base_url, "path": path, "params": dict(params)}, sort_keys=True)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        cached = self._cache_path(path, params)
        if cached.exists():
            try:
                return json.loads(cached.read_text())
            except (OSError, ValueError):  # a damaged cache file: fetch again and replace it
                pass
        body = self._fetch(path, params)
        if "end" not in params or int(params["end"]) + SETTLE_S <= wall_clock():
            durable.atomic_write_json(cached, body, indent=None, sort_keys=False)
        return body

    def _fetch(self, path: str, params: Mapping[str, Any]) -> Any:
        import requests  # imported here: only the live-data path needs it

        url = self.base_url + path
        headers = {"Authorization": self.api_key} if self.api_key else {}
        last_problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                self.requests_made += 1
                response = requests.get(url, params=params, headers=headers, timeout=self.timeout_s)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"could not reach {self.base_url} ({type(exc).__name__})"
                continue
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    raise DataError(f"coinpaprika sent something that is not JSON from {path}.") from None
            detail = _error_detail(response)
            if response.status_code == 402:
                raise DataError(
                    f"coinpaprika refused {path}: your plan does not include this data (HTTP 402{detail}). "
                    "The free plan has no 5-minute history; use a paid API key or the bundled dataset."
                )
            if response.status_code in (401, 403):
                raise DataError(
                    f"coinpaprika refused the API key (HTTP {response.status_code}{detail}); check "
                    "COINPAPRIKA_API_KEY."
                )
            if response.status_code == 429:
                last_problem = f"rate limit reached (HTTP 429{detail})"
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit() and attempt < self.retries:
                    self.sleep(min(float(retry_after), 60.0))
                continue
            if response.status_code >= 500:
                last_problem = f"server error (HTTP {response.status_code}{detail})"
                continue
            raise DataError(
                f"coinpaprika rejected the request for {path} (HTTP {response.status_code}{detail})."
            )
        if "429" in last_problem:
            raise DataError(
                f"coinpaprika's {last_problem} after {self.retries + 1} tries: wait a minute and try again, "
                "or use an API key with a larger plan."
            )
        if last_problem.startswith("could not reach"):
            raise DataError(
                f"No network: {last_problem} after {self.retries + 1} tries. Check the internet connection, "
                "or use the bundled dataset, which needs none."
            )
        raise DataError(
            f"coinpaprika failed: {last_problem} after {self.retries + 1} tries; try again later."
        )


def _error_detail(response: Any) -> str:
    try:
        message = response.json().get("error", "")
    except (ValueError, AttributeError):
        message = ""
    return f": {message}" if message else ""


def _ticks_to_frame(ticks: list[dict[str, Any]], coin_id: str) -> pd.DataFrame:
    if not ticks:
        raise DataError(f"coinpaprika returned no ticks for {coin_id} in that range; pick another range.")
    try:
        times = [int(pd.Timestamp(t["timestamp"]).timestamp()) for t in ticks]
        close = [float(t["price"]) for t in ticks]
        volume = [float(t.get("volume_24h") or 0.0) for t in ticks]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"coinpaprika's answer for {coin_id} is not in the expected format ({exc})."
        ) from None
    frame = pd.DataFrame({"time": times, "close": close, "volume": volume}).drop_duplicates("time")
    return _tidy(frame, coin_id)
