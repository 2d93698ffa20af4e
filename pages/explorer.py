"""Explorer / Verify (anyone): every bounty, its windows and events, the leaderboard, and a re-run check.

Widget keys: ``exp_table`` (every bounty) above ``exp_bounty`` (bounty picker); ``exp_timeline``
and ``exp_deadlines`` (the windows); ``exp_events`` (short transaction hashes, the full one in the last
column); ``exp_chart`` / ``exp_leaderboard`` / ``exp_baselines`` (ui.leaderboard, as on Evaluate:
the report's scores with their 95 % intervals in rank order, the baselines and the bar, the winner
marked, the viewer's row highlighted; the posted scores alone where no report can be read;
``exp_board`` every submission on chain, in the same order); ``exp_curves_of`` (whose report
curves to plot, chart ``exp_curves``); ``exp_rebuild_test`` (ui.testdata); ``exp_participant``
(a scored participant) and ``exp_verify`` ("Verify"), which re-trains that submission from the
published files and says whether the posted score is reproduced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from actions import bounties, tasks
from actions.evaluation import PostedReport, load_report, start_verify
from actions.views import event_rows, rank_leaderboard
from formatting import eth, percent_ppm, short_address, utc
from ui import charts, evaluation, jobs, leaderboard, testdata, tx
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
    owner = backend().label_of(chosen.owner)
    owner_shown = owner if owner == chosen.owner else f"{owner} ({chosen.owner})"
    st.caption(f"Owned by {owner_shown} · manifest `{tasks.manifest_cid(chosen)}` · chain time {utc(now)}")
    windows = bounties.windows(chosen, created_at(chosen.id) or now)
    st.plotly_chart(charts.timeline(windows, now), key="exp_timeline")
    st.dataframe(pd.DataFrame(bounties.deadline_rows(chosen, now)), hide_index=True, key="exp_deadlines")


def _events_tab(chosen: Bounty) -> None:
    with plain_errors():
        events = _events(settings_key(), block_key(), chosen.id)
        st.dataframe(
            pd.DataFrame(events),
            hide_index=True,
            key="exp_events",
            column_config={
                "time (UTC)": st.column_config.TextColumn("time (UTC)", width="medium"),
                "block": st.column_config.NumberColumn("block", width="small"),
                "event": st.column_config.TextColumn("event", width="medium"),
                "details": st.column_config.TextColumn("details", width="large"),
                "transaction": st.column_config.TextColumn(
                    "transaction", width="medium", help="Short hash: the full one is the last column"
                ),
                "transaction hash": st.column_config.TextColumn("transaction hash", width="large"),
            },
        )


def _submissions_table(chosen: Bounty, subs: list[Submission]) -> None:
    """Every submission on chain in the leaderboard's order (scored first, then by commit)."""
    by_address = {s.participant: s for s in subs}
    entries = [
        {
            "participant": s.participant,
            "status": "scored" if s.scored else "revealed" if s.revealed else "committed",
            "score_ppm": s.accuracy_ppm,
        }
        for s in subs
    ]
    order = {s.participant: s.commit_order for s in subs}
    rows = []
    for entry in rank_leaderboard(entries, chosen.min_accuracy_ppm, order):
        s = by_address[entry["participant"]]
        rows.append(
            {
                "participant": backend().label_of(s.participant),
                "accuracy %": (s.accuracy_ppm or 0) / 10_000 if s.scored else None,
                "meets bar": bool(s.scored and (s.accuracy_ppm or 0) >= chosen.min_accuracy_ppm),
                "commit #": s.commit_order,
                "revealed": s.revealed,
                "hyperparameters": s.hyperparameters.describe() if s.hyperparameters else "",
                "address": s.participant,
            }
        )
    if not rows:
        st.caption("No submissions yet.")
        return
    st.markdown("**Submissions on chain** (posted scores)")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="exp_board",
        column_config={
            "participant": st.column_config.TextColumn("participant", width="medium", pinned=True),
            "accuracy %": st.column_config.NumberColumn("accuracy %", format="%.4f", width="small"),
            "hyperparameters": st.column_config.TextColumn("hyperparameters", width="large"),
        },
    )


def _leaderboard_tab(chosen: Bounty, subs: list[Submission], scored: list[Submission]) -> None:
    """The published report beside the scores on chain (or the posted scores alone), the curves."""
    published = None
    if scored:
        with plain_errors():
            published = _report(settings_key(), block_key(), chosen.id)
    order = {s.participant: s.commit_order for s in subs}
    if published is not None:
        st.caption(f"Evaluation report `{published.cid}`")
        leaderboard.show_report(
            published.report,
            chosen.min_accuracy_ppm,
            "exp",
            posted={s.participant: s.accuracy_ppm or 0 for s in scored},
            commit_order=order,
            label_of=backend().label_of,
        )
    elif scored:
        st.caption("No evaluation report could be read: the scores posted on chain, without intervals.")
        leaderboard.show(
            leaderboard.chain_entries(scored),
            chosen.min_accuracy_ppm,
            "exp",
            commit_order=order,
            label_of=backend().label_of,
        )
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
