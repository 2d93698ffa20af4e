"""Shared Streamlit pieces: backend resource, sidebar wallet and network, transaction dialog, jobs, charts.

Only this package and pages/ import Streamlit; the work itself is in actions/.
"""
