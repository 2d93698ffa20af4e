"""Finalize (anyone): what finalizing would do, finalize, claim a stall share, withdraw credits.

Widget keys: ``fin_bounty`` (bounty picker); buttons ``fin_finalize`` ("Finalize"),
``fin_claim`` ("Claim share"), ``fin_withdraw`` ("Withdraw"). Balances of everyone involved
are shown before, and after the last transaction of this page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from actions import settlement
from actions.display import eth
from ui import tx
from ui.common import account_state, backend, bounty_picker, current_sender, show_error

st.title(":material/payments: Finalize")
st.caption("Anyone: settle a bounty once its windows allow it, then each credited account withdraws its ETH.")

chosen = bounty_picker("fin_bounty")
sender = current_sender()
if chosen is None or sender is None:
    tx.render_pending()
    st.stop()
bid = chosen.id


def _balances(credited: list[str]) -> dict[str, dict[str, int]]:
    """Wallet balance and withdrawable credit of the accounts this settlement touches.

    The owner, the leader, whoever finalize credits and the selected account: a handful of
    reads whatever the number of submissions.
    """
    people = [chosen.owner, chosen.leader, *credited, sender.address]
    seen: dict[str, dict[str, int]] = {}
    for who in people:
        if who not in seen and int(who, 16) != 0:
            balance, credit = account_state(who)
            seen[who] = {"balance": balance, "credit": credit}
    return seen


def _table(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]] | None) -> pd.DataFrame:
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


try:
    preview = settlement.outcome_preview(backend(), bid)
    before = st.session_state.get("fin_before") or {}
    now_balances = _balances([*preview.credits, *before])
except Exception as exc:
    show_error(exc)
    tx.render_pending()
    st.stop()

with st.container(border=True):
    st.subheader(":material/flag: Outcome")
    st.write(f"Bounty #{bid}: **{preview.outcome}**. {preview.reason}")
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
    if left.button("Finalize", key="fin_finalize", type="primary", icon=":material/gavel:"):
        try:
            st.session_state["fin_before"] = now_balances
            tx.request("finalize", settlement.plan_finalize(backend(), sender, bid))
        except Exception as exc:
            show_error(exc)
    if settlement.may_claim_share(preview, chosen) and right.button(
        "Claim share", key="fin_claim", icon=":material/call_split:"
    ):
        try:
            st.session_state["fin_before"] = now_balances
            tx.request("claim", settlement.plan_claim_share(backend(), sender, bid))
        except Exception as exc:
            show_error(exc)
    tx.show_result("finalize")
    tx.show_result("claim")

with st.container(border=True):
    st.subheader(":material/account_balance_wallet: Withdraw")
    mine = now_balances.get(sender.address, {}).get("credit", 0)
    st.write(f"{backend().label_of(sender.address)} has **{eth(mine)}** waiting.")
    if st.button("Withdraw", key="fin_withdraw", icon=":material/savings:"):
        try:
            st.session_state["fin_before"] = now_balances
            tx.request("withdraw", settlement.plan_withdraw(backend(), sender))
        except Exception as exc:
            show_error(exc)
    tx.show_result("withdraw")

with st.container(border=True):
    st.subheader(":material/balance: Balances")
    if before and any(tx.result(k) for k in ("finalize", "claim", "withdraw")):
        st.caption("Before and after this page's last transaction (balance + amount waiting in withdraw).")
        st.dataframe(_table(before, now_balances), hide_index=True, key="fin_balances")
    else:
        st.dataframe(_table(now_balances, None), hide_index=True, key="fin_balances")

tx.render_pending()
