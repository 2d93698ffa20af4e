"""Scores with an error bar: cells, the overlap-aware standard error, ties, baselines, seeds, eras."""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np
import pytest

from ml import preprocess, scoring
from ml.preprocess import era_windows, persistence, prepare_eras, prepare_validation_eras, volatility_target


def _cell(hits, seed=1, era=0):
    hits = np.asarray(hits, dtype=bool)
    labels = np.ones(len(hits), dtype=np.int64)
    return scoring.make_cell(seed, era, labels, np.where(hits, 0.9, 0.1))


def test_a_cell_keeps_every_hit_bit_for_bit():
    rng = np.random.default_rng(3)
    hits = rng.random(1001) < 0.6
    cell = _cell(hits)
    assert cell.correct == int(hits.sum()) and cell.total == 1001
    assert (cell.hit_array() == hits).all()
    assert scoring.Cell.from_dict(cell.to_dict()) == cell


def test_the_score_is_the_exact_mean_of_the_cells_rounded_half_to_even():
    cells = [_cell([True, False, False]), _cell([True, True, False, False, False, False, False])]
    exact = (Fraction(1, 3) + Fraction(2, 7)) / 2 * 1_000_000
    assert scoring.mean_score_ppm(cells) == round(exact)
    half = [_cell([True] + [False] * 7), _cell([True] * 0 + [False] * 8)]  # 62,500 ppm exactly
    assert scoring.mean_score_ppm(half) == 62_500


def test_overlapping_sequences_widen_the_standard_error():
    """Each outcome repeated 10 times (as overlapping sequences share it) is 10 draws' worth, not 1."""
    rng = np.random.default_rng(0)
    independent = (rng.random(500) < 0.5).astype(float)
    repeated = np.repeat(independent, 10)
    naive = repeated.var() / len(repeated)
    assert scoring.hac_variance_of_mean(repeated, 0) == pytest.approx(naive)
    assert scoring.hac_variance_of_mean(repeated, 20) > 5 * naive


def test_summary_interval_contains_the_score_and_seed_noise_adds_to_it():
    rng = np.random.default_rng(1)
    base = rng.random(800) < 0.6
    same = [_cell(base, seed=s, era=0) for s in (1, 2, 3)]
    varied = [_cell(rng.random(800) < p, seed=s, era=0) for s, p in ((1, 0.5), (2, 0.6), (3, 0.7))]
    quiet, noisy = scoring.summarize(same, 10), scoring.summarize(varied, 10)
    assert quiet.ci95_ppm[0] <= quiet.score_ppm <= quiet.ci95_ppm[1]
    assert noisy.stderr_ppm > quiet.stderr_ppm
    assert quiet.cells == 3 and quiet.auc is None  # one class only: AUC undefined, recorded as null


def test_a_leader_is_tied_with_its_twin_but_not_with_a_clearly_worse_model():
    rng = np.random.default_rng(2)
    truth = rng.random(2000)
    good = [_cell(truth < 0.7, era=e) for e in (0, 1)]
    twin = [_cell(truth < 0.7, era=e) for e in (0, 1)]
    worse = [_cell(truth < 0.5, era=e) for e in (0, 1)]
    tied = scoring.tied_with_leader({"good": good, "twin": twin, "worse": worse}, "good", 30)
    assert tied == {"good", "twin"}
    diff, se = scoring.paired_difference(good, worse, 30)
    assert diff == pytest.approx(0.2, abs=0.01) and 0 < se < 0.05


