"""The sidebar alone plus the confirmation dialog, for AppTest (which drops a router's own widgets after
st.navigation, so the dashboard's sidebar cannot be driven through dashboard.py)."""

from ui import sidebar, tx

sidebar.network_panel()
sidebar.wallet_panel()
tx.render_pending()
