"""Disputes (anyone): a bounty's arbitration terms, its disputes, challenge a score, rule, close a timeout.

Widget keys: ``dis_bounty`` (bounty picker); tables ``dis_terms`` (the arbitration's terms) and
``dis_table`` (every dispute, open and ruled); challenge: ``dis_participant`` (a posted score),
``dis_claimed`` (claimed accuracy in percent, pre-filled from this machine's re-run of that
submission, the Explorer's verify job), ``dis_rerun`` ("Re-run"), ``dis_challenge`` ("Challenge
score"); arbiter, per open dispute ``N``: ``dis_rerun_N``, ``dis_rule1_N`` ("Rule: challenger is
right"), ``dis_rule2_N`` ("Rule: the posted score stands"); anyone: ``dis_timeout_N`` ("Close
timed-out dispute"). Every transaction opens the confirmation dialog.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from actions import disputes
from actions.evaluation import start_verify
from formatting import eth, percent_ppm, short_address
from ui import evaluation, jobs, tx
from ui.common import backend, submissions
from ui.page import bounty_and_sender, plain_errors, require_router, stop_page, tx_button

if TYPE_CHECKING:
    from chain.accounts import Sender
    from chain.client import Arbitration, Bounty, Dispute, Submission


def _percent_to_ppm(percent: float) -> int:
    return int((Decimal(str(percent)) * 10_000).to_integral_value())


def _rerun(bounty_id: int, participant: str, key: str, shown: set[str]) -> None:
    """A "Re-run" button for one submission and its verify job's progress and result (once per page)."""
    if st.button(
        "Re-run",
        key=key,
        icon=":material/replay:",
        help="Re-train this submission here from the published files under the manifest's protocol "
        "(the Explorer's verify job) and compare with the posted score.",
    ):
        with plain_errors():
            start_verify(backend(), bounty_id, participant)
    job = disputes.verify_key(bounty_id, participant)
    if job not in shown:
        shown.add(job)
        jobs.panel(job, partial(evaluation.verify_result, differing_as_warning=True))


def _terms_panel(arbitration: Arbitration, now: int) -> None:
    with st.container(border=True):
        st.subheader(":material/balance: Arbitration")
        st.dataframe(
            pd.DataFrame(disputes.terms_rows(backend(), arbitration)), hide_index=True, key="dis_terms"
        )
        st.caption(disputes.deadline_text(arbitration, now))
        st.caption(
            "Ruling 1 (the challenger is right) voids the owner's scores: the reward is split among the "
            "revealers and the challenger gets the owner's bond and its own bond back. Ruling 2 (the posted "
            "score stands) gives the challenge bond to the owner. A dispute not ruled on within "
            "30 days may be closed by anyone and counts as ruling 1."
        )


def _disputes_panel(found: list[Dispute], now: int) -> None:
    with st.container(border=True):
        st.subheader(":material/gavel: Disputes")
        if not found:
            st.caption("No score of this bounty has been challenged.")
            return
        st.dataframe(
            pd.DataFrame(disputes.dispute_rows(backend(), found, now)), hide_index=True, key="dis_table"
        )


def _prefill_claim(bounty_id: int, chosen: Submission) -> int | None:
    """Start the claimed accuracy at this machine's re-run result (else the posted score); a typed
    value stays until the automatic one changes. Returns the re-run's result, if any."""
    found = disputes.claimed_from_verify(backend(), bounty_id, chosen.participant)
    automatic = (found if found is not None else int(chosen.accuracy_ppm or 0)) / 10_000
    marker = (chosen.participant, automatic)
    if st.session_state.get("dis_claimed_auto") != marker:
        st.session_state["dis_claimed"] = automatic
        st.session_state["dis_claimed_auto"] = marker
    return found


def _challenge_panel(
    chosen: Bounty, sender: Sender, arbitration: Arbitration, now: int, shown: set[str]
) -> None:
    with st.container(border=True):
        st.subheader(":material/report: Challenge a score")
        scored = [s for s in submissions(chosen.id) if s.scored]
        if not scored:
            st.caption("Nothing to challenge yet: no score has been posted for this bounty.")
            return
        by_address = {s.participant: s for s in scored}
        who = st.selectbox(
            "Posted score",
            list(by_address),
            key="dis_participant",
            format_func=lambda a: (
                f"{backend().label_of(a)} · {short_address(a)} · "
                f"{percent_ppm(int(by_address[a].accuracy_ppm or 0))}"
            ),
            help="The score you say is wrong. Any participant who revealed on this bounty may challenge "
            "any posted score.",
        )
        found = _prefill_claim(chosen.id, by_address[who])
        claimed = st.number_input(
            "Claimed accuracy (%)",
            0.0,
            100.0,
            step=0.01,
            format="%.4f",
            key="dis_claimed",
            help="The accuracy you say this submission really reaches: pre-filled from this machine's "
            "re-run when there is one, else the posted score.",
        )
        if found is not None:
            st.caption(f"Pre-filled from this machine's re-run: {percent_ppm(found)}.")
        else:
            st.caption("No re-run of this submission on this machine yet: *Re-run* it to check the score.")
        _rerun(chosen.id, who, "dis_rerun", shown)
        with plain_errors():
            cost = backend().client.challenge_cost(chosen.id)
            st.write(
                f"A challenge costs **{eth(cost)}**: the challenge bond {eth(arbitration.challenge_bond)} "
                f"(back if you win) and the arbitrator's fee {eth(cost - arbitration.challenge_bond)}."
            )
        tx_button(
            "Challenge score",
            "dis_challenge",
            "challenge",
            lambda: disputes.plan_challenge(backend(), sender, chosen.id, who, _percent_to_ppm(claimed)),
            disabled=not disputes.challenge_open(arbitration, now),
            type="primary",
            icon=":material/report:",
            help="Opens a dispute before the bounty's arbitrator; the value is shown in the confirmation.",
        )
        tx.show_result("challenge")