def test_auc_and_log_loss_on_known_cases():
    labels = np.array([0, 0, 1, 1])
    assert scoring.auc(labels, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert scoring.auc(labels, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert scoring.auc(labels, np.full(4, 0.5)) == 0.5
    assert scoring.auc(np.ones(4, dtype=int), np.full(4, 0.5)) is None
    assert scoring.log_loss(labels, np.array([0.5] * 4)) == pytest.approx(np.log(2))


def test_logistic_regression_is_deterministic_and_finds_a_linear_signal():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(600, 4))
    y = (x[:, 0] - 0.5 * x[:, 2] > 0).astype(int)
    first = scoring.fit_logistic(x, y)(x)
    second = scoring.fit_logistic(x, y)(x)
    assert (first == second).all()
    assert ((first > 0.5) == y).mean() > 0.9


def test_seeds_come_from_the_block_hash_and_anyone_gets_the_same():
    block = bytes(range(32))
    seeds = scoring.derive_seeds(block, 3)
    expected = [
        int.from_bytes(hashlib.sha256(block + i.to_bytes(4, "big")).digest()[:4], "big") & 0x7FFFFFFF
        for i in range(3)
    ]
    assert seeds == expected == scoring.derive_seeds(block, 3)
    assert len(set(seeds)) == 3 and all(0 <= s < 2**31 for s in seeds)
    assert scoring.derive_seeds(bytes(32), 3) != seeds
    with pytest.raises(ValueError):
        scoring.derive_seeds(b"short", 1)


def test_era_windows_walk_forward_and_era_zero_is_the_files():
    windows = era_windows({"train": 800, "validation": 100, "test": 100}, 3)
    assert windows[0] == {"train": (0, 800), "validation": (800, 900), "test": (900, 933)}
    assert windows[1]["test"] == (933, 966) and windows[1]["train"] == (33, 833)
    assert windows[2]["test"] == (966, 1000)  # the last era takes the remainder
    for window in windows:
        assert window["train"][1] == window["validation"][0] and window["validation"][1] == window["test"][0]
    with pytest.raises(preprocess.DataError):
        era_windows({"train": 10, "validation": 5, "test": 2}, 3)


def test_volatility_target_compares_the_next_moves_with_the_last_and_never_crosses_a_gap():
    close = np.array([100, 100.1, 100, 100.1, 100, 105, 95, 105, 95, 95.1, 95])  # calm, wild, calm
    run = np.zeros(len(close), dtype=np.int64)
    target = volatility_target(close, run, 2)
    assert target[3] == 1  # rows 4..5 move more than rows 2..3
    assert target[7] == 0  # rows 8..9 calm down after the wild 6..7
    assert (target[:1] == -1).all() and (target[-2:] == -1).all()  # no full window behind / ahead
    gapped = run.copy()
    gapped[5:] = 1
    assert volatility_target(close, gapped, 2)[3] == -1
    assert list(persistence(np.array([1, 0, 1, -1, 0]), 2)) == [-1, -1, 1, 0, 1]


def test_prepare_eras_caches_every_era_and_baselines_score_on_them(tiny_task):
    manifest, files = tiny_task
    paths = prepare_eras(manifest, files)
    assert len(paths) == manifest.evaluation.eras and all(p.exists() for p in paths)
    eras = [preprocess.Prepared.load(p) for p in paths]
    assert sum(len(e.y_test) for e in eras) > 0 and all(e.persist_test is not None for e in eras)
    era0 = preprocess.prepare(manifest, {k: files[k] for k in ("train", "validation")})
    assert np.array_equal(eras[0].x_train, era0.x_train)  # era 0 trains on exactly the train file
    results = scoring.score_baselines(eras, scoring.bandwidth_for(manifest))
    assert [r.name for r in results] == list(scoring.BASELINES)
    assert all(len(r.cells) == len(eras) for r in results)
    paths[0].write_bytes(b"damaged")  # a damaged cache file is rebuilt, not an error forever
    assert prepare_eras(manifest, files) == paths and preprocess.Prepared.load(paths[0]) is not None


def test_the_suggested_bar_sits_two_standard_errors_above_the_best_baseline(tiny_task):
    manifest, files = tiny_task
    eras = prepare_validation_eras(manifest, {k: files[k] for k in ("train", "validation")})  # no test data
    assert len(eras) == manifest.evaluation.eras
    bar = scoring.suggest_bar(eras, scoring.bandwidth_for(manifest))
    assert bar.min_accuracy_ppm >= bar.baseline_score_ppm + 2 * bar.baseline_stderr_ppm
    assert bar.min_accuracy_ppm % 1000 == 0
    assert bar.baseline_score_ppm == max(score for _, score, _ in bar.baselines)
    assert "two standard errors" in bar.explanation()
