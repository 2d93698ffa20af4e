"""Evaluate (owner): reveal the test data, train and score every revealed submission, post the scores.

Widget keys: ``eval_bounty`` (bounty picker); ``eval_reveal_test`` ("Reveal test data");
``eval_revealed`` (the revealed submissions); ``eval_workers`` (worker processes, at least 1);
``eval_run`` ("Run evaluation"); ``eval_curves_of`` (whose curves to plot, chart ``eval_curves``),
``eval_post`` ("Publish report and post scores"), ``eval_clear`` ("Clear this evaluation").
While the evaluation runs, a progress table per submission (state, cells done of seeds × eras,
epoch); when done, the leaderboard (ui.leaderboard, shared with Explorer): ``eval_chart`` (scores
with 95 % intervals in rank order, the baselines and the bar as lines, the group tied with the leader
in its own colour, the winner marked), ``eval_leaderboard`` (rank, participant, score, interval,
winner, ± standard error, tie, AUC, a failed one's 0 and reason; the viewer's row highlighted) and
``eval_baselines``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

import storage
from actions.evaluation import evaluation_key, plan_post_scores, plan_reveal_test_data, start_evaluation
from actions.jobs import DONE, JobView
from formatting import percent_ppm, utc
from ui import charts, evaluation, jobs, leaderboard, tx
from ui.common import backend, submissions
from ui.page import bounty_and_sender, plain_errors, require_router, tx_button

if TYPE_CHECKING:
    from chain.accounts import Sender
    from chain.client import Bounty, Submission
    from ml.runner import EvaluationReport


def _summary(chosen: Bounty) -> None:
    left, mid, right, far = st.columns(4)
    left.metric("Phase", chosen.phase.label)
    mid.metric("Committed", chosen.commit_count)
    right.metric("Revealed", chosen.reveal_count)
    far.metric("Scored", chosen.scored_count)
    st.caption(
        f"Reveals close {utc(chosen.reveal_deadline)}; "
        f"scores must be posted before {utc(chosen.evaluation_deadline)}."
    )


def _test_data_panel(chosen: Bounty, sender: Sender) -> None:
    with st.container(border=True):
        st.subheader(":material/visibility: Test data")
        if chosen.test_data_revealed:
            st.success(
                f"Revealed: `{storage.digest_to_cid(chosen.test_data_digest)}`", icon=":material/lock_open:"
            )
        else:
            how = (
                "a forward test: the file is built by the manifest's rule from its public source, added to "
                "IPFS and its digest revealed; anyone can rebuild it and compare (Explorer)"
                if chosen.forward_test
                else "the owner's kept test file is added to IPFS; its digest must match the commitment "
                "made at creation"
            )
            st.caption(
                f"Allowed once reveals have closed ({utc(chosen.reveal_deadline)}) until the evaluation "
                "deadline, so no participant sees test data while it can still choose what to reveal. "
                f"This is {how}."
            )
            tx_button(
                "Reveal test data",
                "eval_reveal_test",
                "reveal_test",
                lambda: plan_reveal_test_data(backend(), sender, chosen.id),
                icon=":material/lock_open:",
            )
        tx.show_result("reveal_test")


def _sub_order(name: str) -> tuple[int, str]:
    """The progress rows in submission order (sub:10 after sub:9)."""
    tail = name.removeprefix("sub:")
    return (int(tail), "") if tail.isdigit() else (1 << 30, name)


def _progress(view: JobView) -> None:
    """The running (or finished) evaluation: a progress row per submission, the live loss curves."""
    raw = [view.detail[k] for k in sorted(view.detail, key=_sub_order) if k.startswith("sub:")]
    if raw:
        result = view.result if view.state == DONE else None
        st.dataframe(
            pd.DataFrame(evaluation.progress_rows(raw, backend().label_of, result)),
            hide_index=True,
            key=f"eval_progress_{view.id}_{len(view.curves)}",
            column_config={
                "cells": st.column_config.TextColumn(
                    "cells", help="Trainings done of this submission's seeds × eras"
                ),
                "fraction": st.column_config.ProgressColumn("progress", min_value=0, max_value=1),
            },
        )
    if view.curves:
        st.plotly_chart(
            charts.live_curves(
                view.curves,
                ("loss",),
                backend().label_of,
                "share of its training done",
                align=True,
                x_max=1.0,
            ),
            key=f"eval_live_{view.id}",
        )


def _revealed_table(revealed: list[Submission]) -> None:
    if not revealed:
        st.caption("No revealed submissions yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "participant": backend().label_of(s.participant),
                    "commit #": s.commit_order,
                    "posted score": percent_ppm(s.accuracy_ppm or 0) if s.scored else "",
                    "hyperparameters": s.hyperparameters.describe() if s.hyperparameters else "",
                    "address": s.participant,
                }
                for s in revealed
            ]
        ),
        hide_index=True,
        key="eval_revealed",
        column_config={
            "participant": st.column_config.TextColumn("participant", width="medium"),
            "commit #": st.column_config.NumberColumn("commit #", width="small"),
            "posted score": st.column_config.TextColumn("posted score", width="small"),
            "hyperparameters": st.column_config.TextColumn("hyperparameters", width="large"),
        },
    )


def _evaluation_panel(chosen: Bounty) -> EvaluationReport | None:
    """Run the evaluation as a background job; its report once done (else None)."""
    revealed = [s for s in submissions(chosen.id) if s.revealed]
    with st.container(border=True):
        st.subheader(":material/model_training: Evaluation")
        _revealed_table(revealed)
        default_workers = max(1, min(os.cpu_count() or 1, len(revealed)))
        workers = st.number_input(
            "Worker processes",
            1,
            64,
            value=default_workers,
            key="eval_workers",
            help="Training runs in separate (spawned) processes so the dashboard stays responsive; each "
            "worker trains submissions one after another, and the scores do not depend on the number of "
            "workers.",
        )
        if st.button("Run evaluation", key="eval_run", type="primary", icon=":material/play_arrow:"):
            with plain_errors():
                start_evaluation(backend(), chosen.id, workers=int(workers))
        view = jobs.panel(evaluation_key(chosen.id), _progress)
    return view.result if view is not None and view.state == DONE else None


def _leaderboard_panel(chosen: Bounty, sender: Sender, report: EvaluationReport) -> None:
    with st.container(border=True):
        st.subheader(":material/emoji_events: Leaderboard")
        leaderboard.show_report(
            report,
            chosen.min_accuracy_ppm,
            "eval",
            commit_order={s.participant: s.commit_order for s in submissions(chosen.id)},
            label_of=backend().label_of,
        )
        evaluation.curves_picker(report, "eval", backend().label_of)
        st.caption(f"Report CID: `{report.cid()}` (published with the scores).")
        tx_button(
            "Publish report and post scores",
            "eval_post",
            "post_scores",
            lambda: plan_post_scores(backend(), sender, chosen.id, report),
            type="primary",
            icon=":material/publish:",
        )
        if st.button("Clear this evaluation", key="eval_clear", icon=":material/delete:"):
            backend().jobs.forget(evaluation_key(chosen.id))
            st.rerun()


def main() -> None:
    require_router()
    st.title(":material/leaderboard: Evaluate")
    st.caption(
        "Owner: once reveals close, reveal the test data (a forward test's file is built by its rule), "
        "evaluate every revealed submission over the protocol's seeds and eras, publish the report and "
        "post the scores."
    )
    chosen, sender = bounty_and_sender("eval_bounty")
    _summary(chosen)
    _test_data_panel(chosen, sender)
    report = _evaluation_panel(chosen)
    if report is not None:
        _leaderboard_panel(chosen, sender, report)
    tx.show_result("post_scores")
    tx.render_pending()


main()
