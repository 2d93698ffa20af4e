"""The one clock every page shows: "now" is the time the next transaction will see.

``Backend.now()`` (``ChainConnection.next_block_time``) is the pending block's timestamp: on an idle
dev chain it runs ahead of the latest block, so deadlines, phases and countdowns count from it, and
the chain's verdict on a transaction sent now matches what the page says. The two widgets here tick
once a second as fragments (``st.fragment(run_every=...)``), without rerunning the page:

* :func:`sidebar_clock`: the latest block and chain time now (key ``chain_clock``);
* :func:`countdown`: the selected bounty's window and the time left in it (key ``countdown``); when a
  window ends it reruns the whole page, so the phase, the buttons and the tables move on at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import streamlit as st

from actions.bounties import window_of
from actions.errors import plain_error
from formatting import duration, utc
from ui.common import backend

if TYPE_CHECKING:
    from chain.client import Bounty

TICK = timedelta(seconds=1)


def now() -> int:
    """Chain time now (the next transaction's timestamp)."""
    return backend().now()


def deadlines(bounty: Bounty) -> tuple[int, int, int]:
    return (bounty.submission_deadline, bounty.reveal_deadline, bounty.evaluation_deadline)


def window_text(bounty: Bounty, at: int) -> str:
    """ "Submission · 4 min 12 s left (until 19:27:00 UTC)", or the phase alone when no deadline is ahead."""
    phase, left = window_of(bounty, at)
    if left is None:
        return f"{phase} · no deadline ahead"
    return f"{phase} · {duration(left)} left (until {utc(at + left)})"


@st.fragment(run_every=TICK)
def sidebar_clock() -> None:
    """Latest block and chain time now, refreshed every second (a fragment: the page does not rerun)."""
    with st.container(key="chain_clock"):
        try:
            number, _ = backend().latest_block()
            at = now()
        except Exception as exc:
            st.error(plain_error(exc), icon=":material/cloud_off:")
            return
        st.caption(f"Block {number} · now {utc(at)}")


def countdown(bounty: Bounty) -> None:
    """The bounty's current window and the time left in it, ticking every second."""
    _countdown(bounty, now())


@st.fragment(run_every=TICK)
def _countdown(bounty: Bounty, seen: int) -> None:
    """``seen``: "now" when the page drew the bounty; once a deadline lies between it and now, the
    page's phase is stale and the whole app reruns."""
    at = now()
    if any(seen < deadline <= at for deadline in deadlines(bounty)):
        st.rerun(scope="app")
    with st.container(key="countdown"):
        st.markdown(f":material/timer: **{window_text(bounty, at)}**")