def _rule_buttons(arbitration: Arbitration, sender: Sender, d: Dispute) -> None:
    left, right = st.columns(2)
    for ruling, label, where, icon in (
        (disputes.RULING_CHALLENGER_RIGHT, "Rule: challenger is right", left, ":material/thumb_up:"),
        (disputes.RULING_SCORE_STANDS, "Rule: the posted score stands", right, ":material/thumb_down:"),
    ):
        tx_button(
            label,
            f"dis_rule{ruling}_{d.dispute_id}",
            "rule",
            partial(disputes.plan_rule, backend(), sender, arbitration.arbitrator, d.dispute_id, ruling),
            where=where,
            icon=icon,
            help=f"Ruling {ruling}: {disputes.RULINGS[ruling]}. Only the arbitrator's owner may rule.",
        )


def _arbiter_panel(
    chosen: Bounty, sender: Sender, arbitration: Arbitration, found: list[Dispute], shown: set[str]
) -> None:
    open_disputes = [d for d in found if not d.ruled]
    with st.container(border=True):
        st.subheader(":material/policy: Arbiter")
        st.caption(
            "Only the bounty's arbitrator (in the terms above) rules; the dev arbitrator's owner is the "
            "wallet's *Arbiter* account. Re-run the submission, then rule."
        )
        if not open_disputes:
            st.caption("No open dispute.")
        for d in open_disputes:
            st.markdown(
                f"**Dispute {d.dispute_id}**: {backend().label_of(d.challenger)} says "
                f"{backend().label_of(d.participant)} reaches {percent_ppm(d.claimed_accuracy_ppm)}, "
                f"not the posted {percent_ppm(d.posted_accuracy_ppm)}."
            )
            _rerun(chosen.id, d.participant, f"dis_rerun_{d.dispute_id}", shown)
            _rule_buttons(arbitration, sender, d)
        tx.show_result("rule")


def _timeout_panel(chosen: Bounty, sender: Sender, found: list[Dispute], now: int) -> None:
    late = [d for d in found if disputes.timed_out(d, now)]
    with st.container(border=True):
        st.subheader(":material/timer_off: Timed-out disputes")
        if not late:
            st.caption(
                "None: a dispute the arbitrator has not ruled on 30 days after it was opened may be closed "
                "here by anyone, and counts for the challenger."
            )
        for d in late:
            tx_button(
                f"Close timed-out dispute {d.dispute_id}",
                f"dis_timeout_{d.dispute_id}",
                "timeout",
                partial(disputes.plan_timeout, backend(), sender, chosen.id, d.dispute_id),
                icon=":material/timer_off:",
                help="The arbitrator never ruled: close the dispute as ruling 1 (the challenger is right).",
            )
        tx.show_result("timeout")


def main() -> None:
    require_router()
    st.title(":material/gavel: Disputes")
    st.caption(
        "Anyone: a posted score is a claim. A participant who revealed may challenge it before the "
        "arbitrator the owner named; the arbitrator re-runs the submission and rules."
    )
    chosen, sender = bounty_and_sender("dis_bounty")
    with plain_errors(stop=True):
        arbitration = backend().client.arbitration(chosen.id)
        now = backend().now()
    if arbitration is None:
        st.info(
            f"Bounty #{chosen.id} has no arbitrator: its owner did not set one on the Initialize page, "
            "so its scores cannot be challenged.",
            icon=":material/info:",
        )
        stop_page()
    found: list[Dispute] = []
    with plain_errors():
        found = disputes.disputes(backend(), chosen.id)
    shown: set[str] = set()
    _terms_panel(arbitration, now)
    _disputes_panel(found, now)
    _challenge_panel(chosen, sender, arbitration, now, shown)
    _arbiter_panel(chosen, sender, arbitration, found, shown)
    _timeout_panel(chosen, sender, found, now)
    tx.render_pending()


main()
