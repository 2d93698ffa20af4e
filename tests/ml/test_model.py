"""The one model builder: architecture, losses and target encodings, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest

from ml.model import as_hyperparameters, build_model, encode_targets, forward_flops, uses_sparse_targets
from protocol import LOSSES, HyperparameterError, Hyperparameters


def _kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_architecture_follows_the_hyperparameters():
    hp = Hyperparameters(lstm_layers=2, lstm_units=8, dense_layers=2, activation=1, dropout_permille=300)
    model = build_model(hp, sequence_length=6, features=4)
    assert _kinds(model) == [
        "InputLayer", "LSTM", "Dropout", "BatchNormalization", "LSTM", "Dropout", "BatchNormalization",
        "Dense", "Dense", "Dense",
    ]  # fmt: skip
    lstm_1, lstm_2 = (model.get_layer(f"lstm_{i}") for i in (1, 2))
    assert lstm_1.units == 8 and lstm_1.return_sequences and not lstm_2.return_sequences
    assert model.get_layer("dropout_1").rate == pytest.approx(0.3)
    assert model.get_layer("dense_1").units == 32
    assert model.get_layer("dense_1").activation.__name__ == "tanh"
    assert model.get_layer("direction").units == 2
    assert model.output_shape == (None, 2)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)


@pytest.mark.parametrize("loss", range(len(LOSSES)))
def test_every_loss_trains_a_step_with_the_right_target_encoding(loss):
    hp = Hyperparameters(lstm_layers=1, lstm_units=4, dense_layers=0, loss=loss)
    model = build_model(hp, 3, 2)
    y = np.array([0, 1, 1, 0])
    targets = encode_targets(y, hp)
    assert targets.shape == ((4,) if uses_sparse_targets(hp) else (4, 2))
    history = model.fit(np.zeros((4, 3, 2), np.float32), targets, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert "accuracy" in history.history


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"lstm_layers": 5}, "lstm_layers = 5 is out of range"),
        ({"lstm_units": 2.5}, "lstm_units must be a whole number"),
        ({"activation": 8}, "activation = 8 is out of range"),
        ({"nonsense": 1}, "Unknown hyperparameter"),
        ((1, 2, 3), "7 fields"),
        ("2x64", "Cannot read hyperparameters"),
    ],
)
def test_invalid_hyperparameters_are_refused_before_any_layer(value, message):
    with pytest.raises(HyperparameterError, match=message):
        build_model(value, 5, 2)


def test_shape_problems_are_refused():
    with pytest.raises(HyperparameterError, match="sequence_length"):
        build_model(Hyperparameters(), 0, 2)
    with pytest.raises(HyperparameterError, match="feature"):
        build_model(Hyperparameters(), 5, 0)


def test_contract_tuple_and_dict_forms_are_accepted():
    hp = Hyperparameters(3, 16, 0, 2, 1, 100, 500)
    assert as_hyperparameters(hp.as_tuple()) == hp
    assert as_hyperparameters(hp.to_dict()) == hp


def test_forward_flops_counts_lstm_gates_and_dense_layers():
    hp = Hyperparameters(lstm_layers=1, lstm_units=10, dense_layers=1)
    # 2 * 4 gates * 10 * (3 + 10) per step * 5 steps, then 10->32, then 32->2
    assert forward_flops(hp, 5, 3) == 2 * 4 * 10 * 13 * 5 + 2 * 10 * 32 + 2 * 32 * 2
    bigger = Hyperparameters(lstm_layers=2, lstm_units=10, dense_layers=1)
    assert forward_flops(bigger, 5, 3) == forward_flops(hp, 5, 3) + 2 * 4 * 10 * 20 * 5


@pytest.mark.parametrize(
    "hp",
    [
        Hyperparameters(),
        Hyperparameters(lstm_layers=3, lstm_units=128, dense_layers=0),
        Hyperparameters(lstm_layers=1, lstm_units=4, dense_layers=4, activation=7),
    ],
)
def test_trainable_parameters_match_what_keras_counts(hp):
    from ml.model import trainable_parameters

    model = build_model(hp, 12, 8)
    keras_count = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable_parameters(hp, 12, 8) == keras_count


def test_a_model_over_the_compute_budget_is_refused_before_training(tiny_task):
    from ml.manifest import TaskManifest
    from ml.preprocess import prepare
    from ml.train import TrainingFailed, train_submission

    manifest, files = tiny_task
    data = manifest.model_dump()
    data["evaluation"]["max_parameters"] = 10_000
    tight = TaskManifest.model_validate(data)
    prepared = prepare(tight, {k: files[k] for k in ("train", "validation")})
    with pytest.raises(TrainingFailed, match="compute budget of 10,000"):
        train_submission(tight, prepared, Hyperparameters(lstm_layers=2, lstm_units=64))
