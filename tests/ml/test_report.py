"""The evaluation report read back from its JSON (``EvaluationReport.from_dict``): exact, format unchanged."""

from __future__ import annotations

import json

from ml.runner import REPORT_FORMAT, EvaluationReport, SubmissionResult

ALICE, BOB = "0x" + "a" * 40, "0x" + "b" * 40


def _report() -> EvaluationReport:
    scored = SubmissionResult(
        ALICE,
        {"lstm_layers": 1, "lstm_units": 8},
        "scored",
        score_ppm=561_000,
        training={"curves": {"loss": [0.69, 0.68]}, "seconds": {"fit": 1.5}},
        worker_pid=42,
        seconds=2.25,
        stderr_ppm=20_000,
        ci95_ppm=[521_801, 600_199],
        log_loss=0.671,
        auc=0.612,
        tied_with_leader=True,
        cells=[{"seed": 11, "era": 0, "accuracy_ppm": 561_000, "correct": "AQ=="}],
    )
    failed = SubmissionResult(BOB, {"lstm_layers": 2}, "failed", score_ppm=0, error="Out of memory")
    return EvaluationReport(
        manifest_cid="QmManifest",
        test_cid="QmTest",
        protocol={"seeds": 1, "eras": 1, "epochs": 1},
        environment={"python": "3.11", "keras": "3.15", "backend": "jax"},
        submissions=[scored, failed],
        runner={"workers": 2, "cells": 2},
        seeds={"rule": "reveal_block", "values": [11], "block_number": 8, "block_hash": "0x" + "ab" * 32},
        eras=[{"era": 0, "test_sequences": 65}],
        baselines=[{"name": "majority", "label": "Always the majority class", "score_ppm": 510_000}],
        leader=ALICE,
    )


def test_from_dict_inverts_to_dict():
    report = _report()
    again = EvaluationReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    assert again == report


def test_the_json_document_reads_back_to_the_same_bytes_and_cid():
    report = _report()
    raw = report.to_bytes()
    again = EvaluationReport.from_dict(json.loads(raw))
    assert again.to_bytes() == raw and again.cid() == report.cid()
    assert json.loads(raw)["format"] == REPORT_FORMAT == "hyperbounty-evaluation-report/2"


def test_an_older_report_reads_with_defaults_and_keeps_its_format():
    document = {
        "format": "hyperbounty-evaluation-report/1",
        "manifest_cid": "QmManifest",
        "test_cid": "QmTest",
        "protocol": {"epochs": 1},
        "environment": {},
        "submissions": [{"participant": ALICE, "hyperparameters": {}, "status": "scored", "score_ppm": 5}],
        "cid": "QmNotPartOfTheFormat",
    }
    report = EvaluationReport.from_dict(document)
    assert report.format == "hyperbounty-evaluation-report/1"
    assert report.baselines == [] and report.seeds == {} and report.leader is None
    (only,) = report.submissions
    assert only.ci95_ppm is None and only.cells == [] and not only.tied_with_leader


def test_scores_for_chain_post_a_failed_training_as_zero():
    assert _report().scores_for_chain() == ([ALICE, BOB], [561_000, 0])
