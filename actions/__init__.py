"""The plain functions behind every dashboard action, usable without Streamlit.

Pages (and the headless flow, ``cli/``) act through this package: it wires chain/,
ml/ and storage/ together, keeps amounts in wei, takes deadlines from chain time and
turns lower-layer errors into sentences. Nothing here imports Streamlit.

Types needed only in annotations (``actions.session.Backend``, the chain's records)
are imported under ``TYPE_CHECKING``. Nothing here imports keras or jax at start-up:
ml/ loads them lazily, when it trains or builds a dataset.
"""
