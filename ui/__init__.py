"""Shared Streamlit pieces: the backend resource and cached reads (common), what every page is built
from (page: the error guard, the transaction button, the bounty picker), the sidebar wallet and
network, the transaction dialog, jobs, charts and the evaluation views.

Only this package and pages/ import Streamlit; the work itself is in actions/.
"""
