"""ui.charts: gaps stay gaps, one-epoch curves are visible, live curves share one x range (issue 12)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ui import charts


def _candles() -> pd.DataFrame:
    """15-minute closes with a four-day hole, as the bundled data has from Aug 7 to Aug 11."""
    before = list(range(1_533_600_000, 1_533_600_000 + 20 * 900, 900))
    after = list(range(before[-1] + 4 * 86400, before[-1] + 4 * 86400 + 20 * 900, 900))
    times = before + after
    return pd.DataFrame({"BTC_close": [7000.0 + i for i in range(len(times))]}, index=pd.Index(times))


def test_the_price_line_breaks_at_a_gap_instead_of_crossing_it() -> None:
    merged = _candles()
    for figure in (
        charts.normalised_prices(merged, ["BTC"], []),
        charts.per_coin_prices(merged, ["BTC"], []),
    ):
        trace = figure.data[0]
        assert trace.connectgaps is False
        ys = list(trace.y)
        assert len(ys) == len(merged) + 1 and sum(math.isnan(y) for y in ys) == 1
        gap_at = next(i for i, y in enumerate(ys) if math.isnan(y))
        assert gap_at == 20  # between the last candle before the hole and the first after it


def test_regular_candles_get_no_gap() -> None:
    merged = _candles().iloc[:20]
    assert len(charts.with_gaps(merged)) == 20


def test_a_one_epoch_curve_is_drawn_with_markers_on_an_axis_around_it() -> None:
    figure = charts.training_curves({"loss": [0.69], "val_loss": [0.70], "accuracy": [0.5]})
    assert all("markers" in trace.mode for trace in figure.data)
    assert tuple(figure.layout.xaxis.range) == (0.5, 1.5) and figure.layout.xaxis.dtick == 1


def test_live_curves_show_the_first_point_and_put_every_participant_on_one_x_range() -> None:
    first = charts.live_curves({"trial": [{"step": 1.0, "loss": 0.7}]}, ("loss",), lambda _: "trial", x_max=1)
    assert len(first.data) == 1 and "markers" in first.data[0].mode and list(first.data[0].y) == [0.7]
    # an evaluation numbers submission i's steps i..i+1: aligned, both run 0..1
    series = {
        "0xaaa": [{"step": 0.1, "loss": 0.7}, {"step": 0.9, "loss": 0.6}],
        "0xbbb": [{"step": 1.2, "loss": 0.8}, {"step": 1.8, "loss": 0.5}],
    }
    figure = charts.live_curves(series, ("loss",), str.upper, align=True, x_max=1.0)
    assert [list(t.x) for t in figure.data] == [pytest.approx([0.1, 0.9]), pytest.approx([0.2, 0.8])]
    assert [t.name for t in figure.data] == ["0XAAA", "0XBBB"]
    assert figure.layout.xaxis.range[0] == 0 and figure.layout.xaxis.range[1] < 1.1
