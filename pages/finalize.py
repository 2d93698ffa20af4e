"""Finalize (anyone): what finalizing would do, finalize, claim a stall share, withdraw credits.

Widget keys: ``fin_bounty`` (bounty picker); buttons ``fin_finalize`` ("Finalize"),
``fin_claim`` ("Claim share"), ``fin_withdraw`` ("Withdraw"); tables ``fin_credits`` and
``fin_balances``. Balances of everyone involved (revealers with a bond waiting among them) are shown
before, and after the last transaction of this page, with the change to the wei and the gas in it
(the "before" is kept in ``st.session_state["fin_before"]`` when a button is clicked, for that
account and bounty: another account or bounty starts without it, as its outcomes do, ``ui.tx``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from actions import settlement
from chain.client import Phase
from formatting import eth, eth_exact
from ui import tx
from ui.common import account_state, backend, submissions
from ui.page import ButtonState, bounty_and_sender, plain_errors, require_router, tx_button

if TYPE_CHECKING:
    from actions.settlement import OutcomePreview
    from chain.accounts import Sender
    from chain.client import Bounty

Balances = dict[str, dict[str, int]]
BEFORE_KEY = "fin_before"
REQUESTS = ("finalize", "claim", "withdraw")
MAX_REVEALERS = 20
BALANCE_COLUMNS = {
    "address": st.column_config.TextColumn("address", width="large"),
    "change": st.column_config.TextColumn(
        "change", width="medium", help="Balance + amount waiting in withdraw, after minus before, to the wei"
    ),
    "of which gas": st.column_config.TextColumn(
        "of which gas", width="medium", help="Fees this account paid for this page's transactions"
    ),
}


def _balances(chosen: Bounty, sender: Sender, credited: list[str]) -> Balances:
    """Wallet balance and withdrawable credit of the accounts this settlement touches.

    The owner, the leader, whoever finalize credits, the selected account and the revealers with
    something waiting in withdraw (their bond is credited at the reveal; the first ``MAX_REVEALERS``
    revealers are read): a bounded number of reads whatever the number of submissions.
    """
    people = [chosen.owner, chosen.leader, *credited, sender.address]
    seen: Balances = {}
    for who in people:
        if who not in seen and int(who, 16) != 0:
            balance, credit = account_state(who)
            seen[who] = {"balance": balance, "credit": credit}
    for who in [s.participant for s in submissions(chosen.id) if s.revealed][:MAX_REVEALERS]:
        balance, credit = account_state(who)
        if who not in seen and credit:  # a bond (or a share) waiting to be withdrawn
            seen[who] = {"balance": balance, "credit": credit}
    return seen


def _signed(wei: int) -> str:
    return ("+" if wei > 0 else "−" if wei < 0 else "") + eth_exact(abs(wei))


def _gas_paid(sender: Sender) -> int:
    """The fees of this page's mined transactions kept for this account and bounty (``ui.tx``)."""
    return sum(
        o.fee for k in REQUESTS if (o := tx.result(k)) is not None and o.ok and o.sender == sender.address
    )


def _table(before: Balances, after: Balances | None, gas: dict[str, int] | None = None) -> pd.DataFrame:
    """Balances now, or before and after with the change to the wei and the gas it includes."""
    rows = []
    for who, values in before.items():
        row = {
            "account": backend().label_of(who),
            "balance": eth(values["balance"], 6),
            "to withdraw": eth(values["credit"], 6),
        }
        if after is not None and who in after:
            row["balance after"] = eth(after[who]["balance"], 6)
            row["to withdraw after"] = eth(after[who]["credit"], 6)
            row["change"] = _signed(
                after[who]["balance"] + after[who]["credit"] - values["balance"] - values["credit"]
            )
            row["of which gas"] = _signed(-(gas or {}).get(who, 0))
        row["address"] = who  # last: the amounts stay in view, the full address is there to copy
        rows.append(row)
    return pd.DataFrame(rows)


def _remember(balances: Balances, sender: Sender, chosen: Bounty) -> None:
    """Keep the balances from before this page's transaction, for the before/after table."""
    st.session_state[BEFORE_KEY] = {"for": (sender.address, chosen.id), "balances": balances}


