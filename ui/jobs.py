"""Show a background job (actions.jobs) and poll it while it runs.

The panel is a fragment that reruns itself every second while the job is
active, so only the panel redraws (the page stays usable), and asks for one full
rerun when the job ends so the page can act on its result. The job lives in the
process-wide runner: switching pages or reloading keeps it, and its result.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from actions.jobs import CANCELLED, DONE, FAILED, JobView
from formatting import duration
from ui.common import backend

POLL_S = 1.0


def panel(
    key: str, body: Callable[[JobView], None] | None = None, cancel_label: str = "Cancel"
) -> JobView | None:
    """Draw the job under ``key`` (progress, message, then ``body(view)``); None when no such job."""
    view = backend().jobs.get(key)
    if view is None:
        return None
    seen_active = f"job_active:{key}"

    @st.fragment(run_every=POLL_S if view.active else None)
    def _poll() -> None:
        current = backend().jobs.get(key)
        if current is None:
            return
        st.progress(
            current.fraction, text=f"{current.title}: {current.message} ({duration(current.elapsed)})"
        )
        if body is not None:
            body(current)
        if current.active:
            st.session_state[seen_active] = True
            if st.button(cancel_label, key=f"cancel:{key}", icon=":material/stop_circle:"):
                backend().jobs.cancel(key)
        elif st.session_state.pop(seen_active, False):
            st.rerun(scope="app")  # the job just ended: let the page use its result
        if current.state == FAILED:
            st.error(f"{current.title} failed: {current.error}", icon=":material/error:")
        elif current.state == CANCELLED:
            st.warning(f"{current.title} was cancelled.", icon=":material/stop_circle:")
        elif current.state == DONE:
            st.caption(f":material/check_circle: {current.title} finished in {duration(current.elapsed)}.")

    _poll()
    return backend().jobs.get(key)
