"""What the Evaluate, Explorer and Disputes pages show of an evaluation besides its leaderboard.

:func:`progress_rows` (a plain function, tested without Streamlit) builds the running
evaluation's progress table; :func:`curves_picker` plots one submission's training curves from
the report; :func:`verify_result` and :func:`verify_sentence` say how a re-run compares with the
posted score. The leaderboard itself is ``ui.leaderboard``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st

from actions.jobs import DONE, JobView
from formatting import short_address
from ui import charts
from ui.common import backend

if TYPE_CHECKING:
    from ml.runner import EvaluationReport

FINISHED = ("scored", "failed")


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


def curves_picker(
    report: EvaluationReport,
    key: str,
    label_of: Callable[[str], str] = short_address,
    title: str | None = None,
) -> None:
    """Choose a submission of ``report`` whose training curves it holds, and plot them.

    One chart at a time: a figure per submission would cost seconds with hundreds of them.
    Widget keys: ``<key>_curves_of`` (the selectbox) and ``<key>_curves`` (the chart); ``title``
    (then followed by the chosen participant's label) replaces the chart's default title.
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
        else charts.training_curves(curves, f"{title}: {label_of(shown)}")
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
