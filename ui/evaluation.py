"""What the Evaluate and Explorer pages show of an evaluation: its progress table and its leaderboard.

The row builders are plain functions over an ``ml.runner.EvaluationReport`` (tested without
Streamlit); :func:`show_leaderboard` draws the chart (``ui.charts.leaderboard``), the table,
the baselines and the caption that explains how to read the intervals; :func:`curves_picker`
plots one submission's training curves from the report. A report of an older
format (no intervals, no baselines) is shown with what it has, and says what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from actions.evaluation import baselines_from_report, leaderboard_from_report
from actions.jobs import DONE, JobView
from formatting import short_address
from ui import charts
from ui.common import backend

if TYPE_CHECKING:
    from ml.runner import EvaluationReport

HOW_TO_READ = (
    "Each point is a submission's mean test accuracy over every seed × era cell; its bar is the "
    "95 % interval: 95 % of the time the true accuracy lies in this range. Submissions whose "
    "difference from the leader is within noise (a paired test on the same test sequences) are "
    "marked **tied with leader** (orange diamonds). Dotted lines are the baselines scored on the "
    "same test data, the dashed red line is the bar the winner must reach. A failed training is "
    "scored 0, with its reason."
)
FINISHED = ("scored", "failed")


def _pct(ppm: Any) -> float | None:
    """Parts per million as a percent (exact to the ppm: four decimals)."""
    return None if ppm is None else int(ppm) / 10_000


def _interval(low: Any, high: Any) -> str:
    return "" if low is None or high is None else f"{int(low) / 10_000:.2f} – {int(high) / 10_000:.2f} %"


def _cells_total(rows: Sequence[Mapping[str, Any]], result: EvaluationReport | None) -> int | None:
    """How many cells each submission trains: from a progress row ("3/9"), else the report."""
    for row in rows:
        cells = str(row.get("cells") or "")
        if "/" in cells:
            return int(cells.split("/")[1])
    if result is not None:
        protocol = result.protocol
        if protocol.get("seeds") and protocol.get("eras"):
            return int(protocol["seeds"]) * int(protocol["eras"])
    return None


def progress_rows(
    rows: Sequence[Mapping[str, Any]],
    label_of: Callable[[str], str] = short_address,
    result: EvaluationReport | None = None,
) -> list[dict[str, Any]]:
    """The evaluation job's per-submission rows for the progress table, with a cells counter.

    A running submission's row says "3/9" (cells done of seeds × eras); a finished one, whose
    last row may no longer carry the counter, shows every cell done (or what its report
    holds); a queued one 0 of the total once the total is known.
    """
    total = _cells_total(rows, result)
    by_participant = {r.participant: r for r in result.submissions} if result is not None else {}
    shown = []
    for row in rows:
        cells = str(row.get("cells") or "")
        state = row.get("state", "")
        if not cells and total is not None:
            if state == "scored":
                cells = f"{total}/{total}"
            elif state == "queued":
                cells = f"0/{total}"
            elif state == "failed":
                known = by_participant.get(row["participant"])
                done = len(known.cells) if known is not None else 0
                cells = f"{done}/{total}"
        shown.append(
            {
                "participant": label_of(row["participant"]),
                "state": state,
                "cells": cells,
                "epoch": row.get("epoch", ""),
                "fraction": row.get("fraction", 0.0),
                "error": row.get("error", ""),
            }
        )
    return shown


def leaderboard_rows(
    report: EvaluationReport,
    min_accuracy_ppm: int,
    label_of: Callable[[str], str] = short_address,
    posted: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The leaderboard table: score ± standard error, interval, AUC, tie with the leader, errors.

    ``posted`` (address -> ppm on chain) adds the posted score beside the report's.
    """
    posted_lower = {a.lower(): v for a, v in (posted or {}).items()}
    table = []
    for n, r in enumerate(leaderboard_from_report(report), start=1):
        scored = r["status"] == "scored"
        score = int(r["score_ppm"] or 0) if scored else 0  # a failed training is scored 0
        row = {
            "rank": n,
            "participant": label_of(r["participant"]),
            "status": r["status"],
            "accuracy %": _pct(score),
            "± SE (points)": _pct(r["stderr_ppm"]) if scored else None,
            "95 % interval": _interval(r["ci_low_ppm"], r["ci_high_ppm"]) if scored else "",
            "tied with leader": bool(scored and r["tied_with_leader"]),
            "meets bar": bool(scored and score >= min_accuracy_ppm),
            "AUC": r["auc"] if scored else None,
            "log loss": r["log_loss"] if scored else None,
        }
        if posted is not None:
            row["posted %"] = _pct(posted_lower.get(r["participant"].lower()))
        row["error"] = r["error"]
        row["address"] = r["participant"]
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


