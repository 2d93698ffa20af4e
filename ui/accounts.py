"""The wallet's own keys: create or import an account, unlock it for this browser session, fund it
on a dev chain.

Why in the sidebar: on a network that is not a dev chain the node signs for no one, so a person
must be able to make or bring a key before any page can do anything for them. The key is kept
encrypted in the data folder's keystore (``actions.wallet``); the unlocked signer lives only in
this browser session (``st.session_state["unlocked"]``), never in the shared backend, so another
browser on the same dashboard cannot sign with it.

Widget keys (stable; the browser tests drive them):

* "Add an account": ``account_new_label``, ``account_new_password``, ``account_new_password2``,
  ``account_create``; ``account_import_key``, ``account_import_password``, ``account_import``;
  ``keystore_file``, ``keystore_password``, ``keystore_unlock`` (import a v3 keystore file);
* "Unlock an account": ``unlock_address``, ``unlock_password``, ``account_unlock``;
* "Fund from a dev account" (dev chains): ``fund_eth``, ``fund_from``, ``fund_account``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from actions import wallet
from formatting import eth_to_wei, short_address
from ui.common import ACCOUNT_KEY, UNLOCKED_KEY, show_error
from ui.page import plain_errors, tx_button

if TYPE_CHECKING:
    from actions.session import Backend
    from chain.accounts import LocalSigner

DEFAULT_FUNDING_ETH = 10


def unlocked() -> dict[str, LocalSigner]:
    """This browser session's unlocked keystore signers, by address."""
    return st.session_state.setdefault(UNLOCKED_KEY, {})


SELECT_NEXT = "account_to_select"


def _use(signer: LocalSigner) -> None:
    """Keep ``signer`` for this session and redraw with it selected (the account selectbox is already
    drawn in this run, so its value can only change before the next run draws it)."""
    unlocked()[signer.address] = signer
    st.session_state[SELECT_NEXT] = signer.address
    st.rerun()


def apply_selection() -> None:
    """Select the account unlocked in the previous run; the wallet calls it before drawing its selectbox."""
    address = st.session_state.pop(SELECT_NEXT, None)
    if address:
        st.session_state[ACCOUNT_KEY] = address


def add_account_panel(b: Backend) -> None:
    """Create a new key, or import one (a private key or a v3 keystore file), then use it."""
    with st.expander("Add an account", icon=":material/person_add:"):
        create, key, keyfile = st.tabs(["Create", "Import key", "Import file"])
        with create:
            _create_form(b)
        with key:
            _import_key_form(b)
        with keyfile:
            _import_file_form(b)


def _create_form(b: Backend) -> None:
    label = st.text_input("Name", key="account_new_label", placeholder="e.g. Alice", help=_LABEL_HELP)
    password = st.text_input("Password", type="password", key="account_new_password", help=_PASSWORD_HELP)
    again = st.text_input("Password again", type="password", key="account_new_password2")
    if st.button("Create account", key="account_create", icon=":material/key:"):
        if password != again:
            show_error("The two passwords differ; type the same password twice.")
            return
        _add_and_unlock(b, password, lambda: wallet.create_account(b, password, label.strip()))


def _import_key_form(b: Backend) -> None:
    key = st.text_input(
        "Private key",
        type="password",
        key="account_import_key",
        help="64 hex digits (with or without 0x). It is encrypted with the password before it touches the "
        "disk and is never shown again.",
    )
    password = st.text_input("Password", type="password", key="account_import_password", help=_PASSWORD_HELP)
    if st.button("Import key", key="account_import", icon=":material/download:"):
        if not key.strip():
            show_error("Paste the account's private key first.")
            return
        _add_and_unlock(b, password, lambda: wallet.import_account(b, private_key=key, password=password))


def _import_file_form(b: Backend) -> None:
    upload = st.file_uploader("Keystore JSON", type=["json"], key="keystore_file")
    password = st.text_input("Its password", type="password", key="keystore_password")
    if st.button("Import and unlock", key="keystore_unlock", icon=":material/lock_open:"):
        if upload is None:
            show_error("Choose a keystore JSON file first.")
            return
        with plain_errors(), st.spinner("Decrypting the keystore…"):
            _use(wallet.unlock_keystore(b, upload.getvalue(), password))


def _add_and_unlock(b: Backend, password: str, add: Callable[[], str]) -> None:
    with plain_errors(), st.spinner("Encrypting the key (scrypt takes a second)…"):
        address = add()
        _use(wallet.unlock(b, address, password))


def unlock_panel(b: Backend) -> None:
    """Unlock an account already in this data folder's keystore (it stays unlocked for this session)."""
    locked = [a for a in wallet.keystore_accounts(b) if a.address not in unlocked()]
    if not locked:
        return
    with st.expander(f"Unlock an account ({len(locked)} in the keystore)", icon=":material/lock_open:"):
        names = {a.address: f"{a.label or 'Account'} · {short_address(a.address)}" for a in locked}
        address = st.selectbox(
            "Account", list(names), key="unlock_address", format_func=lambda a: names.get(a, a)
        )
        password = st.text_input("Password", type="password", key="unlock_password")
        if st.button("Unlock", key="account_unlock", icon=":material/lock_open:"):
            with plain_errors(), st.spinner("Decrypting the keystore…"):
                _use(wallet.unlock(b, address, password))


def fund_panel(b: Backend, address: str) -> None:
    """Dev chains only: pay ``address`` (a keystore account) from one of the node's dev accounts.

    The outcome shows in the dialog and in the balance above; it is kept under the payer's account (who
    signs), so it is not repeated under the page."""
    if not b.chain.funds_new_accounts:
        return
    funders = wallet.funders(b)
    if not funders or any(f.address.lower() == address.lower() for f in funders):
        return
    with st.expander("Fund from a dev account", icon=":material/savings:"):
        st.caption("Dev chains only: a dev account of this node pays this account, so it can send.")
        amount = st.number_input(
            "ETH", min_value=0.001, value=float(DEFAULT_FUNDING_ETH), step=1.0, key="fund_eth"
        )
        labels = [f.label for f in funders]
        payer = st.selectbox("Paid by", labels, key="fund_from")
        tx_button(
            "Fund",
            "fund_account",
            "fund",
            lambda: wallet.fund_plan(b, payer, address, eth_to_wei(str(amount))),
            for_bounty=False,
            icon=":material/payments:",
        )


_LABEL_HELP = "How the wallet names this account in this data folder; only you see it."
_PASSWORD_HELP = (
    "At least 8 characters. It encrypts the key in this data folder (scrypt); HyperBounty cannot recover "
    "it, so keep it safe."
)
