"""HyperBounty in a terminal: ``python -m cli flow`` runs the dashboard's whole flow headless.

It is the scripted twin of the dashboard: every step calls the same function of
``actions/`` that a page's button calls, so a demo on a server with no browser
shows exactly what the pages would do.
"""
