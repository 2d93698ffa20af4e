"""From predictions to a score with an error bar, and the baselines every score is read against.

A submission is trained once per (seed, era) cell. Its posted score is the mean of the cells'
test accuracies, in parts per million, computed exactly and rounded half to even. Beside it the
report gives a standard error that respects how the test sequences overlap: neighbouring
sequences share most of their input rows and their label windows, so their hits and misses are
correlated and the plain binomial error (sqrt(p(1-p)/n)) is too small. We use the Newey-West
(Bartlett kernel) variance of the mean with a bandwidth of ``sequence_length + future_period``
rows, the span over which two sequences share data, on each era's per-sequence hits averaged
over seeds, plus the variance between seeds (model noise on a fixed test set). The same
numbers come out for anyone who has the cells, which the report carries bit for bit.

Baselines, scored on the same eras: always the training window's majority class, persistence
(the latest target already known when the sequence ends) and a logistic regression on the same
features (the flattened, scaled sequences; deterministic IRLS with a fixed ridge penalty).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotations only: this module stays free of pandas and pydantic
    from ml.manifest import TaskManifest
    from ml.preprocess import Prepared

PPM = 1_000_000
Z95 = 1.959963984540054  # two-sided 95 % normal quantile
BASELINES: tuple[str, ...] = ("majority", "persistence", "logistic")
BASELINE_LABELS = {
    "majority": "Always the majority class",
    "persistence": "Persistence (latest known target)",
    "logistic": "Logistic regression on the same features",
}


@dataclass
class Cell:
    """One training's test result. ``hits`` (one bool per test sequence) travels as packed bits."""

    seed: int | None
    era: int
    correct: int
    total: int
    accuracy_ppm: int
    log_loss: float | None
    auc: float | None
    hits: str  # base64 of numpy.packbits of the per-sequence hits, in test order

    def hit_array(self) -> np.ndarray:
        raw = np.frombuffer(base64.b64decode(self.hits), dtype=np.uint8)
        return np.unpackbits(raw)[: self.total].astype(bool)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        return cls(**data)


def accuracy_ppm(correct: int, total: int) -> int:
    """correct / total in parts per million, rounded half to even, computed exactly."""
    if total <= 0:
        raise ValueError("Accuracy needs at least one example.")
    if not 0 <= correct <= total:
        raise ValueError(f"correct must be within 0..{total}, got {correct}.")
    return round(Fraction(correct * PPM, total))


def make_cell(seed: int | None, era: int, labels: np.ndarray, prob_up: np.ndarray) -> Cell:
    """Scores one prediction vector (probability of class 1) against the labels."""
    labels = np.asarray(labels).astype(np.int64)
    prob_up = np.asarray(prob_up, dtype=np.float64)
    hits = (prob_up > 0.5).astype(np.int64) == labels
    correct = int(hits.sum())
    return Cell(
        seed=seed,
        era=era,
        correct=correct,
        total=len(labels),
        accuracy_ppm=accuracy_ppm(correct, len(labels)),
        log_loss=_finite(log_loss(labels, prob_up)),
        auc=_finite(auc(labels, prob_up)),
        hits=base64.b64encode(np.packbits(hits).tobytes()).decode(),
    )


def _finite(value: float | None) -> float | None:
    """JSON has no NaN: an undefined metric is recorded as null."""
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def log_loss(labels: np.ndarray, prob_up: np.ndarray) -> float:
    p = np.clip(np.where(labels == 1, prob_up, 1.0 - prob_up), 1e-7, 1.0)
    return float(-np.mean(np.log(p)))


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None with one class only."""
    positives = int((labels == 1).sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def hac_variance_of_mean(values: np.ndarray, bandwidth: int) -> float:
    """Newey-West variance of the mean of a serially correlated series (Bartlett weights)."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 2:
        return 0.0
    d = x - x.mean()
    total = float(d @ d) / n
    for lag in range(1, min(bandwidth, n - 1) + 1):
        total += 2 * (1 - lag / (bandwidth + 1)) * float(d[:-lag] @ d[lag:]) / n
    return max(total, 0.0) / n


@dataclass
class Summary:
    """A submission's (or a baseline's) score over its cells."""

    score_ppm: int
    stderr_ppm: int
    ci95_ppm: tuple[int, int]
    log_loss: float | None
    auc: float | None
    cells: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci95_ppm"] = list(self.ci95_ppm)
        return data


