import pytest

from protocol import ACTIVATIONS, LOSSES, RANGES, HyperparameterError, Hyperparameters


def test_tuple_round_trip_keeps_struct_order():
    hp = Hyperparameters(3, 128, 2, 1, 4, 350, 2500)
    assert hp.as_tuple() == (3, 128, 2, 1, 4, 350, 2500)
    assert Hyperparameters.from_tuple(hp.as_tuple()) == hp
    assert hp.activation_name == "tanh" and hp.loss_name == LOSSES[4]
    assert hp.dropout == 0.35 and hp.learning_rate == 0.0025


@pytest.mark.parametrize("name", sorted(RANGES))
def test_every_field_rejects_one_past_each_end(name):
    low, high, _ = RANGES[name]
    for bad in (low - 1, high + 1):
        with pytest.raises(HyperparameterError, match=f"{name} = {bad} is out of range"):
            Hyperparameters(**{name: bad})
    for good in (low, high):
        assert getattr(Hyperparameters(**{name: good}), name) == good


def test_index_lists_match_the_protocol():
    assert ACTIVATIONS[5] == "gelu" and ACTIVATIONS[7] == "linear"
    assert LOSSES[0] == "sparse_categorical_crossentropy" and len(LOSSES) == 5


def test_non_integers_and_unknown_fields_are_refused():
    with pytest.raises(HyperparameterError, match="whole number"):
        Hyperparameters(lstm_units=64.5)
    with pytest.raises(HyperparameterError, match="Unknown hyperparameter"):
        Hyperparameters.from_dict({"lstm_layers": 1, "epochs": 3})
