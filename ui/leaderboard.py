"""The leaderboard Evaluate and Explorer share, read like a competition's.

One ranking (``actions.views.rank_leaderboard``: the contract's winner rule) orders the table's
rows and the chart's points alike, so rank 1 in the table is the first point of the chart on both
pages. Each row names the participant by its wallet label, gives the score with its 95 % interval
(when the report has one), marks the winner (rank 1, scored, at or above the bar) and flags the
viewer's own row (the wallet's account, ``st.session_state["account"]``): "(you)" after its label,
highlighted in the table and bold on the chart. The baselines are reference lines on the chart
(``ui.charts.leaderboard``) and a table of their own. The entries come from an evaluation report
(:func:`report_entries`) or, where no report can be read, from the scores posted on chain
(:func:`chain_entries`, without intervals).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from actions.evaluation import baselines_from_report, leaderboard_from_report
from actions.views import rank_leaderboard
from formatting import short_address
from ui import charts

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

    from chain.client import Submission
    from ml.runner import EvaluationReport

HOW_TO_READ = (
    "Each point is a submission's mean test accuracy over every seed × era cell; its bar is the "
    "95 % interval: 95 % of the time the true accuracy lies in this range. Submissions whose "
    "difference from the leader is within noise (a paired test on the same test sequences) are "
    "marked **tied with leader** (orange diamonds). Dotted lines are the baselines scored on the "
    "same test data, the dashed red line is the bar the winner must reach. A failed training is "
    "scored 0, with its reason. Equal scores rank by first commit, as the contract decides the winner."
)
WINNER = "★ winner"  # a star every font has (an emoji shows as a box where none is installed)
YOU_COLOUR = "background-color: rgba(46, 134, 193, 0.18)"
TABLE_COLUMNS = {
    "rank": st.column_config.NumberColumn("rank", width="small", pinned=True),
    "participant": st.column_config.TextColumn("participant", width="medium", pinned=True),
    "accuracy %": st.column_config.NumberColumn("accuracy %", format="%.4f", width="small"),
    "95 % interval": st.column_config.TextColumn("95 % interval", width="medium"),
    "winner": st.column_config.TextColumn("winner", width="small"),
    "± SE (points)": st.column_config.NumberColumn(format="%.2f"),
    "AUC": st.column_config.NumberColumn(format="%.3f"),
    "log loss": st.column_config.NumberColumn(format="%.3f"),
    "posted %": st.column_config.NumberColumn(format="%.4f", help="The score on chain"),
    "address": st.column_config.TextColumn("address", width="large"),
}


def _pct(ppm: Any) -> float | None:
    """Parts per million as a percent (exact to the ppm: four decimals)."""
    return None if ppm is None else int(ppm) / 10_000


def _interval(low: Any, high: Any) -> str:
    return "" if low is None or high is None else f"{int(low) / 10_000:.2f} – {int(high) / 10_000:.2f} %"


def report_entries(report: EvaluationReport) -> list[dict[str, Any]]:
    """The report's submissions as leaderboard entries (score, interval, tie, AUC, error)."""
    return [dict(r) for r in leaderboard_from_report(report)]


def chain_entries(scored: Sequence[Submission]) -> list[dict[str, Any]]:
    """The scores posted on chain as leaderboard entries: no interval, no tie, no AUC."""
    return [
        {"participant": s.participant, "status": "scored", "score_ppm": s.accuracy_ppm or 0, "error": ""}
        for s in scored
    ]


def ranked(
    entries: Sequence[Mapping[str, Any]],
    min_accuracy_ppm: int,
    label_of: Callable[[str], str] = short_address,
    commit_order: Mapping[str, int] | None = None,
    viewer: str | None = None,
) -> list[dict[str, Any]]:
    """``entries`` in the one leaderboard order with rank, winner, you, and the label the chart shows."""
    rows = rank_leaderboard(entries, min_accuracy_ppm, commit_order, viewer)
    for row in rows:
        row["label"] = label_of(str(row["participant"])) + (" (you)" if row["you"] else "")
    return rows


