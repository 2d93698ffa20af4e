"""The building blocks every page is made of, so a page is only its panels.

* :func:`plain_errors`: the one guard around a read or an action. A failure is shown as a plain
  sentence (``ui.common.show_error``) and the page goes on after the block, or, with
  ``stop=True``, stops there (a page that cannot read what it is about has nothing else to show).
* :func:`tx_button`: a button that builds a transaction plan and opens the confirmation dialog
  (``ui.tx``); a plan that cannot be built (wrong phase, bad input) is a plain error instead.
  :class:`ButtonState` is how a page says a step is done, not open yet, or next (label, enabled,
  primary, reason).
* :func:`bounty_picker`, :func:`picked_bounty`, :func:`bounty_and_sender`: the bounty a page is
  about (and who signs), or the page stops with nothing but its pending dialog; the picked bounty's
  window ticks below the picker (``ui.clock.countdown``).
* :func:`require_router`: a page's first call, so a deep link after a server restart gets the full app.

A stopped page still calls ``ui.tx.render_pending`` (:func:`stop_page`): a dialog opened by an earlier
run stays open whatever the page can show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from actions.bounties import bounty_label, bounty_rows
from ui import clock, tx
from ui.common import backend, bounties, bounty, current_sender, select_bounty, selected_bounty, show_error

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from actions.tx import TxPlan
    from chain.accounts import Sender
    from chain.client import Bounty


ROUTED = "routed"  # session key the router (dashboard.py) sets on each of its runs


def require_router() -> None:
    """Every page's first call: make sure this run went through the router (dashboard.py).

    Streamlit treats a ``pages/`` folder as old-style pages until ``st.navigation`` has run once in the
    server process: after a restart, a deep link (``/evaluate``) would run the page file alone, with
    no Network or Wallet panel and the narrow layout. Here that mode is switched off and the run starts
    again, now through the router, on the same page (its URL path names it). Only a session the router
    never ran for is sent back (a fresh one holds no click to lose): AppTest, which starts every run in
    that old mode, runs a page after the router's first run as it always did.
    """
    if PagesManager.uses_pages_directory and not st.session_state.get(ROUTED):
        PagesManager.uses_pages_directory = False
        st.rerun()


def stop_page() -> NoReturn:
    """End this run of the page: open the pending confirmation dialog (if any), then stop."""
    tx.render_pending()
    st.stop()
    raise AssertionError("st.stop() stops only inside a Streamlit script run")  # pragma: no cover


@contextmanager
def plain_errors(*, stop: bool = False) -> Iterator[None]:
    """Run the block; if it raises, show the plain error and skip the rest of the block.

    The page goes on after the block, or, with ``stop=True``, stops (:func:`stop_page`). Streamlit's
    own control flow (``st.rerun``, ``st.stop``) is not an ``Exception`` and passes through.
    """
    try:
        yield
    except Exception as exc:
        show_error(exc)
        if stop:
            stop_page()


class ButtonState(NamedTuple):
    """How a page draws an action's button: a done or not-yet-open step is disabled or secondary,
    with the reason next to it; the next step is primary."""

    label: str
    enabled: bool
    primary: bool
    reason: str


def tx_button(
    label: str,
    key: str,
    request_key: str,
    build_plan: Callable[[], TxPlan],
    *,
    problems: Sequence[str] = (),
    where: DeltaGenerator | None = None,
    for_bounty: bool = True,
    **button: Any,
) -> bool:
    """A button that asks for confirmation of a transaction; returns whether it was clicked.

    On click, ``build_plan()`` makes the plan and ``ui.tx.request(request_key, plan)`` opens the
    dialog (the page calls ``ui.tx.show_result(request_key)`` where the outcome belongs). If
    building fails, its plain error is shown; ``problems`` (input already known to be wrong) are
    shown instead of building at all. ``where`` is a column or container (default: the page);
    ``for_bounty=False``: the outcome belongs to the account alone (creating a bounty), not to the
    selected bounty; ``button`` goes to ``st.button`` (``type``, ``icon``, ``disabled``...).
    """
    clicked = (where or st).button(label, key=key, **button)
    if clicked:
        for problem in problems:
            show_error(problem)
        if not problems:
            with plain_errors():
                tx.request(request_key, build_plan(), for_bounty=for_bounty)
    return clicked


def bounty_picker(key: str, label: str = "Bounty", table_key: str | None = None) -> Bounty | None:
    """A selectbox of every bounty (newest first) bound to the session's selected bounty; with
    ``table_key``, the table of all bounties above it (the overview pages show both)."""
    known: list[Bounty] | None = None
    with plain_errors():
        known = bounties()
    if known is None:
        return None
    if table_key is not None and known:
        with plain_errors():  # the table is an overview: the picker still works without it
            st.dataframe(pd.DataFrame(bounty_rows(backend(), known)), hide_index=True, key=table_key)
    if not known:
        st.info("No bounty exists yet: the owner creates one on the Initialize page.", icon=":material/info:")
        return None
    ids = [b.id for b in known]
    chosen = selected_bounty()
    if st.session_state.get(key) not in ids:
        st.session_state[key] = chosen if chosen in ids else ids[0]
    now = backend().now()
    labels = {b.id: bounty_label(b, now) for b in known}
    picked = st.selectbox(label, ids, key=key, format_func=lambda i: labels.get(i, str(i)))
    select_bounty(picked)
    chosen_bounty = bounty(picked)
    if chosen_bounty is not None:
        clock.countdown(chosen_bounty)
    return chosen_bounty


def picked_bounty(key: str, table_key: str | None = None) -> Bounty:
    """The bounty chosen in :func:`bounty_picker`, or the page stops (no bounty, or none readable)."""
    chosen = bounty_picker(key, table_key=table_key)
    if chosen is None:
        stop_page()
    return chosen


def bounty_and_sender(key: str, table_key: str | None = None) -> tuple[Bounty, Sender]:
    """The chosen bounty and the wallet's signer, or the page stops when either is missing."""
    chosen = bounty_picker(key, table_key=table_key)
    sender = current_sender()
    if chosen is None or sender is None:
        stop_page()
    return chosen, sender
