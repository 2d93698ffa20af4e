"""Plotly figures the pages share. Pure functions of data frames: easy to test, no Streamlit.

Price lines break where candles are missing (a gap longer than a few candles is drawn as a gap, not
as a straight line across it); curves with a single point still show it (markers, an axis around it);
live curves of several participants share one x axis, each from the start of its own training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from formatting import short_address

SPLIT_COLOURS = {
    "train": "rgba(46, 134, 193, 0.12)",
    "validation": "rgba(243, 156, 18, 0.15)",
    "test": "rgba(192, 57, 43, 0.13)",
}
MAX_POINTS = 1500


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    """At most MAX_POINTS rows: a chart of 100k points is slow to send and no clearer."""
    step = max(1, len(frame) // MAX_POINTS)
    return frame.iloc[::step]


def _times(index: pd.Index) -> pd.DatetimeIndex:
    return pd.to_datetime(index.to_numpy(), unit="s", utc=True)


GAP_STEPS = 3  # a jump of more than this many usual candle steps is a gap in the data


def with_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (indexed by Unix seconds) with an empty row inside each gap, so a line breaks there.

    The usual step is the median time between rows; a jump of more than ``GAP_STEPS`` of them (the
    bundled candles' Aug 7 - Aug 11 hole) gets a row of NaN at its midpoint, which plotly leaves
    undrawn instead of joining the two sides with a straight line.
    """
    if len(frame) < 3:
        return frame
    times = frame.index.to_numpy().astype("int64")
    steps = times[1:] - times[:-1]
    usual = int(pd.Series(steps).median())
    gaps = [int(times[i] + steps[i] // 2) for i in range(len(steps)) if steps[i] > GAP_STEPS * max(usual, 1)]
    if not gaps:
        return frame
    empty = pd.DataFrame(float("nan"), index=pd.Index(gaps, name=frame.index.name), columns=frame.columns)
    return pd.concat([frame, empty]).sort_index()


def _ts(seconds: int) -> pd.Timestamp:
    return pd.to_datetime(seconds, unit="s", utc=True)


def _shade(fig: go.Figure, spans: list[tuple[str, int, int]], **where: Any) -> None:
    for name, start, end in spans:
        fig.add_vrect(
            x0=_ts(start),
            x1=_ts(end),
            line_width=0,
            fillcolor=SPLIT_COLOURS.get(name, "rgba(128,128,128,0.1)"),
            annotation_text=name,
            annotation_position="top left",
            **where,
        )


def normalised_prices(merged: pd.DataFrame, coins: list[str], spans: list[tuple[str, int, int]]) -> go.Figure:
    """Every coin's close divided by its first close, with the split spans shaded (gaps left open)."""
    frame = with_gaps(_thin(merged))
    fig = go.Figure()
    for coin in coins:
        close = frame[f"{coin}_close"]
        first = close.dropna().iloc[0]
        fig.add_trace(
            go.Scatter(x=_times(frame.index), y=close / first, name=coin, mode="lines", connectgaps=False)
        )
    _shade(fig, spans)
    fig.update_layout(
        title="Close price, normalised to the first candle",
        yaxis_title="× first close",
        height=360,
        margin={"t": 50, "b": 30},
        legend={"orientation": "h"},
    )
    return fig


def per_coin_prices(merged: pd.DataFrame, coins: list[str], spans: list[tuple[str, int, int]]) -> go.Figure:
    """One panel per coin in US dollars, split spans shaded in each (gaps left open)."""
    frame = with_gaps(_thin(merged))
    fig = make_subplots(
        rows=len(coins), cols=1, shared_xaxes=True, subplot_titles=coins, vertical_spacing=0.06
    )
    for row, coin in enumerate(coins, start=1):
        fig.add_trace(
            go.Scatter(
                x=_times(frame.index),
                y=frame[f"{coin}_close"],
                name=coin,
                mode="lines",
                showlegend=False,
                connectgaps=False,
            ),
            row=row,
            col=1,
        )
        _shade(fig, spans, row=row, col=1)
    fig.update_layout(
        height=180 * len(coins) + 60, margin={"t": 40, "b": 30}, title="Close price per coin (USD)"
    )
    return fig


def class_balance(balance: pd.DataFrame, target_coin: str) -> go.Figure:
    fig = go.Figure()
    for label, colour in (("down", "#c0392b"), ("up", "#27ae60")):
        fig.add_trace(go.Bar(x=balance["split"], y=balance[label], name=label, marker_color=colour))
    fig.update_layout(
        barmode="group",
        height=300,
        margin={"t": 50, "b": 30},
        title=f"Target balance: does {target_coin} close higher?",
        yaxis_title="rows",
    )
    return fig


def training_curves(curves: dict[str, list[Any]], title: str = "Training curves") -> go.Figure:
    """Loss and accuracy per epoch; ``curves`` maps a metric to its per-epoch values.

    Whole epochs on the x axis, from half an epoch before the first to half after the last, and
    markers on every point: a one-epoch training shows its two dots (train, validation) clearly.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    longest = 1
    for name, values in curves.items():
        if not values:
            continue
        col = 1 if "loss" in name else 2
        epochs = list(range(1, len(values) + 1))
        longest = max(longest, len(values))
        fig.add_trace(
            go.Scatter(x=epochs, y=values, name=name, mode="lines+markers", marker={"size": 9}),
            row=1,
            col=col,
        )
    fig.update_xaxes(title_text="epoch", tickmode="linear", tick0=1, dtick=1, range=[0.5, longest + 0.5])
    fig.update_layout(height=300, margin={"t": 50, "b": 30}, title=title)
    return fig


def live_curves(
    series: Mapping[str, Sequence[Mapping[str, Any]]],
    metrics: Sequence[str] = ("loss",),
    label_of: Any = short_address,
    x_title: str = "epochs done",
    align: bool = False,
    x_max: float | None = None,
) -> go.Figure:
    """Curves as they arrive (points ``{"step": x, "<metric>": y}``), one line per series and metric.

    Markers on every point, so the first point shows as soon as it comes. ``align``: each series
    starts at 0 (an evaluation numbers submission *i*'s steps from *i*), so every participant is on
    the same x range, the share of its own training done; ``x_max`` fixes the axis end (the epochs).
    """
    fig = go.Figure()
    end = x_max or 0.0
    for who, points in series.items():
        frame = pd.DataFrame(list(points))
        if frame.empty or "step" not in frame:
            continue
        x = frame["step"].astype(float)
        if align:
            x = x - float(int(x.min()))
        end = max(end, float(x.max()))
        for metric in metrics:
            if metric not in frame:
                continue
            name = label_of(who) if len(metrics) == 1 else f"{label_of(who)} {metric}"
            fig.add_trace(
                go.Scatter(x=x, y=frame[metric], name=name, mode="lines+markers", marker={"size": 7})
            )
    fig.update_xaxes(title_text=x_title, range=[0, max(end, 1.0) * 1.02])
    fig.update_layout(
        height=260,
        margin={"t": 30, "b": 30},
        yaxis_title=metrics[0] if len(metrics) == 1 else "",
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


SCORED_COLOUR = "#2e86c1"
TIED_COLOUR = "#e67e22"
FAILED_COLOUR = "#c0392b"
BAR_COLOUR = "#c0392b"
BASELINE_COLOURS = ("#7f8c8d", "#8e44ad", "#16a085", "#d35400", "#2c3e50")


def _percent(ppm: Any) -> float | None:
    return None if ppm is None else float(ppm) / 10_000


def _reference_line(
    fig: go.Figure, y: float, width: int, name: str, colour: str, dash: str, at_right: bool = True
) -> None:
    """A horizontal line across every submission, labelled at one end and in the legend."""
    fig.add_trace(
        go.Scatter(
            x=[-0.5, width - 0.5],
            y=[y, y],
            mode="lines+text",
            text=["", name] if at_right else [name, ""],
            textposition="top left" if at_right else "top right",
            textfont={"color": colour},
            line={"color": colour, "dash": dash, "width": 1.5},
            name=f"{name} {y:.2f} %",
            hovertemplate=f"{name}: {y:.2f} %<extra></extra>",
        )
    )


def leaderboard(
    rows: Sequence[Mapping[str, Any]],
    min_accuracy_ppm: int | None = None,
    baselines: Sequence[Mapping[str, Any]] = (),
    title: str = "Test accuracy with 95 % intervals",
) -> go.Figure:
    """Each submission's test accuracy with its 95 % interval, against the baselines and the bar.

    ``rows`` are ``actions.evaluation.leaderboard_from_report`` rows in the order to draw (the
    leaderboard table's: ``ui.leaderboard.ranked``; ``label``, if there, names the x tick; ``winner``
    puts a winner mark above its point; ``you`` draws its tick in bold), ``baselines`` are
    ``actions.evaluation.baselines_from_report`` rows. Scored
    submissions tied with the leader (a paired test: the difference is within noise) get their
    own colour and legend entry; failed ones sit at 0, the score the protocol posts for them.
    Rows without an interval (an older report, or scores read from the chain) are drawn as
    points without error bars; no baselines, no baseline lines.
    """
    rows = list(rows)
    ticks = [str(r.get("label") or short_address(str(r["participant"]))) for r in rows]
    fig = go.Figure()
    groups = (
        (
            "tied with the leader",
            TIED_COLOUR,
            "diamond",
            lambda r: r["status"] == "scored" and bool(r.get("tied_with_leader")),
        ),
        (
            "scored",
            SCORED_COLOUR,
            "circle",
            lambda r: r["status"] == "scored" and not r.get("tied_with_leader"),
        ),
    )
    for name, colour, symbol, member in groups:
        picked = [(i, r) for i, r in enumerate(rows) if member(r)]
        if not picked:
            continue
        scores = [_percent(r["score_ppm"]) or 0.0 for _, r in picked]
        lows = [_percent(r.get("ci_low_ppm")) for _, r in picked]
        highs = [_percent(r.get("ci_high_ppm")) for _, r in picked]
        has_interval = [lo is not None and hi is not None for lo, hi in zip(lows, highs, strict=True)]
        error_y = None
        if any(has_interval):
            error_y = {
                "type": "data",
                "symmetric": False,
                "array": [
                    hi - s if ok else 0.0 for s, hi, ok in zip(scores, highs, has_interval, strict=True)
                ],
                "arrayminus": [
                    s - lo if ok else 0.0 for s, lo, ok in zip(scores, lows, has_interval, strict=True)
                ],
                "color": colour,
                "thickness": 1.5,
                "width": 6,
            }
        hover = [
            f"{ticks[i]}: {s:.2f} %" + (f" (95 % interval {lo:.2f} to {hi:.2f} %)" if ok else "")
            for (i, _), s, lo, hi, ok in zip(picked, scores, lows, highs, has_interval, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=[i for i, _ in picked],
                y=scores,
                mode="markers",
                name=name,
                marker={"color": colour, "symbol": symbol, "size": 10},
                error_y=error_y,
                hovertext=hover,
                hoverinfo="text",
            )
        )
    failed = [(i, r) for i, r in enumerate(rows) if r["status"] != "scored"]
    if failed:
        fig.add_trace(
            go.Scatter(
                x=[i for i, _ in failed],
                y=[0.0] * len(failed),
                mode="markers",
                name="failed (scored 0)",
                marker={"color": FAILED_COLOUR, "symbol": "x", "size": 10},
                hovertext=[f"{ticks[i]}: failed, scored 0: {r.get('error') or ''}" for i, r in failed],
                hoverinfo="text",
            )
        )
    for i, r in enumerate(rows):
        if r.get("winner"):
            fig.add_annotation(
                x=i, y=_percent(r["score_ppm"]) or 0.0, text="★ winner", showarrow=True, ay=-34, arrowhead=0
            )
    width = max(1, len(rows))
    lines = [
        (score, str(b.get("label") or b["name"]), BASELINE_COLOURS[n % len(BASELINE_COLOURS)], "dot")
        for n, b in enumerate(baselines)
        if (score := _percent(b.get("score_ppm"))) is not None
    ]
    if min_accuracy_ppm is not None:
        lines.append((_percent(min_accuracy_ppm), "bar (minimum accuracy)", BAR_COLOUR, "dash"))
    # labels at alternate ends, by height, so lines close together do not print over each other
    heights = sorted(range(len(lines)), key=lambda i: lines[i][0])
    for i, (y, name, colour, dash) in enumerate(lines):
        _reference_line(fig, y, width, name, colour, dash, at_right=heights.index(i) % 2 == 0)
    shown_ticks = [f"<b>{t}</b>" if r.get("you") else t for t, r in zip(ticks, rows, strict=True)]
    fig.update_xaxes(
        tickmode="array", tickvals=list(range(len(rows))), ticktext=shown_ticks, range=[-0.6, width - 0.4]
    )
    fig.update_layout(
        height=380,
        margin={"t": 40, "b": 30},
        yaxis_title="test accuracy (%)",
        title=title,
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def timeline(windows: list[tuple[str, int, int]], now: int) -> go.Figure:
    """The bounty's windows as bars on a time axis, with a "now" marker (chain time)."""
    fig = go.Figure()
    colours = ["#2e86c1", "#f39c12", "#8e44ad", "#27ae60"]
    for i, (name, start, end) in enumerate(windows):
        fig.add_trace(
            go.Bar(
                y=[name],
                x=[(end - start) * 1000],
                base=[pd.to_datetime(start, unit="s", utc=True)],
                orientation="h",
                marker_color=colours[i % len(colours)],
                name=name,
                showlegend=False,
            )
        )
    fig.add_vline(x=pd.to_datetime(now, unit="s", utc=True), line_color="#c0392b", line_width=2)
    fig.add_annotation(
        x=pd.to_datetime(now, unit="s", utc=True),
        y=1,
        yref="paper",
        text="now",
        showarrow=False,
        font={"color": "#c0392b"},
        yanchor="bottom",
    )
    fig.update_layout(
        height=220,
        margin={"t": 30, "b": 30},
        xaxis={"type": "date"},
        yaxis={"autorange": "reversed"},
        title="Windows (chain time, UTC)",
    )
    return fig
