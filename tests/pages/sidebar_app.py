"""The dashboard's sidebar alone, for AppTest (which drops a router's own widgets after st.navigation)."""

from ui import sidebar

sidebar.network_panel()
sidebar.wallet_panel()
