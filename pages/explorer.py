"""Explorer / Verify (anyone): every bounty, its windows and events, the leaderboard, and a re-run check.

Widget keys: ``exp_table`` (every bounty) above ``exp_bounty`` (bounty picker); ``exp_timeline``
and ``exp_deadlines`` (the windows); ``exp_events``; ``exp_chart`` / ``exp_leaderboard`` /
``exp_baselines`` (the report's scores with their 95 % intervals, the baselines and the bar;
``exp_board`` the submissions on chain); ``exp_curves_of`` (whose report curves to plot, chart
``exp_curves``); ``exp_rebuild_test`` (ui.testdata); ``exp_participant`` (a scored participant)
and ``exp_verify`` ("Verify"), which re-trains that submission from the published files and says
whether the posted score is reproduced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from actions import bounties, tasks
from actions.evaluation import PostedReport, load_report, start_verify
from actions.views import event_rows
from formatting import eth, percent_ppm, short_address, utc
from ui import charts, evaluation, jobs, testdata, tx
from ui.common import backend, block_key, created_at, settings_key, submissions
from ui.page import picked_bounty, plain_errors, require_router

if TYPE_CHECKING:
    from chain.client import Bounty, Submission


@st.cache_data(show_spinner=False, max_entries=64)
def _events(settings: str, block: int, bounty_id: int) -> list[dict]:
    return event_rows(backend(), bounty_id)


@st.cache_data(show_spinner=False, max_entries=64)
def _report(settings: str, block: int, bounty_id: int) -> PostedReport | None:
    return load_report(backend(), bounty_id)


def _overview(chosen: Bounty) -> None:
    """The bounty's figures, its windows on a timeline and its deadlines."""
    now = backend().now()
    left, mid, right, far = st.columns(4)
    left.metric("Phase", chosen.phase.label)
    mid.metric("Reward", eth(chosen.reward))
    right.metric("Minimum accuracy", percent_ppm(chosen.min_accuracy_ppm))
    far.metric("Outcome", chosen.outcome.label if chosen.outcome else "open")
    st.caption(f"Owner {chosen.owner} · manifest `{tasks.manifest_cid(chosen)}` · chain time {utc(now)}")
    windows = bounties.windows(chosen, created_at(chosen.id) or now)
    st.plotly_chart(charts.timeline(windows, now), key="exp_timeline")
    st.dataframe(pd.DataFrame(bounties.deadline_rows(chosen, now)), hide_index=True, key="exp_deadlines")


def _events_tab(chosen: Bounty) -> None:
    with plain_errors():
        events = _events(settings_key(), block_key(), chosen.id)
        st.dataframe(pd.DataFrame(events), hide_index=True, key="exp_events")


def _posted_scores_chart(chosen: Bounty, scored: list[Submission]) -> None:
    """No report to read: the posted scores alone, without intervals."""
    posted_rows = [
        {
            "participant": s.participant,
            "label": backend().label_of(s.participant),
            "status": "scored",
            "score_ppm": s.accuracy_ppm or 0,
        }
        for s in sorted(scored, key=lambda s: -(s.accuracy_ppm or 0))
    ]
    st.plotly_chart(charts.leaderboard(posted_rows, chosen.min_accuracy_ppm), key="exp_chart")


def _submissions_table(chosen: Bounty, subs: list[Submission]) -> None:
    table = pd.DataFrame(
        [
            {
                "participant": backend().label_of(s.participant),
                "address": s.participant,
                "commit #": s.commit_order,
                "revealed": s.revealed,
                "hyperparameters": s.hyperparameters.describe() if s.hyperparameters else "",
                "accuracy %": (s.accuracy_ppm or 0) / 10_000 if s.scored else None,
                "meets bar": bool(s.scored and (s.accuracy_ppm or 0) >= chosen.min_accuracy_ppm),
            }
            for s in subs
        ]
    )
    if table.empty:
        st.caption("No submissions yet.")
        return
    st.markdown("**Submissions on chain** (posted scores)")
    st.dataframe(
        table.sort_values("accuracy %", ascending=False, na_position="last"),
        hide_index=True,
        key="exp_board",
    )


def _leaderboard_tab(chosen: Bounty, subs: list[Submission], scored: list[Submission]) -> None:
    """The published report beside the scores on chain (or the posted scores alone), the curves."""
    published = None
    if scored:
        with plain_errors():
            published = _report(settings_key(), block_key(), chosen.id)
    if published is not None:
        st.caption(f"Evaluation report `{published.cid}`")
        evaluation.show_leaderboard(
            published.report,
            chosen.min_accuracy_ppm,
            "exp",
            backend().label_of,
            posted={s.participant: s.accuracy_ppm or 0 for s in scored},
        )
    elif scored:
        _posted_scores_chart(chosen, scored)
    _submissions_table(chosen, subs)
    if published is not None:
        evaluation.curves_picker(published.report, "exp", backend().label_of, "Curves from the report")


def _verify_panel(chosen: Bounty, scored: list[Submission]) -> None:
    with st.container(border=True):
        st.subheader(":material/fact_check: Verify a posted score")
        if not scored:
            st.caption("Nothing to verify yet: no score has been posted for this bounty.")
            return
        who = st.selectbox(
            "Participant",
            [s.participant for s in scored],
            key="exp_participant",
            format_func=lambda a: f"{backend().label_of(a)} · {short_address(a)}",
        )
        if st.button("Verify", key="exp_verify", icon=":material/replay:"):
            with plain_errors():
                start_verify(backend(), chosen.id, who)
        jobs.panel(f"verify:{chosen.id}:{who}", evaluation.verify_result)


def main() -> None:
    require_router()
    st.title(":material/travel_explore: Explorer / Verify")
    st.caption("Anyone: everything here is read from the chain and from IPFS, and every score can be re-run.")
    chosen = picked_bounty("exp_bounty", table_key="exp_table")
    _overview(chosen)
    tab_events, tab_board = st.tabs([":material/receipt_long: Events", ":material/emoji_events: Leaderboard"])
    with tab_events:
        _events_tab(chosen)
    with tab_board:
        subs = submissions(chosen.id)
        scored = [s for s in subs if s.scored]
        _leaderboard_tab(chosen, subs, scored)
    testdata.panel(chosen)
    _verify_panel(chosen, scored)
    tx.render_pending()


main()
