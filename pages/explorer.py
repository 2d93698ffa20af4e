"""Explorer / Verify (anyone): every bounty, its windows and events, the leaderboard, and a re-run check.

Widget keys: ``exp_bounty`` (bounty picker); ``exp_chart`` / ``exp_leaderboard`` / ``exp_baselines``
(the report's scores with their 95 % intervals, the baselines and the bar; ``exp_board`` the
submissions on chain); ``exp_curves_of`` (whose report curves to plot);
``exp_participant`` (a scored participant) and ``exp_verify`` ("Verify"), which re-trains that
submission from the published files and says whether the posted score is reproduced.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from actions import bounties, tasks
from actions.display import eth, percent_ppm, short_address, utc
from actions.evaluation import PostedReport, load_report, start_verify
from actions.jobs import DONE
from actions.views import event_rows
from ui import charts, evaluation, jobs, testdata, tx
from ui.common import (
    backend,
    block_key,
    bounty_picker,
    created_at,
    settings_key,
    show_error,
    submissions,
)

st.title(":material/travel_explore: Explorer / Verify")
st.caption("Anyone: everything here is read from the chain and from IPFS, and every score can be re-run.")


@st.cache_data(show_spinner=False, max_entries=64)
def _events(settings: str, block: int, bounty_id: int) -> list[dict]:
    return event_rows(backend(), bounty_id)


@st.cache_data(show_spinner=False, max_entries=64)
def _report(settings: str, block: int, bounty_id: int) -> PostedReport | None:
    return load_report(backend(), bounty_id)


chosen = bounty_picker("exp_bounty", table_key="exp_table")
if chosen is None:
    tx.render_pending()
    st.stop()
bid = chosen.id
now = backend().now()

left, mid, right, far = st.columns(4)
left.metric("Phase", chosen.phase.label)
mid.metric("Reward", eth(chosen.reward))
right.metric("Minimum accuracy", percent_ppm(chosen.min_accuracy_ppm))
far.metric("Outcome", chosen.outcome.label if chosen.outcome else "open")
st.caption(f"Owner {chosen.owner} · manifest `{tasks.manifest_cid(chosen)}` · chain time {utc(now)}")

st.plotly_chart(charts.timeline(bounties.windows(chosen, created_at(bid) or now), now), key="exp_timeline")
st.dataframe(pd.DataFrame(bounties.deadline_rows(chosen, now)), hide_index=True, key="exp_deadlines")

tab_events, tab_board = st.tabs([":material/receipt_long: Events", ":material/emoji_events: Leaderboard"])
with tab_events:
    try:
        st.dataframe(
            pd.DataFrame(_events(settings_key(), block_key(), bid)), hide_index=True, key="exp_events"
        )
    except Exception as exc:
        show_error(exc)

with tab_board:
    subs = submissions(bid)
    scored = [s for s in subs if s.scored]
    published = None
    if scored:
        try:
            published = _report(settings_key(), block_key(), bid)
        except Exception as exc:
            show_error(exc)
    report = published.report if published is not None else None
    if published is not None:
        st.caption(f"Evaluation report `{published.cid}`")
        # the report's scores with their intervals and baselines, beside the scores posted on chain
        evaluation.show_leaderboard(
            published.report,
            chosen.min_accuracy_ppm,
            "exp",
            backend().label_of,
            posted={s.participant: s.accuracy_ppm or 0 for s in scored},
        )
    elif scored:  # no report to read: the posted scores alone, without intervals
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
    else:
        st.markdown("**Submissions on chain** (posted scores)")
        st.dataframe(
            table.sort_values("accuracy %", ascending=False, na_position="last"),
            hide_index=True,
            key="exp_board",
        )
    if report is not None:
        with_curves = {r.participant: r for r in report.submissions if (r.training or {}).get("curves")}
        if with_curves:
            # one chart at a time: a figure per submission would cost seconds with hundreds of them
            shown = st.selectbox(
                "Training curves of",
                list(with_curves),
                key="exp_curves_of",
                format_func=lambda a: f"{backend().label_of(a)} · {short_address(a)}",
            )
            curves = with_curves[shown].training["curves"]
            st.plotly_chart(
                charts.training_curves(curves, f"Curves from the report: {short_address(shown)}"),
                key="exp_curves",
            )

testdata.panel(chosen)

with st.container(border=True):
    st.subheader(":material/fact_check: Verify a posted score")
    if not scored:
        st.caption("Nothing to verify yet: no score has been posted for this bounty.")
    else:
        who = st.selectbox(
            "Participant",
            [s.participant for s in scored],
            key="exp_participant",
            format_func=lambda a: f"{backend().label_of(a)} · {short_address(a)}",
        )
        if st.button("Verify", key="exp_verify", icon=":material/replay:"):
            try:
                start_verify(backend(), bid, who)
            except Exception as exc:
                show_error(exc)

        def _body(view) -> None:
            if view.state == DONE and view.result:
                result = view.result
                if result["reproduced"]:
                    st.success(f"Reproduced: {result['summary']}", icon=":material/verified:")
                elif result["error"]:
                    st.error(result["summary"], icon=":material/error:")
                else:
                    st.error(f"Not reproduced: {result['summary']}", icon=":material/gpp_bad:")

        jobs.panel(f"verify:{bid}:{who}", _body)

tx.render_pending()
