"""HyperBounty dashboard: the router. `streamlit run dashboard.py`

Only navigation and the sidebar live here; each stage is a page module under
pages/, and every action a page offers is a function in actions/.
Page URLs: /home, /preprocess, /initialize, /submit, /evaluate, /finalize, /disputes, /explorer; a deep link
opened straight after a server restart also gets the full app (``ui.page.require_router``).
Each page ends with ``ui.tx.render_pending()`` (the transaction dialog) rather than this router:
AppTest drops the router's own elements after the first run, and the dialog must be testable.
"""

from datetime import date

import streamlit as st

from ui import sidebar
from ui.page import ROUTED

# Form fields whose values outlive a visit to another page (Streamlit forgets the value of a widget that
# a run does not draw). Values only: a button, an upload or a toggle (bool or None) cannot be kept this way.
KEPT_FIELDS = (
    "hp_",
    "init_",
    "pp_",
    "advance_minutes",
    "eval_workers",
    "account_new_",
    "account_import_",
    "unlock_",
    "fund_",
    "board_join_address",
)


def keep_form_values() -> None:
    """Copy each form field's value into session state as a plain value, so it survives page switches.

    A browser reload starts a new session: nothing of session state can survive it (Streamlit's rule).
    """
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        plain = isinstance(value, (int, float, str, list, tuple, date)) and not isinstance(value, bool)
        if plain and str(key).startswith(KEPT_FIELDS):
            st.session_state[key] = value


def main() -> None:
    """Draw the sidebar and run the chosen page."""
    st.set_page_config(page_title="HyperBounty", page_icon=":material/emoji_events:", layout="wide")
    keep_form_values()
    st.session_state[ROUTED] = True
    sidebar.network_panel()
    sidebar.wallet_panel()
    st.navigation(pages()).run()


def pages() -> dict[str, list]:
    """The navigation: page files by role."""
    return {
        "You": [st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home")],
        "Owner": [
            st.Page(
                "pages/preprocess.py",
                title="Preprocess",
                icon=":material/dataset:",
                url_path="preprocess",
                default=True,
            ),
            st.Page(
                "pages/initialize.py", title="Initialize", icon=":material/add_circle:", url_path="initialize"
            ),
            st.Page(
                "pages/evaluate.py", title="Evaluate", icon=":material/leaderboard:", url_path="evaluate"
            ),
        ],
        "Participant": [
            st.Page("pages/submit.py", title="Submit", icon=":material/upload:", url_path="submit"),
        ],
        "Anyone": [
            st.Page("pages/finalize.py", title="Finalize", icon=":material/payments:", url_path="finalize"),
            st.Page("pages/disputes.py", title="Disputes", icon=":material/gavel:", url_path="disputes"),
            st.Page(
                "pages/explorer.py",
                title="Explorer / Verify",
                icon=":material/travel_explore:",
                url_path="explorer",
            ),
        ],
    }


# Streamlit registers this script as the ``__main__`` module, and every worker process started with
# the *spawn* method (training jobs in actions/jobs.py, ml/runner.py's pool) re-runs the parent's main
# script as ``__mp_main__`` before it unpickles its task. Without this guard each worker would draw
# the sidebar and connect to the chain. Importing stays cheap: streamlit and ui modules, no chain yet.
if __name__ != "__mp_main__":
    main()
