"""HyperBounty dashboard entry point (placeholder until the dashboard issue lands)."""

import streamlit as st

st.set_page_config(page_title="HyperBounty", page_icon=":material/emoji_events:", layout="wide")
st.title("HyperBounty")
st.write("A trustless market for LSTM hyperparameter search. The stage pages are on their way.")
