"""Plotly figures the pages share. Pure functions of data frames: easy to test, no Streamlit."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
    """Every coin's close divided by its first close, with the split spans shaded."""
    frame = _thin(merged)
    fig = go.Figure()
    for coin in coins:
        close = frame[f"{coin}_close"]
        fig.add_trace(go.Scatter(x=_times(frame.index), y=close / close.iloc[0], name=coin, mode="lines"))
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
    """One panel per coin in US dollars, split spans shaded in each."""
    frame = _thin(merged)
    fig = make_subplots(
        rows=len(coins), cols=1, shared_xaxes=True, subplot_titles=coins, vertical_spacing=0.06
    )
    for row, coin in enumerate(coins, start=1):
        fig.add_trace(
            go.Scatter(
                x=_times(frame.index), y=frame[f"{coin}_close"], name=coin, mode="lines", showlegend=False
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
    """Loss and accuracy per epoch; ``curves`` maps a metric to its per-epoch values."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for name, values in curves.items():
        if not values:
            continue
        col = 1 if "loss" in name else 2
        epochs = list(range(1, len(values) + 1))
        fig.add_trace(go.Scatter(x=epochs, y=values, name=name, mode="lines+markers"), row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(height=300, margin={"t": 50, "b": 30}, title=title)
    return fig


def leaderboard(rows: pd.DataFrame, min_accuracy: float) -> go.Figure:
    """Test accuracy per participant, with the bar the winner must reach."""
    fig = go.Figure(go.Bar(x=rows["participant"], y=rows["accuracy %"], marker_color="#2e86c1"))
    fig.add_hline(
        y=min_accuracy,
        line_dash="dash",
        line_color="#c0392b",
        annotation_text=f"minimum {min_accuracy:.2f} %",
    )
    fig.update_layout(
        height=320, margin={"t": 40, "b": 30}, yaxis_title="test accuracy (%)", title="Leaderboard"
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
