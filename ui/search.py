"""The Submit page's Search panel: an Optuna study over the contract's ranges, run in the background.

Why a panel of its own: a participant tries many hyperparameter sets, not one; the study
(``actions.search``, ``ml.search``) runs its trials in parallel on the executor while the page
stays usable, survives a restart (it lives in this data dir), and "Use best" puts its best
trial into the Submit form, ready to commit.

Widget keys: ``search_trials`` (trials), ``search_minutes`` (time budget, 0: none),
``search_start`` ("Start search"), ``search_stop`` ("Stop"), ``search_use_best`` ("Use best":
fills the form's ``hp_*`` keys), charts ``search_history`` (optimisation history) and
``search_importance`` (parameter importance), table ``search_table`` (every trial).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from actions import search, submissions
from ui import jobs
from ui.common import backend
from ui.page import plain_errors

if TYPE_CHECKING:
    from actions.search import SearchView
    from ml.manifest import TaskManifest

REFRESH_S = 2.0


def use_best(best: dict[str, int]) -> None:
    """Button callback (runs before the next script run): the best trial into the Submit form."""
    for name, value in best.items():
        st.session_state[f"hp_{name}"] = int(value)


def search_panel(bounty_id: int, participant: str) -> None:
    """The Search panel of one bounty for one participant."""
    with st.container(border=True):
        st.subheader(":material/travel_explore: Search (optional, Optuna on this machine or a Ray cluster)")
        st.caption(
            "Tries many hyperparameter sets (TPE over the contract's ranges) under the bounty's protocol "
            "on the published training and validation data, several at a time; clearly weak trials are "
            "pruned after an epoch. The study is kept in this data folder and continues after a restart."
        )
        key = search.search_key(bounty_id, participant)
        view = backend().jobs.get(key)
        running = view is not None and view.active
        left, middle, start, stop = st.columns(4, vertical_alignment="bottom")
        trials = left.number_input("Trials", min_value=1, max_value=1000, value=30, key="search_trials")
        minutes = middle.number_input(
            "Time budget (minutes, 0: none)", min_value=0, max_value=24 * 60, value=0, key="search_minutes"
        )
        if start.button("Start search", key="search_start", icon=":material/play_arrow:", disabled=running):
            with plain_errors():
                search.start_search(
                    backend(), bounty_id, participant, int(trials), float(minutes) * 60 or None
                )
        if stop.button("Stop", key="search_stop", icon=":material/stop_circle:", disabled=not running):
            search.stop_search(backend(), bounty_id, participant)
        jobs.panel(key, cancel_label="Stop search")
        manifest = _manifest(bounty_id)
        if manifest is None:
            return
        study = search.search_view(backend().settings, bounty_id, manifest)
        if study is None:
            st.caption("No search on this bounty yet.")
            return
        _best(study)
        _study(bounty_id, manifest, running)


def _manifest(bounty_id: int) -> TaskManifest | None:
    key = f"manifest:{bounty_id}"  # a bounty's manifest never changes: fetched once per session
    if key not in st.session_state:
        with plain_errors():
            st.session_state[key] = submissions.task_manifest(backend(), bounty_id)
    return st.session_state.get(key)


def _best(view: SearchView) -> None:
    if view.best is None or view.best_value_ppm is None:
        st.caption("No finished trial yet.")
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.metric(
        "Best validation accuracy so far",
        f"{view.best_value_ppm / 10_000:.2f} %",
        help=", ".join(f"{k} {v}" for k, v in view.best.items()),
    )
    right.button(
        "Use best",
        key="search_use_best",
        icon=":material/input:",
        on_click=use_best,
        args=(view.best,),
        help="Put the best trial's hyperparameters into the form above, ready to commit.",
    )


def _study(bounty_id: int, manifest: TaskManifest, running: bool) -> None:
    @st.fragment(run_every=REFRESH_S if running else None)
    def _charts() -> None:
        view = search.search_view(backend().settings, bounty_id, manifest)
        if view is None:
            return
        import optuna.visualization as vis

        if view.completed:
            st.plotly_chart(vis.plot_optimization_history(view.study), key="search_history")
        importance = _importance_figure(view)
        if importance is not None:
            st.plotly_chart(importance, key="search_importance")
        st.dataframe(pd.DataFrame(view.trials), hide_index=True, key="search_table")

    _charts()


def _importance_figure(view: SearchView) -> Any | None:
    """Parameter importance (PED-ANOVA: no scikit-learn needed), once enough trials finished."""
    if view.completed < 4:
        return None
    import optuna.visualization as vis
    from optuna.importance import PedAnovaImportanceEvaluator

    try:
        return vis.plot_param_importances(view.study, evaluator=PedAnovaImportanceEvaluator())
    except Exception:  # too few distinct trials for the evaluator: the chart waits for more
        return None
