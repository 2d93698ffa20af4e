"""The one place that turns a submission's hyperparameters into a Keras model.

Owner, participants and verifiers all build through :func:`build_model`, so a submission means
the same network everywhere. Architecture (fixed by the protocol): ``lstm_layers`` LSTM layers
of ``lstm_units`` each followed by Dropout and BatchNormalization, ``dense_layers`` Dense(32)
layers with the chosen activation, and a 2-way softmax; Adam with the chosen learning rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from protocol import HyperparameterError, Hyperparameters

DENSE_UNITS = 32
CLASSES = 2

# what a caller may hand in as a submission's hyperparameters: the dataclass, its dict form, the tuple
HyperparameterLike = Hyperparameters | Mapping[str, Any] | Sequence[int]


def as_hyperparameters(value: HyperparameterLike) -> Hyperparameters:
    """Accept the dataclass, its dict form or the contract's tuple; bad values raise a clear error."""
    if isinstance(value, Hyperparameters):
        return value
    if isinstance(value, Mapping):
        return Hyperparameters.from_dict(dict(value))
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if len(value) != 7:
            raise HyperparameterError(f"A hyperparameter tuple has 7 fields, got {len(value)}.")
        return Hyperparameters(*value)
    raise HyperparameterError(f"Cannot read hyperparameters from {type(value).__name__}.")


def uses_sparse_targets(hp: Hyperparameters) -> bool:
    """Only the sparse loss takes class indices; every other loss needs one-hot targets."""
    return hp.loss_name == "sparse_categorical_crossentropy"


def encode_targets(y: np.ndarray, hp: Hyperparameters) -> np.ndarray:
    """Targets in the form the chosen loss expects."""
    y = np.asarray(y, dtype=np.int32)
    if uses_sparse_targets(hp):
        return y
    return np.eye(CLASSES, dtype=np.float32)[y]


def build_model(hp: HyperparameterLike, sequence_length: int, features: int) -> Any:
    """A compiled Keras model; every input is checked before any layer is made."""
    hp = as_hyperparameters(hp)
    if not 1 <= int(sequence_length) <= 1024:
        raise HyperparameterError(f"sequence_length must be 1..1024, got {sequence_length}.")
    if int(features) < 1:
        raise HyperparameterError(f"The data must have at least one feature, got {features}.")
    import keras  # lazy: keras and jax take seconds to import, pages must not pay that at start-up

    layers = keras.layers
    inputs = keras.Input(shape=(int(sequence_length), int(features)), name="sequence")
    x = inputs
    for i in range(hp.lstm_layers):
        last = i == hp.lstm_layers - 1
        x = layers.LSTM(hp.lstm_units, return_sequences=not last, name=f"lstm_{i + 1}")(x)
        x = layers.Dropout(hp.dropout, name=f"dropout_{i + 1}")(x)
        x = layers.BatchNormalization(name=f"batch_norm_{i + 1}")(x)
    for i in range(hp.dense_layers):
        x = layers.Dense(DENSE_UNITS, activation=hp.activation_name, name=f"dense_{i + 1}")(x)
    outputs = layers.Dense(CLASSES, activation="softmax", name="direction")(x)
    model = keras.Model(inputs, outputs, name="hyperbounty_lstm")
    metric = (
        keras.metrics.SparseCategoricalAccuracy
        if uses_sparse_targets(hp)
        else keras.metrics.CategoricalAccuracy
    )(name="accuracy")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=hp.learning_rate),
        loss=hp.loss_name,
        metrics=[metric],
    )
    return model


def trainable_parameters(hp: Hyperparameters, sequence_length: int, features: int) -> int:
    """Exactly what Keras counts as trainable for :func:`build_model` (a test checks it), known
    without building anything: the manifest's compute budget is checked against it."""
    count = 0
    width = int(features)
    for _ in range(hp.lstm_layers):
        count += 4 * hp.lstm_units * (width + hp.lstm_units + 1)  # kernel, recurrent kernel, bias
        count += 2 * hp.lstm_units  # batch normalization's gamma and beta
        width = hp.lstm_units
    for _ in range(hp.dense_layers):
        count += width * DENSE_UNITS + DENSE_UNITS
        width = DENSE_UNITS
    return count + width * CLASSES + CLASSES


def forward_flops(hp: Hyperparameters, sequence_length: int, features: int) -> int:
    """Multiply-adds x2 of one sequence's forward pass (LSTM gates and dense layers).

    Training one sequence costs about three times this (forward, plus backward for inputs and
    weights); the benchmark compares that with measured epoch times.
    """
    flops = 0
    width = features
    for _ in range(hp.lstm_layers):
        flops += 2 * 4 * hp.lstm_units * (width + hp.lstm_units) * sequence_length
        width = hp.lstm_units
    for _ in range(hp.dense_layers):
        flops += 2 * width * DENSE_UNITS
        width = DENSE_UNITS
    flops += 2 * width * CLASSES
    return flops
