"""The plain functions behind every dashboard action, usable without Streamlit.

Pages (and the headless flow) call only this package: it wires chain/, ml/ and
storage/ together, keeps amounts in wei, takes deadlines from chain time and
turns lower-layer errors into sentences. Nothing here imports Streamlit.
"""
