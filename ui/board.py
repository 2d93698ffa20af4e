"""Which BountyBoard this dashboard uses: shown in the Network panel, joined or deployed from there.

Why here and not on a page: every page reads the board, so until one is chosen no page can work
(a fresh network, or a participant's install that has not joined the owner's board yet). Joining
checks that the code at the address is this release's BountyBoard before anything is read from it
(``actions.wallet.join_board``); deploying passes through the usual confirmation dialog with the
EIP-1559 fee read from the node. Either is remembered for this chain (and its genesis) and takes
effect at once for every browser on this dashboard.

Widget keys (stable; the browser tests drive them): ``board_join_address``, ``board_join``,
``board_deploy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from actions import wallet
from formatting import short_address
from ui import tx
from ui.common import backend, current_sender, show_error
from ui.page import plain_errors, tx_button

if TYPE_CHECKING:
    from actions.session import Backend


@st.cache_data(show_spinner=False, max_entries=64)
def _info(settings_key: str, block: int, address_hint: str) -> wallet.BoardInfo:
    return wallet.board_info(backend())


def board_panel(b: Backend, settings_key: str, block: int) -> None:
    """The board line of the Network panel, and the way to join or deploy one."""
    info = _info(settings_key, block, wallet.board_address(b) or "")
    if info.address:
        verdict = "this release's" if info.is_this_release else "not this release's"
        st.caption(f"BountyBoard {short_address(info.address)} · {verdict}", help=info.sentence)
    else:
        st.caption("No BountyBoard on this chain yet: join one by address, or deploy one.")
    with st.expander("Join or deploy a board", expanded=not info.address, icon=":material/hub:"):
        _join_form(b)
        _deploy_button(b)


def _join_form(b: Backend) -> None:
    address = st.text_input(
        "Board address",
        key="board_join_address",
        placeholder="0x…",
        help="The BountyBoard address the bounty's owner shared. Its code is compared with this release's "
        "contract before it is used.",
    )
    if st.button("Join", key="board_join", icon=":material/link:"):
        if not address.strip():
            show_error("Paste the board's address first (0x followed by 40 hex digits).")
            return
        with plain_errors():
            joined = wallet.join_board(b, address.strip())
            st.cache_data.clear()  # every cached read was about the old board
            st.toast(f"Using the BountyBoard at {short_address(joined.address)}", icon=":material/link:")
            st.rerun()


def _deploy_button(b: Backend) -> None:
    sender = current_sender()
    if sender is None:
        st.caption("Create or unlock an account in the Wallet to deploy a board.")
        return
    st.caption("Or start a new board, owned by no one: every bounty on it is its owner's.")
    tx_button(
        "Deploy a new BountyBoard",
        "board_deploy",
        "deploy_board",
        lambda: wallet.deploy_plan(b, sender),
        for_bounty=False,
        icon=":material/rocket_launch:",
    )
    # no cache to clear: the deployment mined a block, and every cached read is keyed by the block
    tx.show_result("deploy_board", for_bounty=False)
