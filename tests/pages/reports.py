"""Evaluation reports written by hand (format hyperbounty-evaluation-report/2), for the leaderboard views.

Four submissions: a leader, one tied with it (within noise), one clearly behind, one whose
training failed (scored 0, with its reason); three baselines. ``older_report`` is the same
without what format /2 added (intervals, ties, baselines), as an old report reads. Each is
written as its JSON document and read with ``EvaluationReport.from_dict``, as a posted report is.
"""

from __future__ import annotations

from typing import Any

from ml.runner import EvaluationReport

FAILURE = "Out of memory while training (era 1, seed 7); the protocol scores a failed training 0"
SCORES = (581_000, 562_000, 480_000)
STDERR = (20_000, 21_000, 19_000)
BASELINES = (
    ("majority", "Always the majority class", 510_000, 25_000),
    ("persistence", "Persistence (latest known target)", 450_000, 26_000),
    ("logistic", "Logistic regression on the same features", 530_000, 24_000),
)


def interval(score: int, stderr: int) -> list[int]:
    half = round(1.959963984540054 * stderr)
    return [score - half, score + half]


def report(participants: list[str]) -> EvaluationReport:
    """A report over four participants (the first three scored, the fourth failed)."""
    return EvaluationReport.from_dict(_document(participants))


def _document(participants: list[str]) -> dict[str, Any]:
    leader, tied, behind, failed = participants
    submissions = []
    for who, score, stderr, is_tied in zip(
        (leader, tied, behind), SCORES, STDERR, (True, True, False), strict=True
    ):
        submissions.append(
            {
                "participant": who,
                "hyperparameters": {},
                "status": "scored",
                "score_ppm": score,
                "stderr_ppm": stderr,
                "ci95_ppm": interval(score, stderr),
                "auc": 0.612,
                "log_loss": 0.671,
                "tied_with_leader": is_tied,
                "error": None,
                "training": None,
                "cells": [{"seed": s, "era": e, "accuracy_ppm": score} for e in range(2) for s in range(2)],
            }
        )
    submissions.append(
        {
            "participant": failed,
            "hyperparameters": {},
            "status": "failed",
            "score_ppm": 0,
            "stderr_ppm": None,
            "ci95_ppm": None,
            "auc": None,
            "log_loss": None,
            "tied_with_leader": False,
            "error": FAILURE,
            "training": None,
            "cells": [],
        }
    )
    return {
        "format": "hyperbounty-evaluation-report/2",
        "manifest_cid": "QmManifest",
        "test_cid": "QmTest",
        "protocol": {"seeds": 2, "eras": 2, "epochs": 1},
        "environment": {"python": "3.11", "keras": "3.15", "backend": "jax"},
        "seeds": {
            "rule": "reveal_block",
            "values": [11, 12],
            "block_number": 8,
            "block_hash": "0x" + "ab" * 32,
        },
        "eras": [{"era": 0, "test_sequences": 65}, {"era": 1, "test_sequences": 65}],
        "leader": leader,
        "baselines": [
            {
                "name": name,
                "label": label,
                "score_ppm": score,
                "stderr_ppm": stderr,
                "ci95_ppm": interval(score, stderr),
                "era_cells": [],
            }
            for name, label, score, stderr in BASELINES
        ],
        "submissions": submissions,
    }


def older_report(participants: list[str]) -> EvaluationReport:
    """Format /1: a score and a status per submission, nothing else."""
    data = _document(participants)
    for sub in data["submissions"]:
        for key in ("stderr_ppm", "ci95_ppm", "auc", "log_loss", "tied_with_leader", "cells"):
            sub.pop(key)
    data["submissions"][-1]["score_ppm"] = None  # format /1 left a failed score empty
    for key in ("baselines", "seeds", "eras", "leader"):
        data.pop(key)
    data["protocol"] = {"epochs": 1}
    data["format"] = "hyperbounty-evaluation-report/1"
    return EvaluationReport.from_dict(data)
