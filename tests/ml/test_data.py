"""Loading, resampling and merging candles; parsing a user's CSV."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from ml import data
from ml.data import DataError


def _frame(times, closes, volumes=None):
    volumes = volumes if volumes is not None else [1.0] * len(times)
    return pd.DataFrame({"close": closes, "volume": volumes}, index=pd.Index(times, name="time"))


def test_bundled_data_is_sorted_complete_and_has_its_known_gaps():
    frames = data.load_bundled()
    assert {c: len(f) for c, f in frames.items()} == {
        "BTC": 97724,
        "LTC": 101883,
        "ETH": 102831,
        "BCH": 92225,
    }
    for frame in frames.values():
        times = frame.index.to_numpy()
        assert (np.diff(times) > 0).all()  # LTC/ETH/BCH are stored out of order
    # BTC lacks 6,386 minutes in 28 gaps (README of the source data)
    assert data.count_gaps(frames["BTC"].index.to_numpy(), 60) == 28


def test_bundled_loader_returns_copies_and_rejects_unknown_coins():
    first = data.load_bundled(["BTC"])["BTC"]
    first.loc[first.index[0], "close"] = -1.0
    assert data.load_bundled(["BTC"])["BTC"]["close"].iloc[0] > 0
    with pytest.raises(DataError, match="DOGE"):
        data.load_bundled(["DOGE"])


def test_resample_never_invents_a_price_across_a_gap():
    # minutes 0..4 then nothing until minute 15
    frame = _frame([0, 60, 120, 180, 240, 900, 960], [1, 2, 3, 4, 5, 9, 10], [1, 1, 1, 1, 1, 2, 3])
    out = data.resample(frame, "5m")
    assert list(out.index) == [0, 900]  # the empty 5..10 and 10..15 buckets stay absent
    assert list(out["close"]) == [5, 10]  # the last close inside each bucket
    assert list(out["volume"]) == [5, 5]
    with pytest.raises(DataError, match="interval"):
        data.resample(frame, "2m")


def test_merge_keeps_only_times_every_coin_has():
    a = _frame([0, 60, 120, 180], [1, 2, 3, 4])
    b = _frame([60, 120, 240], [5, 6, 7])  # starts later, ends later, misses 180
    merged = data.merge_coins({"A": a, "B": b})
    assert list(merged.index) == [60, 120]
    assert list(merged.columns) == ["A_close", "A_volume", "B_close", "B_volume"]
    with pytest.raises(DataError, match="no time in common"):
        data.merge_coins({"A": _frame([0], [1]), "B": _frame([60], [1])})


def test_bundled_merge_at_five_minutes_keeps_the_common_range():
    frames = data.load_bundled()
    merged = data.merge_coins({c: data.resample(f, "5m") for c, f in frames.items()})
    assert merged.index[0] >= max(f.index[0] for f in frames.values()) // 300 * 300
    assert merged.index[-1] <= min(f.index[-1] for f in frames.values())
    assert not merged.isna().any().any()


def _csv(rows, header="time,close,volume"):
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def test_upload_one_coin_file_is_sorted_and_named():
    rows = [f"{1_600_000_000 + 60 * i},{100 + i},{1 + i}" for i in range(5)]
    frames = data.parse_upload(_csv(rows[::-1]), coin="eth", min_rows=5)
    assert list(frames) == ["ETH"]
    assert list(frames["ETH"]["close"]) == [100, 101, 102, 103, 104]


def test_upload_several_coins_and_iso_times_and_bundled_layout():
    rows = [f"2020-01-01T00:0{i}:00Z,{1 + i},{2},{3 + i},{4}" for i in range(5)]
    frames = data.parse_upload(_csv(rows, "time,BTC_close,BTC_volume,ETH_close,ETH_volume"), min_rows=5)
    assert sorted(frames) == ["BTC", "ETH"]
    assert frames["BTC"].index[0] == 1577836800
    bundled = [f"{1528968660 + 60 * i},1,2,1.5,1.7,{i + 1}" for i in range(5)]
    frames = data.parse_upload("\n".join(bundled), coin="LTC", min_rows=5)
    assert list(frames["LTC"]["close"]) == [1.7] * 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (_csv(["1,2,3"] * 3, "when,close,volume"), "No 'time' column"),
        (_csv(["1,2"] * 3, "time,close"), "No 'volume' column"),
        (_csv(["1,2,3"] * 3, "time,price,amount"), "Unrecognised columns"),
        (_csv([f"{60 * i},1,1" for i in range(3)]), "3 data rows; at least 5"),
        (
            _csv(["60,1,1", "120,abc,1", "180,1,1", "240,1,1", "300,1,1"]),
            r"Row 3, column close: 'abc' is not a number",
        ),
        (
            _csv(["60,1,1", "120,1,1", "180,1,", "240,1,1", "300,1,1"]),
            r"Row 4, column volume: the value is missing",
        ),
        (
            _csv(["60,1,1", "120,0,1", "180,1,1", "240,1,1", "300,1,1"]),
            r"Row 3, column close: a price must be above 0",
        ),
        (
            _csv(["60,1,1", "120,1,-1", "180,1,1", "240,1,1", "300,1,1"]),
            r"Row 3, column volume: volume cannot be negative",
        ),
        (_csv(["60,1,1", "yesterday,1,1", "180,1,1", "240,1,1", "300,1,1"]), r"Row 3, column time"),
        (
            _csv(["300,1,1", "60,1,1", "180,1,1", "60,2,2", "240,1,1"]),
            r"Row 5, column time: time 60 .* already appeared at row 3",
        ),
    ],
)
def test_upload_errors_name_the_row_and_column(content, message):
    with pytest.raises(DataError, match=message):
        data.parse_upload(content, coin="BTC", min_rows=5)


def test_binary_garbage_is_not_a_csv_of_candles_in_words():
    garbage = bytes(random.Random(7).randrange(256) for _ in range(4000))
    with pytest.raises(DataError, match="not a CSV of candles") as info:
        data.parse_upload(garbage, coin="BTC", min_rows=5)
    message = str(info.value)
    assert "time,close,volume" in message and "export the prices as CSV" in message
    assert "new-line character" not in message


def test_a_time_outside_1970_to_2100_names_the_row_and_the_allowed_range():
    rows = [f"{1_600_000_000 + 60 * i},1,1" for i in range(5)]
    rows[2] = "1000000000000000,1,1"  # milliseconds of the year 33658
    with pytest.raises(DataError, match=r"^Row 4, column time: '1000000000000000' is the year 33658") as info:
        data.parse_upload(_csv(rows), coin="BTC", min_rows=5)
    assert "from 1970-01-01 00:00 UTC up to 2100-01-01 00:00 UTC" in str(info.value)
    rows[2] = "-60,1,1"
    with pytest.raises(DataError, match=r"^Row 4, column time: '-60' is the year 1969"):
        data.parse_upload(_csv(rows), coin="BTC", min_rows=5)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    assert data.MAX_UPLOAD_BYTES == data.MAX_UPLOAD_MB * 1024 * 1024
    content = _csv([f"{1_600_000_000 + 60 * i},1,1" for i in range(40_000)])
    with pytest.raises(DataError, match=r"^The file is 0\.6 MB; price CSVs are limited to 0\.5 MB\. Upload"):
        data.parse_upload(content, coin="BTC", max_bytes=2**19)
    assert len(data.parse_upload(content, coin="BTC", max_bytes=len(content))["BTC"]) == 40_000


def test_the_reader_streams_chunks_of_only_the_needed_columns_into_compact_numbers(monkeypatch):
    monkeypatch.setattr(data, "CHUNK_ROWS", 7)  # many chunks, so row numbers cross chunk edges
    rows = [f"{1_600_000_000 + 60 * i},{100 + i},{i},ignored text {i}" for i in range(30)]
    rows.insert(10, "")  # a blank row is skipped and not counted
    content = _csv(rows, "time,close,volume,note")
    frame = data.parse_upload(content, coin="BTC", min_rows=5)["BTC"]
    assert list(frame.columns) == ["close", "volume"] and len(frame) == 30
    assert frame.index.dtype == np.int64 and (frame.dtypes == np.float64).all()
    assert list(frame["close"].iloc[[0, 29]]) == [100, 129]
    bad = content.replace(b"\n1600001500,125,", b"\n1600001500,x,")  # data row 26: file row 27
    with pytest.raises(DataError, match=r"^Row 27, column close: 'x' is not a number"):
        data.parse_upload(bad, coin="BTC", min_rows=5)
    repeated = content.replace(b"\n1600001500,", b"\n1600000060,")
    with pytest.raises(DataError, match=r"^Row 27, column time: time 1600000060 .* appeared at row 3"):
        data.parse_upload(repeated, coin="BTC", min_rows=5)
    shuffled = _csv(rows[::-1], "time,close,volume,note")
    assert data.parse_upload(shuffled, coin="BTC", min_rows=5)["BTC"].equals(frame)


def test_coinpaprika_client_for_settings_caches_in_that_data_dir(tmp_path):
    from settings import Settings

    keyed = Settings(data_dir=tmp_path / "one", coinpaprika_api_key="k1")
    client = data.CoinpaprikaClient.for_settings(keyed)
    assert client.cache_dir == tmp_path / "one" / "cache" / "coinpaprika" and client.cache_dir.is_dir()
    assert client.api_key == "k1" and client.base_url == data.PRO_API
    other = data.CoinpaprikaClient.for_settings(Settings(data_dir=tmp_path / "two"), api_key="", retries=0)
    assert other.cache_dir == tmp_path / "two" / "cache" / "coinpaprika"
    assert (other.api_key, other.base_url, other.retries) == ("", data.FREE_API, 0)
