"""The hyperparameters a submission carries, exactly as the BountyBoard contract stores them.

Shared by ``chain/`` (encodes them for the contract) and ``ml/`` (builds the model), so it
imports neither web3 nor keras. The fields, ranges and index lists are those of the contract's
``Hyperparameters`` struct (``contracts/IBountyBoard.sol``), whose ranges
``contracts/BountyBoard.sol`` checks at reveal. ``RANGES`` is the one Python copy of them: this
module checks them before anything is sent or trained, with a message a person can act on, and
``tests/chain/test_contract_rules.py`` fails when ``RANGES`` and the contract disagree.

People type a learning rate as ``0.001`` and a dropout as ``20 %``; the contract keeps whole numbers
(millionths, thousandths). :func:`learning_rate_micro_from` and :func:`dropout_permille_from` are the
one conversion between the two, exact (``Decimal``): a value finer than the contract can hold is
refused in words, never rounded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid", "elu", "selu", "gelu", "swish", "linear")
LOSSES: tuple[str, ...] = (
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "mean_squared_error",
    "categorical_hinge",
)

# field -> (minimum, maximum, what it means for a person); the contract accepts exactly these ranges
RANGES: dict[str, tuple[int, int, str]] = {
    "lstm_layers": (1, 4, "number of stacked LSTM layers"),
    "lstm_units": (4, 512, "units in each LSTM layer"),
    "dense_layers": (0, 4, "hidden Dense(32) layers before the softmax"),
    "activation": (0, len(ACTIVATIONS) - 1, "activation of the dense layers: " + ", ".join(ACTIVATIONS)),
    "loss": (0, len(LOSSES) - 1, "loss function: " + ", ".join(LOSSES)),
    "dropout_permille": (0, 800, "dropout after each LSTM layer, in thousandths (0..0.8)"),
    "learning_rate_micro": (1, 100_000, "Adam's learning rate in millionths (1e-6..0.1)"),
}


class HyperparameterError(ValueError):
    """A hyperparameter outside the range the contract accepts."""


MICRO_PER_UNIT = 1_000_000  # learning_rate_micro per unit of learning rate
PERMILLE_PER_PERCENT = 10  # dropout_permille per percent of dropout
FLOAT_NOISE = Decimal("1e-6")  # of one contract unit


def _scaled(value: object, scale: int, what: str, finest: str) -> int:
    """``value`` (as typed: int, float or text) times ``scale``, which must come out whole."""
    if isinstance(value, bool) or value is None:
        raise HyperparameterError(f"{what} must be a number, got {value!r}.")
    try:
        exact = Decimal(str(value)) * scale
    except InvalidOperation:
        raise HyperparameterError(f"{what} must be a number, got {value!r}.") from None
    if not exact.is_finite():
        raise HyperparameterError(f"{what} must be a number, got {value!r}.")
    whole = exact.to_integral_value()
    # a binary float's last digit (0.0011000000000000001 from a number input's step) is noise, not intent
    if abs(exact - whole) > FLOAT_NOISE:
        raise HyperparameterError(f"{what} {value} is finer than the contract keeps: use steps of {finest}.")
    return int(whole)


def learning_rate_micro_from(learning_rate: object) -> int:
    """A learning rate as people write it (``0.001``) -> the contract's millionths (``1000``)."""
    return _scaled(learning_rate, MICRO_PER_UNIT, "The learning rate", "0.000001")


def dropout_permille_from(percent: object) -> int:
    """A dropout in percent (``20``) -> the contract's thousandths (``200``)."""
    return _scaled(percent, PERMILLE_PER_PERCENT, "The dropout", "0.1 %")


def learning_rate_of(micro: int) -> float:
    """The contract's millionths as the learning rate people read (``1000`` -> ``0.001``)."""
    return float(Decimal(int(micro)) / MICRO_PER_UNIT)


def dropout_percent_of(permille: int) -> float:
    """The contract's thousandths as a percentage (``200`` -> ``20.0``)."""
    return float(Decimal(int(permille)) / PERMILLE_PER_PERCENT)


@dataclass(frozen=True)
class Hyperparameters:
    """One submission. Field order is the order of the Solidity struct."""

    lstm_layers: int = 2
    lstm_units: int = 64
    dense_layers: int = 1
    activation: int = 0
    loss: int = 0
    dropout_permille: int = 200
    learning_rate_micro: int = 1000

    def __post_init__(self) -> None:
        for name, (low, high, meaning) in RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise HyperparameterError(f"{name} must be a whole number ({meaning}), got {value!r}.")
            if not low <= value <= high:
                raise HyperparameterError(
                    f"{name} = {value} is out of range: allowed {low}..{high} ({meaning})."
                )

    @property
    def activation_name(self) -> str:
        return ACTIVATIONS[self.activation]

    @property
    def loss_name(self) -> str:
        return LOSSES[self.loss]

    @property
    def dropout(self) -> float:
        return self.dropout_permille / 1000

    @property
    def learning_rate(self) -> float:
        return self.learning_rate_micro / 1_000_000

    def as_tuple(self) -> tuple[int, ...]:
        """The ABI tuple for the contract's ``Hyperparameters`` struct."""
        return tuple(getattr(self, f.name) for f in fields(self))

    @classmethod
    def from_tuple(cls, values: tuple[int, ...] | list[int]) -> Hyperparameters:
        return cls(*(int(v) for v in values))

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hyperparameters:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise HyperparameterError(f"Unknown hyperparameter field(s): {', '.join(sorted(unknown))}.")
        return cls(**data)

    def describe(self) -> str:
        return (
            f"{self.lstm_layers}x{self.lstm_units} LSTM, {self.dense_layers} dense ({self.activation_name}), "
            f"{self.loss_name}, dropout {dropout_percent_of(self.dropout_permille):g} %, "
            f"learning rate {self.learning_rate:g}"
        )
