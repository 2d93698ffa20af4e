"""Finalize (anyone): what finalizing would do, finalize, claim a stall share, withdraw credits.

Widget keys: ``fin_bounty`` (bounty picker); buttons ``fin_finalize`` ("Finalize"),
``fin_claim`` ("Claim share"), ``fin_withdraw`` ("Withdraw"); tables ``fin_credits`` and
``fin_balances``. Balances of everyone involved are shown before, and after the last transaction
of this page (the "before" is kept in ``st.session_state["fin_before"]`` when a button is clicked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from actions import settlement
from formatting import eth
from ui import tx
from ui.common import account_state, backend
from ui.page import bounty_and_sender, plain_errors, tx_button

if TYPE_CHECKING:
    from actions.settlement import OutcomePreview
    from chain.accounts import Sender
    from chain.client import Bounty

Balances = dict[str, dict[str, int]]
BEFORE_KEY = "fin_before"
REQUESTS = ("finalize", "claim", "withdraw")


def _balances(chosen: Bounty, sender: Sender, credited: list[str]) -> Balances:
    """Wallet balance and withdrawable credit of the accounts this settlement touches.

    The owner, the leader, whoever finalize credits and the selected account: a handful of
    reads whatever the number of submissions.
    """
    people = [chosen.owner, chosen.leader, *credited, sender.address]
    seen: Balances = {}
    for who in people:
        if who not in seen and int(who, 16) != 0:
            balance, credit = account_state(who)
            seen[who] = {"balance": balance, "credit": credit}
    return seen


def _table(before: Balances, after: Balances | None) -> pd.DataFrame:
    rows = []
    for who, values in before.items():
        row = {
            "account": backend().label_of(who),
            "address": who,
            "balance": eth(values["balance"], 6),
            "to withdraw": eth(values["credit"], 6),
        }
        if after is not None and who in after:
            row["balance after"] = eth(after[who]["balance"], 6)
            row["to withdraw after"] = eth(after[who]["credit"], 6)
            row["change"] = eth(
                after[who]["balance"] + after[who]["credit"] - values["balance"] - values["credit"], 6
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _remember(balances: Balances) -> None:
    """Keep the balances from before this page's transaction, for the before/after table."""
    st.session_state[BEFORE_KEY] = balances


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
        if tx_button(
            "Finalize",
            "fin_finalize",
            "finalize",
            lambda: settlement.plan_finalize(backend(), sender, chosen.id),
            where=left,
            type="primary",
            icon=":material/gavel:",
        ):
            _remember(balances)
        if settlement.may_claim_share(preview, chosen) and tx_button(
            "Claim share",
            "fin_claim",
            "claim",
            lambda: settlement.plan_claim_share(backend(), sender, chosen.id),
            where=right,
            icon=":material/call_split:",
        ):
            _remember(balances)
        tx.show_result("finalize")
        tx.show_result("claim")


def _withdraw_panel(sender: Sender, balances: Balances) -> None:
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
        ):
            _remember(balances)
        tx.show_result("withdraw")


def _balances_panel(before: Balances, now: Balances) -> None:
    with st.container(border=True):
        st.subheader(":material/balance: Balances")
        if before and any(tx.result(k) for k in REQUESTS):
            st.caption(
                "Before and after this page's last transaction (balance + amount waiting in withdraw)."
            )
            st.dataframe(_table(before, now), hide_index=True, key="fin_balances")
        else:
            st.dataframe(_table(now, None), hide_index=True, key="fin_balances")


def main() -> None:
    st.title(":material/payments: Finalize")
    st.caption(
        "Anyone: settle a bounty once its windows allow it, then each credited account withdraws its ETH."
    )
    chosen, sender = bounty_and_sender("fin_bounty")
    with plain_errors(stop=True):
        preview = settlement.outcome_preview(backend(), chosen.id)
        before: Balances = st.session_state.get(BEFORE_KEY) or {}
        balances = _balances(chosen, sender, [*preview.credits, *before])
    _outcome_panel(chosen, sender, preview, balances)
    _withdraw_panel(sender, balances)
    _balances_panel(before, balances)
    tx.render_pending()


main()
