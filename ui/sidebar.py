"""The sidebar: which network, and a wallet to act as Owner, a participant or the Arbiter.

Widget keys (stable; the browser tests drive them):

* ``account``: selectbox of account addresses, shown as "Owner · 0xf39F…2266"
  (its value is the address; ``st.session_state["account"]`` everywhere); on dev chains the last
  funded account is "Arbiter", the dev arbitrator's owner, who rules on the Disputes page;
* ``chain_clock``: the latest block and chain time now (``ui.clock``: the time the next transaction
  will see), ticking every second;
* ``advance_minutes`` (number input) + ``advance_time`` (button): move a dev chain's "now" forward
  (one empty block that much later than now); ``mine_block`` (button): mine one empty block. Both run
  as the button's callback, before the sidebar is drawn, so the block and the time shown are the new ones;
* the board line and "Join or deploy a board" (``ui.board``: ``board_join_address``, ``board_join``,
  ``board_deploy``);
* a person's own keys (``ui.accounts``): "Unlock an account", "Add an account" (create, import a key
  or a keystore file) and, on dev chains, "Fund from a dev account"; an unlocked signer lives only in
  this browser session (``st.session_state["unlocked"]``), never in the shared backend.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

import streamlit as st

from actions.errors import plain_error
from formatting import eth, short_address, utc, wei_to_eth
from ui import accounts as accounts_ui
from ui import board, clock
from ui.common import (
    ACCOUNT_KEY,
    account_state,
    accounts,
    backend,
    block_key,
    current_account,
    settings_key,
)

if TYPE_CHECKING:
    from actions.session import Backend


def network_panel() -> None:
    b = backend()
    with st.sidebar.container(border=True):
        st.markdown("**:material/lan: Network**")
        try:
            b.latest_block()
        except Exception as exc:
            st.error(plain_error(exc), icon=":material/cloud_off:")
            return
        st.caption(f"{b.chain.kind} chain · chain id {b.chain.chain_id}")
        clock.sidebar_clock()
        board.board_panel(b, settings_key(), block_key())
        if b.chain.is_dev:
            _time_controls(b)


CLOCK_ERROR = "clock_error"


def _time_controls(b: Backend) -> None:
    st.number_input(
        "Advance by (minutes)",
        min_value=1,
        max_value=60 * 24 * 365,
        value=10,
        step=1,
        key="advance_minutes",
        help="Dev chains only: mine one block this far after now, so a demo can cross a deadline in a click.",
    )
    st.button(
        "Advance time",
        key="advance_time",
        icon=":material/fast_forward:",
        width="stretch",
        on_click=_advance,
        args=(b,),
    )
    st.button(
        "Mine block", key="mine_block", icon=":material/add_box:", width="stretch", on_click=_mine, args=(b,)
    )
    problem = st.session_state.pop(CLOCK_ERROR, None)
    if problem:
        st.error(problem)


def _advance(b: Backend) -> None:
    """The "Advance time" callback: runs before the script, so this run already shows the new time."""
    try:
        b.chain.advance_clock(int(st.session_state["advance_minutes"]) * 60)
    except Exception as exc:
        st.session_state[CLOCK_ERROR] = plain_error(exc)
    else:
        st.toast(f"Chain time is now {utc(b.now())}", icon=":material/schedule:")


def _mine(b: Backend) -> None:
    try:
        b.chain.mine(1)
    except Exception as exc:
        st.session_state[CLOCK_ERROR] = plain_error(exc)


def wallet_panel() -> None:
    b = backend()
    with st.sidebar.container(border=True):
        st.markdown("**:material/account_balance_wallet: Wallet**")
        accounts_ui.apply_selection()
        account = current_account()
        if account is None:
            st.caption("No accounts yet: create one, or import your key.")
            _own_keys(b)
            return
        known = accounts()
        options = [a.address for a in known]
        labels = {a.address: f"{a.label} · {short_address(a.address)}" for a in known}
        st.selectbox(
            "Account",
            options,
            key=ACCOUNT_KEY,
            format_func=lambda a: labels.get(a, a),
            help="Switching accounts changes who signs; the contract decides what each may do.",
        )
        address = st.session_state[ACCOUNT_KEY]
        st.code(address, language=None, wrap_lines=True)  # the whole address, wrapped, with a copy button
        if labels.get(address, "").startswith("Arbiter"):
            st.caption("The dev arbitrator's owner: rules on challenged scores on the Disputes page.")
        try:
            balance, waiting = account_state(address)
        except Exception as exc:
            st.error(plain_error(exc))
            return
        st.metric("Balance", compact_eth(balance), help=f"Exactly {eth(balance, places=18)}.")
        st.metric("To withdraw", compact_eth(waiting), help=f"Exactly {eth(waiting, places=18)}.")
        accounts_ui.fund_panel(b, address)
        _own_keys(b)


def compact_eth(wei: int, digits: int = 6) -> str:
    """About ``digits`` significant digits, rounded down, so a balance fits the sidebar's metric uncut
    (``999,999 ETH``, ``1,234.56 ETH``, ``2.5M ETH``); small amounts keep the digits that make them
    non-zero. The exact amount goes in the metric's tooltip."""
    value = wei_to_eth(wei)
    if abs(value) < 1:
        return eth(wei, places=digits)
    suffix = ""
    if abs(value) >= 1_000_000:
        value, suffix = value / 1_000_000, "M"
    places = max(0, digits - len(str(int(abs(value)))))
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    text = f"{value:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{suffix} ETH"


def _own_keys(b: Backend) -> None:
    """A person's own keys (``ui.accounts``): unlock one from the keystore, or create or import one."""
    accounts_ui.unlock_panel(b)
    accounts_ui.add_account_panel(b)