def mean_score_ppm(cells: Sequence[Cell]) -> int:
    """The posted score: the exact mean of the cells' accuracies, in ppm, half to even."""
    if not cells:
        raise ValueError("A score needs at least one cell.")
    mean = sum((Fraction(c.correct, c.total) for c in cells), Fraction(0)) / len(cells)
    return round(mean * PPM)


def summarize(cells: Sequence[Cell], bandwidth: int) -> Summary:
    """Mean score, its standard error (overlap-aware sample part plus seed part) and interval."""
    score = mean_score_ppm(cells)
    eras = sorted({c.era for c in cells})
    sample_var = 0.0
    for era in eras:
        hits = np.mean([c.hit_array() for c in cells if c.era == era], axis=0)
        sample_var += hac_variance_of_mean(hits, bandwidth)
    sample_var /= len(eras) ** 2
    seeds = sorted({c.seed for c in cells if c.seed is not None})
    seed_var = 0.0
    if len(seeds) > 1:
        per_seed = [np.mean([c.correct / c.total for c in cells if c.seed == s]) for s in seeds]
        seed_var = float(np.var(per_seed, ddof=1)) / len(seeds)
    stderr = math.sqrt(sample_var + seed_var) * PPM
    half = Z95 * stderr
    return Summary(
        score_ppm=score,
        stderr_ppm=round(stderr),
        ci95_ppm=(max(0, round(score - half)), min(PPM, round(score + half))),
        log_loss=_mean_or_none([c.log_loss for c in cells]),
        auc=_mean_or_none([c.auc for c in cells]),
        cells=len(cells),
    )


def _mean_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 6) if known and len(known) == len(values) else None


def paired_difference(a: Sequence[Cell], b: Sequence[Cell], bandwidth: int) -> tuple[float, float]:
    """Mean accuracy of ``a`` minus ``b`` and its standard error, both as fractions.

    Paired over the same test sequences (both were scored on the same eras), which is much
    tighter than comparing two intervals: what matters is where the two models disagree.
    """
    eras = sorted({c.era for c in a} & {c.era for c in b})
    if not eras:
        raise ValueError("The two results share no era.")
    diff = 0.0
    var = 0.0
    for era in eras:
        ha = np.mean([c.hit_array() for c in a if c.era == era], axis=0)
        hb = np.mean([c.hit_array() for c in b if c.era == era], axis=0)
        d = ha - hb
        diff += float(d.mean())
        var += hac_variance_of_mean(d, bandwidth)
    return diff / len(eras), math.sqrt(var) / len(eras)


def tied_with_leader(
    results: Mapping[str, Sequence[Cell]], leader: str, bandwidth: int, z: float = Z95
) -> set[str]:
    """Who cannot be told apart from the leader at 95 % (a paired test on the same sequences)."""
    tied = {leader}
    for name, cells in results.items():
        if name == leader:
            continue
        diff, se = paired_difference(results[leader], cells, bandwidth)
        if diff <= z * se:
            tied.add(name)
    return tied


# --- baselines -------------------------------------------------------------------------------


