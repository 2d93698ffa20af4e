"""The task manifest: everything needed to rebuild the data and reproduce an evaluation.

Its bytes are canonical (sorted keys, fixed indentation, integers where a float could drift),
so the same manifest always has the same CIDv0, and the sha256 inside that CID is the
``manifestDigest`` the contract stores. The test split's CID is deliberately absent: the owner
commits to its digest on chain and publishes the file only at ``revealTestData``.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import storage
from ml.data import INTERVALS, DataError

MANIFEST_FORMAT: Final = "hyperbounty-task/1"
SPLIT_FORMAT: Final = "hyperbounty-split-csv/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSpec(_Strict):
    """Where the candles came from and the CIDs of the published split files."""

    source: Literal["bundled", "coinpaprika", "upload"]
    description: str = Field(max_length=2000)
    format: Literal["hyperbounty-split-csv/1"] = SPLIT_FORMAT
    train_cid: str
    validation_cid: str
    first_time: int = Field(ge=0, description="first candle (Unix seconds) across all splits")
    last_time: int = Field(ge=0, description="last candle (Unix seconds) across all splits")
    rows: dict[Literal["train", "validation", "test"], int]

    @field_validator("train_cid", "validation_cid")
    @classmethod
    def _cid(cls, value: str) -> str:
        return storage.normalize_cid(value)


class FeatureSpec(_Strict):
    """How features are computed from each split file (see ml/preprocess.py)."""

    columns: tuple[Literal["close", "volume"], ...] = ("close", "volume")
    transform: Literal["pct_change"] = "pct_change"
    scaling: Literal["robust"] = "robust"  # (x - median) / IQR, fitted on the training split only
    clip: int = Field(default=10, ge=1, le=1000)  # scaled values are clipped to [-clip, clip]
    fitted_on: Literal["train"] = "train"


class TestSpec(_Strict):
    """Where the test data comes from, and so who could know it when.

    ``private``: the owner's own test split, kept off IPFS and committed on chain by digest at
    creation (``testDataCommitment``), published at ``revealTestData``.
    ``forward``: the candles of a window ``[start_time, start_time + duration_s)`` from a public
    source; the bounty is created with a zero commitment. With ``start_time`` None the window
    starts at the first interval boundary at or after the bounty's reveal deadline, so the data
    does not exist while anyone can still choose what to commit or reveal; after the window the
    owner builds the file by this rule and reveals its digest, and anyone can rebuild it from the
    source and compare. ``rehearsal`` marks a fixed window of public data (the bundled 2018
    candles): the flow is the same, but the test data is no secret.
    """

    kind: Literal["private", "forward"] = "private"
    source: Literal["bundled", "coinpaprika"] | None = None
    start_time: int | None = Field(default=None, ge=0)
    duration_s: int | None = Field(default=None, ge=60)
    rehearsal: bool = False

    @model_validator(mode="after")
    def _rule(self) -> TestSpec:
        if self.kind == "forward" and (self.source is None or self.duration_s is None):
            raise ValueError("a forward test names its source and window duration")
        if self.kind == "private" and (self.source, self.start_time, self.duration_s) != (None, None, None):
            raise ValueError("a private test split has no source or window")
        return self


# The split is in thousandths of the rows; each of the three parts holds at least one.
PERMILLE = 1000
MAX_PART_PERMILLE = PERMILLE - 2


class SplitSpec(_Strict):
    """Chronological split by rows of the merged candles, in thousandths."""

    train_permille: int = Field(ge=1, le=MAX_PART_PERMILLE)
    validation_permille: int = Field(ge=1, le=MAX_PART_PERMILLE)
    test_permille: int = Field(ge=1, le=MAX_PART_PERMILLE)
    order: Literal["chronological"] = "chronological"

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitSpec:
        total = self.train_permille + self.validation_permille + self.test_permille
        if total != PERMILLE:
            raise ValueError(f"split fractions must add up to {PERMILLE} permille, got {total}")
        return self


class EvaluationSpec(_Strict):
    """The training protocol every submission is scored under.

    A score is the mean accuracy over ``seeds`` x ``eras`` cells (see ml/eras.py): one training
    per seed and walk-forward era. With ``seed_rule = "reveal_block"`` the training seeds come
    from the hash of the first block at or after the bounty's reveal deadline, so nobody can
    tune to them before their commitment is final and anyone can recompute them; ``seed`` then
    only fixes the data sampling (and the seeds of a participant's local trials).
    """

    epochs: int = Field(ge=1, le=1000)
    batch_size: int = Field(ge=1, le=65536)
    seed: int = Field(ge=0, le=2**31 - 1)
    seeds: int = Field(default=1, ge=1, le=32)
    eras: int = Field(default=1, ge=1, le=16)
    seed_rule: Literal["fixed", "reveal_block"] = "fixed"
    max_train_sequences: int | None = Field(default=None, ge=2)
    # the compute budget: a model with more trainable parameters is scored 0, not trained
    max_parameters: int | None = Field(default=None, ge=1)
    balance: Literal["train"] = "train"  # training classes balanced by deterministic undersampling
    metric: Literal["test_accuracy_ppm"] = "test_accuracy_ppm"
    rounding: Literal["half_even"] = "half_even"
    keras_version: str
    backend: str


class TaskManifest(_Strict):
    """One bounty's task; ``cid()``/``digest()`` address it on IPFS and on chain."""

    format: Literal["hyperbounty-task/1"] = MANIFEST_FORMAT
    title: str = Field(max_length=200)
    data: DataSpec
    coins: tuple[str, ...] = Field(min_length=1, max_length=16)
    interval: str
    target_coin: str
    # direction: will the target coin close higher future_period rows ahead?
    # volatility: will its realized volatility over the next future_period rows exceed that of
    # the last future_period rows? (see ml/preprocess.py, rule 3)
    target: Literal["direction", "volatility"] = "direction"
    sequence_length: int = Field(ge=1, le=1024)
    future_period: int = Field(ge=1, le=1024)
    features: FeatureSpec = FeatureSpec()
    split: SplitSpec
    test: TestSpec = TestSpec()
    evaluation: EvaluationSpec

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        if value not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
        return value

    @model_validator(mode="after")
    def _coins(self) -> TaskManifest:
        if len(set(self.coins)) != len(self.coins):
            raise ValueError("coins must not repeat")
        if self.target_coin not in self.coins:
            raise ValueError(
                f"target_coin {self.target_coin} is not one of the coins {', '.join(self.coins)}"
            )
        return self

    def to_bytes(self) -> bytes:
        """Canonical JSON: same manifest, same bytes, same CID."""
        return canonical_json(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, data: bytes | str) -> TaskManifest:
        """Parse and validate; a ``DataError`` says what is wrong in plain words."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'manifest'}: {err['msg']}" for err in exc.errors()
            )
            raise DataError(f"This is not a valid HyperBounty task manifest: {problems}.") from None

    def cid(self) -> str:
        return storage.ipfs_cid(self.to_bytes())

    def digest(self) -> bytes:
        """The 32-byte sha256 inside the CIDv0: the contract's ``manifestDigest``."""
        return storage.cid_to_digest(self.cid())

    @property
    def forward_test(self) -> bool:
        return self.test.kind == "forward"

    @property
    def interval_seconds(self) -> int:
        return INTERVALS[self.interval]

    @property
    def feature_names(self) -> list[str]:
        return [f"{coin}_{column}" for coin in self.coins for column in self.features.columns]


def canonical_json(value: object) -> bytes:
    """Sorted keys, two-space indent, UTF-8, trailing newline: readable and byte-stable."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()
