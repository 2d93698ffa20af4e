"""Per-session state, the shared backend and its reads cached per block, for every page.

The widgets a page is built from (the guard, the transaction button, the bounty picker) are in
``ui.page``; this module only reads and keeps state, and shows an error as a plain sentence.

Session keys (stable; the browser tests and other pages rely on them):

* ``st.session_state["account"]``: the selected account's address (set by the sidebar wallet);
* ``st.session_state["bounty_id"]``: the selected bounty id (int) or absent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from actions.errors import plain_error
from actions.session import Account, Backend, get_backend
from settings import get_settings

if TYPE_CHECKING:
    from chain.accounts import Sender
    from chain.client import Bounty, Submission

ACCOUNT_KEY = "account"
BOUNTY_KEY = "bounty_id"


@st.cache_resource(show_spinner="Connecting to the chain…")
def _backend(settings_key: str) -> Backend:
    return get_backend()


def backend() -> Backend:
    """The process-wide backend; keyed by the settings so a changed data dir gets its own."""
    return _backend(repr(get_settings()))


UNLOCKED_KEY = "unlocked"


def accounts() -> list[Account]:
    """Dev accounts of the node plus keystore accounts unlocked in this browser session."""
    unlocked = st.session_state.get(UNLOCKED_KEY, {})
    return backend().accounts() + [Account(signer.label, address) for address, signer in unlocked.items()]


def current_account() -> Account | None:
    """The account the wallet has selected, defaulting to the first (Owner)."""
    try:
        known = accounts()
    except Exception as exc:
        st.error(f"Accounts are not available: {plain_error(exc)}", icon=":material/error:")
        return None
    if not known:
        return None
    address = st.session_state.get(ACCOUNT_KEY)
    for account in known:
        if account.address == address:
            return account
    st.session_state[ACCOUNT_KEY] = known[0].address
    return known[0]


def selected_bounty() -> int | None:
    value = st.session_state.get(BOUNTY_KEY)
    return int(value) if value else None


def select_bounty(bounty_id: int | None) -> None:
    st.session_state[BOUNTY_KEY] = bounty_id


def block_key() -> int:
    """The latest block number: reads cached under it refresh whenever anyone sends a transaction."""
    return backend().latest_block()[0]


def show_error(exc: BaseException | str) -> None:
    """``exc`` as one plain sentence in an error box (a string is shown as it is)."""
    text = exc if isinstance(exc, str) else plain_error(exc)
    st.error(text, icon=":material/error:")


def current_sender() -> Sender | None:
    """The signer for the selected account: a dev account, or a keystore unlocked in this session."""
    account = current_account()
    if account is None:
        address = st.session_state.get(ACCOUNT_KEY)
        if not address:
            return None
        return backend().sender(address, st.session_state.get(UNLOCKED_KEY, {}))
    return backend().sender(account.address, st.session_state.get(UNLOCKED_KEY, {}))


def settings_key() -> str:
    """The settings as a cache key: reads cached under it never mix two data folders."""
    return repr(get_settings())


# --- cached reads: keyed by the latest block, so any transaction (from any tab) refreshes them; the
# bounties also by the deadlines passed, so a phase moves on when its window ends ---


@st.cache_data(show_spinner=False, max_entries=16)
def _bounties(settings: str, block: int, deadlines_passed: int) -> list[Bounty]:
    """Read at the pending block (the contract's phase as of now); ``deadlines_passed`` is in the key
    because a phase changes when a deadline passes, with or without a new block."""
    return backend().client.bounties()


@st.cache_data(show_spinner=False, max_entries=64)
def _submissions(settings: str, block: int, bounty_id: int) -> list[Submission]:
    return backend().index.submissions(bounty_id)


@st.cache_data(show_spinner=False, max_entries=64)
def _created_at(settings: str, bounty_id: int) -> int:
    """The creation block's timestamp (immutable once mined)."""
    from actions.bounties import created_at as read_created_at

    return read_created_at(backend(), bounty_id)


def _passed(known: list[Bounty], now: int) -> int:
    ends = [d for b in known for d in (b.submission_deadline, b.reveal_deadline, b.evaluation_deadline)]
    return sum(now >= d for d in ends)


def bounties() -> list[Bounty]:
    """Every bounty, newest first, with its phase as of now (cached per block and per deadline passed)."""
    settings, block = settings_key(), block_key()
    first = _bounties(settings, block, -1)  # this block's deadlines (they change only with a transaction)
    return _bounties(settings, block, _passed(first, backend().now()))


def bounty(bounty_id: int) -> Bounty | None:
    """The bounty with this id from :func:`bounties`, or None."""
    for item in bounties():
        if item.id == bounty_id:
            return item
    return None


def submissions(bounty_id: int) -> list[Submission]:
    """Every submission of a bounty in commit order (cached per block)."""
    return _submissions(settings_key(), block_key(), bounty_id)


def created_at(bounty_id: int) -> int:
    """The timestamp of the block that created the bounty."""
    return _created_at(settings_key(), bounty_id)


@st.cache_data(show_spinner=False, max_entries=512)
def _account_state(settings: str, block: int, address: str) -> tuple[int, int]:
    from actions.settlement import pending_withdrawal

    b = backend()
    return b.balance(address), pending_withdrawal(b, address)


def account_state(address: str) -> tuple[int, int]:
    """(balance, amount waiting in withdraw) in wei, read once per block per account."""
    return _account_state(settings_key(), block_key(), address)
