"""Home (every account): its money, what it can do next on every bounty, its transactions.

Widget keys: ``home_step_<n>`` (a button per next step: selects its bounty and opens its page),
``home_activity`` (the account's transactions). The steps come from ``actions.home.next_steps``,
the transactions from ``actions.activity``; the address is shown with a copy button (``st.code``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from actions import activity, home
from chain.client import Phase
from formatting import eth, eth_exact
from ui import tx
from ui.common import (
    account_state,
    backend,
    block_key,
    bounties,
    current_account,
    select_bounty,
    settings_key,
)
from ui.common import submissions as bounty_submissions
from ui.page import plain_errors, require_router

ICONS = {
    "withdraw": ":material/savings:",
    "reveal": ":material/lock_open:",
    "join": ":material/login:",
    "reveal_test_data": ":material/key:",
    "post_scores": ":material/scoreboard:",
    "finalize": ":material/gavel:",
}


@st.cache_data(show_spinner=False, max_entries=64)
def _activity(settings: str, block: int, address: str) -> list[dict[str, str | int]]:
    return activity.activity_rows(activity.account_activity(backend(), address))


def _money(address: str) -> int:
    balance, credit = account_state(address)
    left, right = st.columns(2)
    left.metric("Balance", eth(balance, 6), help=f"Exactly {eth_exact(balance)}")
    right.metric("Waiting to withdraw", eth(credit, 6), help=f"Exactly {eth_exact(credit)}")
    return credit


def _next_steps(address: str, credit: int) -> None:
    with st.container(border=True):
        st.subheader(":material/checklist: What you can do next")
        known = bounties()
        live = [b for b in known if b.phase not in (Phase.FINALIZED, Phase.CANCELLED)]
        steps = home.next_steps(
            address, live, {b.id: bounty_submissions(b.id) for b in live}, credit, backend().now()
        )
        if not steps:
            st.caption("Nothing waits for this account now. New bounties appear here when they open.")
        for n, step in enumerate(steps):
            if st.button(step.text, key=f"home_step_{n}", icon=ICONS[step.kind], width="stretch"):
                if step.bounty_id is not None:
                    select_bounty(step.bounty_id)
                st.switch_page(f"pages/{step.page}.py")


def _activity_panel(address: str) -> None:
    with st.container(border=True):
        st.subheader(":material/receipt_long: Activity")
        rows = []
        with plain_errors():
            rows = _activity(settings_key(), block_key(), address)
        if not rows:
            st.caption("No board transactions from this account yet.")
            return
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            key="home_activity",
            column_config={
                "transaction": st.column_config.TextColumn("transaction", width="large"),
                "function": st.column_config.TextColumn("function", width="medium"),
            },
        )


def main() -> None:
    require_router()
    st.title(":material/home: Home")
    account = current_account()
    if account is None:
        st.info("Choose or create an account in the sidebar's Wallet panel.", icon=":material/wallet:")
        return
    st.caption(f"{account.label}: your money, what you can do next on every bounty, your transactions.")
    st.code(account.address, language=None)
    credit = _money(account.address)
    _next_steps(account.address, credit)
    _activity_panel(account.address)
    tx.render_pending()


main()