def _remembered(sender: Sender, chosen: Bounty) -> Balances:
    """The balances kept by :func:`_remember` for this account and bounty ({} for any other pair)."""
    kept = st.session_state.get(BEFORE_KEY) or {}
    return kept["balances"] if kept.get("for") == (sender.address, chosen.id) else {}


def _outcome_panel(chosen: Bounty, sender: Sender, preview: OutcomePreview, balances: Balances) -> None:
    with st.container(border=True):
        st.subheader(":material/flag: Outcome")
        st.write(f"Bounty #{chosen.id}: **{preview.outcome}**. {preview.reason}")
        if preview.credits:
            st.dataframe(
                pd.DataFrame(
                    [
                        {"credited to": backend().label_of(who), "amount": eth(amount)}
                        for who, amount in preview.credits.items()
                    ]
                ),
                hide_index=True,
                key="fin_credits",
            )
        left, right = st.columns(2)
        state = _finalize_state(chosen, preview)
        if tx_button(
            state.label,
            "fin_finalize",
            "finalize",
            lambda: settlement.plan_finalize(backend(), sender, chosen.id),
            where=left,
            type="primary" if state.primary else "secondary",
            icon=":material/gavel:",
            disabled=not state.enabled,
            help=state.reason,
        ):
            _remember(balances, sender, chosen)
        if settlement.may_claim_share(preview, chosen) and tx_button(
            "Claim share",
            "fin_claim",
            "claim",
            lambda: settlement.plan_claim_share(backend(), sender, chosen.id),
            where=right,
            icon=":material/call_split:",
        ):
            _remember(balances, sender, chosen)
        tx.show_result("finalize")
        tx.show_result("claim")


def _finalize_state(chosen: Bounty, preview: OutcomePreview) -> ButtonState:
    """Finalize is primary only while the contract would accept it; once done it is disabled and says so."""
    if chosen.phase == Phase.FINALIZED:
        settled = settlement.settled_text(chosen, backend().label_of)
        return ButtonState("Finalized", False, False, f"Finalized: {settled}.")
    if chosen.phase == Phase.CANCELLED:
        return ButtonState("Finalize", False, False, "The owner cancelled this bounty: nothing to finalize.")
    if not preview.possible:  # left clickable: the dialog then shows the contract's own refusal
        return ButtonState("Finalize", True, False, preview.reason)
    return ButtonState("Finalize", True, True, "Anyone may finalize now; the outcome is above.")


def _withdraw_panel(chosen: Bounty, sender: Sender, balances: Balances) -> None:
    with st.container(border=True):
        st.subheader(":material/account_balance_wallet: Withdraw")
        mine = balances.get(sender.address, {}).get("credit", 0)
        st.write(f"{backend().label_of(sender.address)} has **{eth(mine)}** waiting.")
        if tx_button(
            "Withdraw",
            "fin_withdraw",
            "withdraw",
            lambda: settlement.plan_withdraw(backend(), sender),
            icon=":material/savings:",
            type="primary" if mine else "secondary",
            help=None if mine else "Nothing waiting for this account.",
        ):
            _remember(balances, sender, chosen)
        tx.show_result("withdraw")


def _balances_panel(before: Balances, now: Balances, sender: Sender) -> None:
    with st.container(border=True):
        st.subheader(":material/balance: Balances")
        if before and any(tx.result(k) for k in REQUESTS):
            st.caption(
                "Before and after this page's last transaction (balance + amount waiting in withdraw)."
            )
            frame = _table(before, now, {sender.address: _gas_paid(sender)})
        else:
            frame = _table(now, None)
        st.dataframe(frame, hide_index=True, key="fin_balances", column_config=BALANCE_COLUMNS)


def main() -> None:
    require_router()
    st.title(":material/payments: Finalize")
    st.caption(
        "Anyone: settle a bounty once its windows allow it, then each credited account withdraws its ETH."
    )
    chosen, sender = bounty_and_sender("fin_bounty")
    with plain_errors(stop=True):
        preview = settlement.outcome_preview(backend(), chosen.id)
        before = _remembered(sender, chosen)
        balances = _balances(chosen, sender, [*preview.credits, *before])
    _outcome_panel(chosen, sender, preview, balances)
    _withdraw_panel(chosen, sender, balances)
    _balances_panel(before, balances, sender)
    tx.render_pending()


main()
