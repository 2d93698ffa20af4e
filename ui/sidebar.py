"""The sidebar: which network, and a wallet to act as Owner, a participant or the Arbiter.

Widget keys (stable; the browser tests drive them):

* ``account``: selectbox of account addresses, shown as "Owner · 0xf39F…2266"
  (its value is the address; ``st.session_state["account"]`` everywhere); on dev chains the last
  funded account is "Arbiter", the dev arbitrator's owner, who rules on the Disputes page;
* ``advance_minutes`` (number input) + ``advance_time`` (button): move a dev
  chain's clock forward; ``mine_block`` (button): mine one empty block;
* on networks without node-managed accounts, ``keystore_file`` / ``keystore_password``
  and ``keystore_unlock``: the unlocked signer lives only in this browser session
  (``st.session_state["unlocked"]``), never in the shared backend.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

import streamlit as st

from actions import wallet
from actions.errors import plain_error
from formatting import eth, short_address, utc, wei_to_eth
from ui.common import ACCOUNT_KEY, UNLOCKED_KEY, account_state, accounts, backend, current_account

if TYPE_CHECKING:
    from actions.session import Backend


def network_panel() -> None:
    b = backend()
    with st.sidebar.container(border=True):
        st.markdown("**:material/lan: Network**")
        try:
            number, timestamp = b.latest_block()
        except Exception as exc:
            st.error(plain_error(exc), icon=":material/cloud_off:")
            return
        st.caption(f"{b.chain.kind} chain · chain id {b.chain.chain_id}")
        st.caption(f"Block {number} · {utc(timestamp)}")
        board = wallet.board_address(b)
        st.caption(f"BountyBoard {short_address(board)}" if board else "BountyBoard not deployed yet")
        if b.chain.is_dev:
            _time_controls(b)


def _time_controls(b: Backend) -> None:
    minutes = st.number_input(
        "Advance by (minutes)",
        min_value=1,
        max_value=60 * 24 * 365,
        value=10,
        step=1,
        key="advance_minutes",
        help="Dev chains only: mine one block this far in the future, "
        "so a demo can cross a deadline in a click.",
    )
    if st.button("Advance time", key="advance_time", icon=":material/fast_forward:", width="stretch"):
        try:
            b.chain.advance_time(int(minutes) * 60)
        except Exception as exc:
            st.error(plain_error(exc))
        else:
            st.toast(f"Chain time is now {utc(b.now())}", icon=":material/schedule:")
    if st.button("Mine block", key="mine_block", icon=":material/add_box:", width="stretch"):
        try:
            b.chain.mine(1)
        except Exception as exc:
            st.error(plain_error(exc))


def wallet_panel() -> None:
    b = backend()
    with st.sidebar.container(border=True):
        st.markdown("**:material/account_balance_wallet: Wallet**")
        account = current_account()
        if account is None:
            st.caption("No accounts yet.")
            _keystore_unlock(b)
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
        st.code(address, language=None)
        if labels.get(address, "").startswith("Arbiter"):
            st.caption("The dev arbitrator's owner: rules on challenged scores on the Disputes page.")
        try:
            balance, waiting = account_state(address)
        except Exception as exc:
            st.error(plain_error(exc))
            return
        st.metric("Balance", compact_eth(balance), help=f"Exactly {eth(balance, places=18)}.")
        st.metric("To withdraw", compact_eth(waiting), help=f"Exactly {eth(waiting, places=18)}.")
        if not b.chain.is_dev:
            _keystore_unlock(b)


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


def _keystore_unlock(b: Backend) -> None:
    """On a real network the node signs for no one: unlock a keystore file for this session."""
    with st.expander("Unlock a keystore", icon=":material/key:"):
        upload = st.file_uploader("Keystore JSON", type=["json"], key="keystore_file")
        password = st.text_input("Password", type="password", key="keystore_password")
        if st.button("Unlock", key="keystore_unlock", icon=":material/lock_open:"):
            if upload is None:
                st.error("Choose a keystore JSON file first.")
                return
            try:
                signer = wallet.unlock_keystore(b, upload.getvalue(), password)
            except Exception as exc:
                st.error(plain_error(exc))
            else:
                st.session_state.setdefault(UNLOCKED_KEY, {})[signer.address] = signer
                st.session_state[ACCOUNT_KEY] = signer.address
                st.rerun()
