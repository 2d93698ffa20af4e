"""Submit's Search panel (ui/search.py): a stored study shows its trials, and "Use best" fills the form."""

from __future__ import annotations

import pytest

from actions import search as search_actions
from actions import submissions, tasks
from actions.session import get_backend
from ml import search
from ml.executor import InlineExecutor
from protocol import Hyperparameters
from tests.actions import scenario
from tests.ml.test_search import SMALL_MODELS
from tests.pages.harness import click, errors, open_page, texts

# the Submit form's number fields, in people's units (the contract's integers: actions.submissions)
FORM = ("lstm_layers", "lstm_units", "dense_layers", "dropout_percent", "learning_rate")


@pytest.mark.slow
def test_use_best_puts_the_best_trial_into_the_submit_form():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    who = b.accounts()[1].address
    manifest, files = tasks.fetch_task(b, bounty_id)
    with InlineExecutor() as executor:
        result = search.run_search(
            manifest,
            files,
            search_actions.study_path(b.settings, bounty_id),
            study_name=search_actions.study_name(manifest),
            trials=2,
            executor=executor,
            seed=5,
            limits=SMALL_MODELS,
        )
    best = result.best_hyperparameters
    assert best is not None
    at = open_page("submit", account=who)
    assert not errors(at), errors(at)
    assert "Best validation accuracy so far" in texts(at)
    assert any(frame.value.shape[0] == 2 and "value_ppm" in frame.value for frame in at.dataframe)
    click(at, "search_use_best")
    assert not errors(at), errors(at)
    shown = submissions.form_values(Hyperparameters.from_dict(best))
    for name in FORM:
        assert at.number_input(key=f"hp_{name}").value == pytest.approx(shown[name]), name
    assert at.selectbox(key="hp_activation").value == best["activation"]
    assert at.selectbox(key="hp_loss").value == best["loss"]
