"""Price data: the bundled candles, the coinpaprika API and a user's own CSV.

Every source ends as the same shape, one ``pandas.DataFrame`` per coin indexed by ``time``
(Unix seconds, sorted, unique) with at least the columns ``close`` and ``volume``. Missing
minutes stay missing: nothing here fills a gap with an invented price. ``merge_coins`` then
keeps the times every coin has, so a later step sees a gap as a jump in ``time``.
"""

from __future__ import annotations

import csv
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


def parse_upload(
    data: bytes | str, coin: str | None = None, min_rows: int = MIN_UPLOAD_ROWS
) -> dict[str, pd.DataFrame]:
    """Frames per coin from an uploaded CSV, or a ``DataError`` naming the row and column.

    Accepted layouts (a header row is required, except for the bundled six-column format):
    - ``time,close,volume[,open,high,low]``: one coin, named by ``coin`` (e.g. the file name);
    - ``time,BTC_close,BTC_volume,ETH_close,ETH_volume,...``: several coins side by side;
    - no header, six columns ``time,low,high,open,close,volume`` like the bundled files.
    ``time`` is Unix seconds (milliseconds are recognised) or an ISO-8601 date-time. Rows may
    come in any order; a time that appears twice is an error.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise DataError("The file is empty: upload a CSV with a header row time,close,volume.")
    header = [cell.strip() for cell in rows[0]]
    if _looks_numeric(header) and len(header) == len(BUNDLED_COLUMNS):
        header, body, first_line = list(BUNDLED_COLUMNS), rows, 1
    else:
        body, first_line = rows[1:], 2
    columns = _coin_columns(header, coin)
    if len(body) < min_rows:
        raise DataError(f"The file has {len(body)} data rows; at least {min_rows} are needed to train on.")
    index = {name.lower(): i for i, name in enumerate(header)}
    times = [_parse_time(row, index["time"], first_line + n) for n, row in enumerate(body)]
    frames: dict[str, pd.DataFrame] = {}
    for name, (close_col, volume_col) in columns.items():
        close = [
            _parse_number(row, index[close_col.lower()], close_col, first_line + n, positive=True)
            for n, row in enumerate(body)
        ]
        volume = [
            _parse_number(row, index[volume_col.lower()], volume_col, first_line + n, positive=False)
            for n, row in enumerate(body)
        ]
        frame = pd.DataFrame({"time": np.asarray(times, dtype=np.int64), "close": close, "volume": volume})
        frames[name] = frame
    _check_duplicates(times, first_line)
    return {name: _tidy(frame, name) for name, frame in frames.items()}


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


def _cell(row: list[str], col: int, name: str, line: int) -> str:
    if col >= len(row) or not row[col].strip():
        raise DataError(f"Row {line}, column {name}: the value is missing.")
    return row[col].strip()


def _parse_time(row: list[str], col: int, line: int) -> int:
    cell = _cell(row, col, "time", line)
    try:
        value = float(cell)
    except ValueError:
        try:
            stamp = pd.Timestamp(cell)
        except (ValueError, TypeError):
            raise DataError(
                f"Row {line}, column time: {cell!r} is neither Unix seconds nor an ISO-8601 date-time."
            ) from None
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return int(stamp.timestamp())
    if not np.isfinite(value):
        raise DataError(f"Row {line}, column time: {cell!r} is not a valid time.")
    return int(value // 1000) if value > 1e11 else int(value)


def _parse_number(row: list[str], col: int, name: str, line: int, positive: bool) -> float:
    cell = _cell(row, col, name, line)
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


def _check_duplicates(times: list[int], first_line: int) -> None:
    seen: dict[int, int] = {}
    for n, t in enumerate(times):
        line = first_line + n
        if t in seen:
            raise DataError(
                f"Row {line}, column time: time {t} ({utc_minute(t)}) already appeared at row {seen[t]}; "
                "keep one row per time."
            )
        seen[t] = line


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
            return json.loads(cached.read_text())
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
