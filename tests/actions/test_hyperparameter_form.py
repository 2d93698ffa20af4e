"""The Submit form's numbers become hyperparameters exactly, or a sentence; never a silent truncation."""

from __future__ import annotations

import pytest

from actions.submissions import hyperparameters_from_form
from protocol import HyperparameterError, Hyperparameters

FORM = {"lstm_layers": 2, "lstm_units": 64.0, "dense_layers": 1, "dropout_permille": 200}


def test_whole_numbers_from_number_inputs_are_taken_as_they_are() -> None:
    hp = hyperparameters_from_form(FORM)
    assert hp == Hyperparameters(lstm_layers=2, lstm_units=64, dense_layers=1, dropout_permille=200)
    assert isinstance(hp.lstm_units, int)


@pytest.mark.parametrize("value", [2.7, None, "3"])
def test_a_fraction_or_an_empty_field_is_refused_in_words(value: object) -> None:
    with pytest.raises(HyperparameterError, match=r"^lstm_layers must be a whole number \(number of stacked"):
        hyperparameters_from_form({**FORM, "lstm_layers": value})