def fit_logistic(
    x: np.ndarray, y: np.ndarray, ridge: float = 100.0, iterations: int = 30
) -> Callable[[np.ndarray], np.ndarray]:
    """Ridge-penalised logistic regression by Newton steps (IRLS), in float64: deterministic.

    Returns a function from a feature matrix to the probability of class 1. Features are
    standardised on the training rows; the intercept is not penalised.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0

    def design(rows: np.ndarray) -> np.ndarray:
        z = (np.asarray(rows, dtype=np.float64) - mean) / scale
        return np.hstack([np.ones((len(z), 1)), z])

    z = design(x)
    penalty = np.eye(z.shape[1]) * ridge
    penalty[0, 0] = 0.0
    w = np.zeros(z.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return lambda rows: 1.0 / (1.0 + np.exp(-(design(rows) @ w)))


def baseline_predictions(prepared: Prepared, split: str = "test") -> dict[str, np.ndarray]:
    """Each baseline's probability of class 1 on one era's ``test`` (or ``val``) sequences."""
    x = prepared.x_test if split == "test" else prepared.x_val
    known = prepared.persist_test if split == "test" else prepared.persist_val
    if x is None or known is None:
        raise ValueError(f"These arrays have no {split} sequences (or no persistence forecast) to score.")
    majority = int(prepared.majority[0]) if prepared.majority is not None else 1
    n = len(x)
    persistence = np.where(known >= 0, known, majority).astype(np.float64)
    logistic = fit_logistic(prepared.x_train.reshape(len(prepared.x_train), -1), prepared.y_train)
    return {
        "majority": np.full(n, float(majority)),
        "persistence": persistence,
        "logistic": logistic(x.reshape(n, -1)),
    }


@dataclass
class BaselineResult:
    name: str
    label: str
    summary: Summary
    cells: list[Cell] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            **self.summary.to_dict(),
            "era_cells": [c.to_dict() for c in self.cells],
        }


def score_baselines(eras: Sequence[Prepared], bandwidth: int, split: str = "test") -> list[BaselineResult]:
    """Every baseline over the given eras' prepared arrays (one cell per era)."""
    cells: dict[str, list[Cell]] = {name: [] for name in BASELINES}
    for era, prepared in enumerate(eras):
        labels = prepared.y_test if split == "test" else prepared.y_val
        if labels is None:
            raise ValueError(f"Era {era} has no {split} labels to score the baselines on.")
        for name, prob in baseline_predictions(prepared, split).items():
            cells[name].append(make_cell(None, era, labels, prob))
    return [
        BaselineResult(name, BASELINE_LABELS[name], summarize(cells[name], bandwidth), cells[name])
        for name in BASELINES
    ]


def bandwidth_for(manifest: TaskManifest) -> int:
    """Rows over which two test sequences share inputs or label windows."""
    return int(manifest.sequence_length) + int(manifest.future_period)


@dataclass(frozen=True)
class BarSuggestion:
    """A minimum accuracy that no baseline reaches except by luck: the best baseline + 2 SE."""

    min_accuracy_ppm: int
    baseline: str
    baseline_score_ppm: int
    baseline_stderr_ppm: int
    baselines: tuple[tuple[str, int, int], ...]  # (label, score, stderr) of every baseline

    def explanation(self) -> str:
        return (
            f"The best baseline on the validation eras, {BASELINE_LABELS[self.baseline].lower()}, "
            f"scores {self.baseline_score_ppm / 10_000:.2f} % (standard error "
            f"{self.baseline_stderr_ppm / 10_000:.2f} points). A bar two standard errors above it "
            "means a model must beat every trivial rule by more than noise to be paid; if nobody "
            "does, the owner is refunded."
        )


def suggest_bar(validation_eras: Sequence[Prepared], bandwidth: int) -> BarSuggestion:
    """The bar from the baselines scored on the public validation eras (rounded up to 0.1 %).

    ``validation_eras`` come from :func:`ml.preprocess.prepare_validation_eras`: their "test"
    slices are the published validation file, so the owner can set the bar before any test
    data exists.
    """
    results = score_baselines(validation_eras, bandwidth)
    best = max(results, key=lambda r: r.summary.score_ppm)
    raw = best.summary.score_ppm + 2 * best.summary.stderr_ppm
    bar = min(PPM, max(1, math.ceil(raw / 1000) * 1000))
    return BarSuggestion(
        min_accuracy_ppm=bar,
        baseline=best.name,
        baseline_score_ppm=best.summary.score_ppm,
        baseline_stderr_ppm=best.summary.stderr_ppm,
        baselines=tuple((r.label, r.summary.score_ppm, r.summary.stderr_ppm) for r in results),
    )


def derive_seeds(block_hash: bytes, count: int) -> list[int]:
    """Training seeds from a block hash: sha256(hash || i) truncated to 31 bits, i = 0..count-1."""
    if len(block_hash) != 32:
        raise ValueError("A block hash has 32 bytes.")
    return [
        int.from_bytes(hashlib.sha256(block_hash + i.to_bytes(4, "big")).digest()[:4], "big") & 0x7FFFFFFF
        for i in range(count)
    ]


def fixed_seeds(base: int, count: int) -> list[int]:
    """The seeds of a manifest with ``seed_rule = "fixed"`` (and of a participant's trials)."""
    return [(base + i) % 2**31 for i in range(count)]
