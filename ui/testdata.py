"""Explorer: rebuild a forward test's data by its manifest's rule and compare it with the revealed file.

Widget key: ``exp_rebuild_test`` ("Rebuild test data"). The outcome stays in
``st.session_state["exp_testdata:<bounty id>"]`` as ``(kind, text)`` with kind ``match``,
``mismatch`` or ``error``, so it is still shown after the next rerun.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from actions import verify_data
from actions.errors import plain_error
from ui.common import backend

if TYPE_CHECKING:
    from chain.client import Bounty


def panel(bounty: Bounty) -> None:
    """The "Rebuild test data" box for ``bounty``."""
    with st.container(border=True):
        st.subheader(":material/dataset_linked: Rebuild the test data")
        if not bounty.forward_test:
            st.caption(
                "Private test split: there is no public rule to rebuild it by. Its reveal was checked on "
                "chain against the commitment made at creation, which already binds the file."
            )
            return
        st.caption(
            "Forward test: the test file is built by the manifest's public rule from a public source, "
            "after its window closed. Rebuild it here and compare it with the file the owner revealed."
        )
        if not bounty.test_data_revealed:
            st.caption("Nothing to compare yet: the owner has not revealed the test data.")
            return
        result_key = f"exp_testdata:{bounty.id}"
        if st.button("Rebuild test data", key="exp_rebuild_test", icon=":material/restart_alt:"):
            with st.spinner("Rebuilding the test file from the public source…"):
                st.session_state[result_key] = _check(bounty.id)
        shown = st.session_state.get(result_key)
        if shown is None:
            return
        kind, text = shown
        if kind == "match":
            st.success(text, icon=":material/verified:")
        elif kind == "mismatch":
            st.error(text, icon=":material/gpp_bad:")
        else:
            st.error(text, icon=":material/error:")


def _check(bounty_id: int) -> tuple[str, str]:
    try:
        check = verify_data.check_test_data(backend(), bounty_id)
    except Exception as exc:
        return "error", plain_error(exc)
    return ("match" if check.matches else "mismatch"), check.summary()