def table_rows(
    rows: Sequence[Mapping[str, Any]], min_accuracy_ppm: int, posted: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """The table, rank and score first: ``rows`` from :func:`ranked`, in their order.

    ``posted`` (address -> ppm on chain) adds the posted score beside the report's.
    """
    posted_lower = {a.lower(): v for a, v in (posted or {}).items()}
    table = []
    for r in rows:
        scored = r["status"] == "scored"
        score = int(r.get("score_ppm") or 0) if scored else 0  # a failed training is scored 0
        row = {
            "rank": r["rank"],
            "participant": r["label"],
            "accuracy %": _pct(score),
            "95 % interval": _interval(r.get("ci_low_ppm"), r.get("ci_high_ppm")) if scored else "",
            "winner": WINNER if r["winner"] else "",
            "± SE (points)": _pct(r.get("stderr_ppm")) if scored else None,
        }
        if posted is not None:
            row["posted %"] = _pct(posted_lower.get(str(r["participant"]).lower()))
        row |= {
            "tied with leader": bool(scored and r.get("tied_with_leader")),
            "meets bar": bool(scored and score >= min_accuracy_ppm),
            "status": r["status"],
            "AUC": r.get("auc") if scored else None,
            "log loss": r.get("log_loss") if scored else None,
            "error": r.get("error") or "",
            "you": bool(r["you"]),
            "address": r["participant"],
        }
        table.append(row)
    return table


def baseline_rows(baselines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "baseline": b["label"],
            "accuracy %": _pct(b["score_ppm"]),
            "± SE (points)": _pct(b.get("stderr_ppm")),
            "95 % interval": _interval(b.get("ci_low_ppm"), b.get("ci_high_ppm")),
        }
        for b in baselines
    ]


def _highlighted(frame: pd.DataFrame) -> pd.DataFrame | Styler:
    """The viewer's own row in the table's highlight colour (the frame itself when it has none)."""
    if frame.empty or not frame["you"].any():
        return frame
    return frame.style.apply(lambda row: [YOU_COLOUR if row["you"] else ""] * len(row), axis=1)


def show(
    entries: Sequence[Mapping[str, Any]],
    min_accuracy_ppm: int,
    key: str,
    *,
    baselines: Sequence[Mapping[str, Any]] = (),
    posted: Mapping[str, int] | None = None,
    commit_order: Mapping[str, int] | None = None,
    label_of: Callable[[str], str] = short_address,
) -> list[dict[str, Any]]:
    """Chart and table in the one order, then the baselines table; returns the ranked rows.

    Widget keys: ``<key>_chart``, ``<key>_leaderboard`` (table), ``<key>_baselines``.
    """
    rows = ranked(entries, min_accuracy_ppm, label_of, commit_order, st.session_state.get("account"))
    if rows:
        st.plotly_chart(charts.leaderboard(rows, min_accuracy_ppm, baselines), key=f"{key}_chart")
    st.dataframe(
        _highlighted(pd.DataFrame(table_rows(rows, min_accuracy_ppm, posted))),
        hide_index=True,
        key=f"{key}_leaderboard",
        column_config=TABLE_COLUMNS,
    )
    if baselines:
        st.markdown("**Baselines** on the same test data")
        st.dataframe(
            pd.DataFrame(baseline_rows(baselines)),
            hide_index=True,
            key=f"{key}_baselines",
            column_config={
                "accuracy %": st.column_config.NumberColumn(format="%.4f"),
                "± SE (points)": st.column_config.NumberColumn(format="%.2f"),
            },
        )
    return rows


def _seeds_caption(report: EvaluationReport) -> str:
    protocol, eras, seeds = report.protocol, report.eras, report.seeds
    parts = []
    if protocol.get("seeds") and protocol.get("eras"):
        parts.append(f"Scored over {protocol['seeds']} seed(s) × {protocol['eras']} era(s)")
    if eras:
        parts.append(f"{sum(int(e.get('test_sequences', 0)) for e in eras):,} test sequences in all")
    if seeds.get("block_number") is not None:
        block_hash = short_address(str(seeds.get("block_hash", "")))
        parts.append(f"training seeds from block #{seeds['block_number']} ({block_hash})")
    return "; ".join(parts) + "." if parts else ""


def show_report(
    report: EvaluationReport,
    min_accuracy_ppm: int,
    key: str,
    *,
    posted: Mapping[str, int] | None = None,
    commit_order: Mapping[str, int] | None = None,
    label_of: Callable[[str], str] = short_address,
) -> None:
    """A report's leaderboard (:func:`show`), how to read it, what an older report lacks, its seeds."""
    baselines = baselines_from_report(report)
    entries = report_entries(report)
    show(
        entries,
        min_accuracy_ppm,
        key,
        baselines=baselines,
        posted=posted,
        commit_order=commit_order,
        label_of=label_of,
    )
    st.caption(HOW_TO_READ)
    has_intervals = any(r["stderr_ppm"] is not None for r in entries if r["status"] == "scored")
    lacks = (("no error bars", not has_intervals), ("no baselines", not baselines))
    missing = [text for text, lacking in lacks if lacking]
    if missing:
        st.caption(
            f"This report has {' and '.join(missing)} (an older report format): the scores are "
            "shown as they are, without them."
        )
    seeds = _seeds_caption(report)
    if seeds:
        st.caption(seeds)
