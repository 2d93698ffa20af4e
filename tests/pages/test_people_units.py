"""Hyperparameters in people's units on the Submit page, the contract's integers on chain (issue 12)."""

from __future__ import annotations

import pytest

from actions.session import get_backend
from actions.submissions import form_values, hyperparameters_from_form
from protocol import HyperparameterError, Hyperparameters
from tests.actions import scenario
from tests.pages.harness import click, errors, open_page

PEOPLE = {
    "lstm_layers": 1,
    "lstm_units": 8,
    "dense_layers": 0,
    "dropout_percent": 20.0,
    "learning_rate": 0.001,
}


def test_people_units_become_the_contracts_integers_exactly() -> None:
    hp = hyperparameters_from_form(PEOPLE)
    assert hp.learning_rate_micro == 1000 and hp.dropout_permille == 200
    assert form_values(hp)["learning_rate"] == 0.001 and form_values(hp)["dropout_percent"] == 20.0
    assert hyperparameters_from_form(form_values(Hyperparameters())) == Hyperparameters()
    stepped = hyperparameters_from_form({**PEOPLE, "learning_rate": 0.001 + 0.0001, "dropout_percent": 12.5})
    assert stepped.learning_rate_micro == 1100 and stepped.dropout_permille == 125  # float noise, not intent


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("learning_rate", 0.0000015, r"learning rate 1\.5e-06 is finer than the contract keeps"),
        ("dropout_percent", 12.34, r"dropout 12\.34 is finer than the contract keeps: use steps of 0\.1 %"),
        ("learning_rate", None, r"learning rate must be a number"),
    ],
)
def test_a_value_finer_than_the_contract_keeps_is_refused_in_words(
    field: str, value: object, words: str
) -> None:
    with pytest.raises(HyperparameterError, match=words):
        hyperparameters_from_form({**PEOPLE, field: value})


def test_the_form_shows_0_001_and_20_percent_and_commits_1000_micro_and_200_permille() -> None:
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    who = b.accounts()[1].address
    at = open_page("submit", account=who)
    assert at.number_input(key="hp_learning_rate").value == pytest.approx(0.001)
    assert at.number_input(key="hp_dropout_percent").value == 20.0
    assert "Learning rate" in [n.label for n in at.number_input]
    at.number_input(key="hp_learning_rate").set_value(0.002).run()
    at.number_input(key="hp_dropout_percent").set_value(15.0).run()
    click(at, "submit_commit")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    secret = b.client.stored_secret(bounty_id, who)
    assert secret.hyperparameters.learning_rate_micro == 2000
    assert secret.hyperparameters.dropout_permille == 150


def test_fields_set_in_the_contracts_units_are_shown_in_peoples() -> None:
    b = get_backend()
    scenario.create_bounty(b)
    at = open_page(
        "submit", account=b.accounts()[1].address, hp_learning_rate_micro=5000, hp_dropout_permille=350
    )
    assert at.number_input(key="hp_learning_rate").value == pytest.approx(0.005)
    assert at.number_input(key="hp_dropout_percent").value == 35.0