def show_leaderboard(
    report: EvaluationReport,
    min_accuracy_ppm: int,
    key: str,
    label_of: Callable[[str], str] = short_address,
    posted: Mapping[str, int] | None = None,
) -> None:
    """Chart (intervals, baselines, bar, tied group), table, baselines table and how to read them.

    Widget keys: ``<key>_chart``, ``<key>_leaderboard`` (table), ``<key>_baselines``.
    """
    board = leaderboard_from_report(report)
    baselines = baselines_from_report(report)
    for row in board:
        row["label"] = label_of(row["participant"])
    if board:
        st.plotly_chart(charts.leaderboard(board, min_accuracy_ppm, baselines), key=f"{key}_chart")
    st.dataframe(
        pd.DataFrame(leaderboard_rows(report, min_accuracy_ppm, label_of, posted)),
        hide_index=True,
        key=f"{key}_leaderboard",
        column_config={
            "accuracy %": st.column_config.NumberColumn(format="%.4f"),
            "± SE (points)": st.column_config.NumberColumn(format="%.2f"),
            "AUC": st.column_config.NumberColumn(format="%.3f"),
            "log loss": st.column_config.NumberColumn(format="%.3f"),
            "posted %": st.column_config.NumberColumn(format="%.4f", help="The score on chain"),
        },
    )
    st.caption(HOW_TO_READ)
    has_intervals = any(r["stderr_ppm"] is not None for r in board if r["status"] == "scored")
    missing = []
    if not has_intervals:
        missing.append("no error bars")
    if not baselines:
        missing.append("no baselines")
    if missing:
        st.caption(
            f"This report has {' and '.join(missing)} (an older report format): the scores are "
            "shown as they are, without them."
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
    seeds = _seeds_caption(report)
    if seeds:
        st.caption(seeds)


def curves_picker(
    report: EvaluationReport,
    key: str,
    label_of: Callable[[str], str] = short_address,
    title: str | None = None,
) -> None:
    """Choose a submission of ``report`` whose training curves it holds, and plot them.

    One chart at a time: a figure per submission would cost seconds with hundreds of them.
    Widget keys: ``<key>_curves_of`` (the selectbox) and ``<key>_curves`` (the chart); ``title``
    (then followed by the chosen address) replaces the chart's default title.
    """
    curves_of = {
        r.participant: r.training["curves"]
        for r in report.submissions
        if r.training and r.training.get("curves")
    }
    if not curves_of:
        return
    shown = st.selectbox(
        "Training curves of",
        list(curves_of),
        key=f"{key}_curves_of",
        format_func=lambda a: f"{label_of(a)} · {short_address(a)}",
    )
    curves = curves_of[shown]
    figure = (
        charts.training_curves(curves)
        if title is None
        else charts.training_curves(curves, f"{title}: {short_address(shown)}")
    )
    st.plotly_chart(figure, key=f"{key}_curves")


def verify_result(view: JobView, differing_as_warning: bool = False) -> None:
    """A finished re-run of one submission: reproduced, failed, or a different score.

    Explorer shows a different score as an error (the posted score is wrong); Disputes as a
    warning, since there it is the grounds for a challenge, not a failure of the page.
    """
    if view.state == DONE and view.result:
        result = view.result
        if result["reproduced"]:
            st.success(f"Reproduced: {verify_sentence(result)}", icon=":material/verified:")
        elif result["error"]:
            st.error(result["summary"], icon=":material/error:")
        else:
            show = st.warning if differing_as_warning else st.error
            show(f"Not reproduced: {verify_sentence(result)}", icon=":material/gpp_bad:")


def verify_sentence(result: Mapping[str, Any], label_of: Callable[[str], str] | None = None) -> str:
    """A re-run against the posted score in percent, as every other score reads (exact to the ppm:
    four decimals), naming the participant by label."""
    name = (label_of or backend().label_of)(result["participant"])
    posted, again = int(result["posted"]), result["recomputed"]
    recomputed = "no score" if again is None else f"{int(again) / 10_000:.4f} %"
    verdict = "the same score" if result["reproduced"] else "a different score"
    return f"{name}: posted {posted / 10_000:.4f} %, the re-run gives {recomputed}: {verdict}."
