"""The owner's evaluation and anyone's check of it: reveal the test data, score, publish, post, verify.

Order matters for durability: the test file is added to the store before ``revealTestData`` so
anyone can fetch it the moment the reveal is mined; the evaluation report
(``ml.runner.EvaluationReport``) is kept on disk under the backend's data folder
(``owner/reports/``) as soon as it exists, so a restart between the evaluation and
``postScores`` loses no training; the report is in the store before the chain records its
digest. A verifier fetches the same files by the CIDs the chain holds, derives the same seeds
and re-trains one submission to compare with its posted score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import durable
import storage
from actions import datasets
from actions.errors import ActionError
from actions.tasks import fetch_task, revealed_submissions, training_seeds
from actions.tx import TxPlan, plan
from formatting import percent_ppm, short_address
from ml import preprocess, scoring
from ml.data import DataError
from ml.forward import CandleSource, rebuild_test_file
from ml.manifest import TaskManifest
from ml.preprocess import cache_dir_for
from ml.runner import EvaluationReport, RunnerProgress, Submission, evaluate_submissions, verify_submission
from ml.train import xla_cache_dir_for
from protocol import Hyperparameters

if TYPE_CHECKING:
    from actions.jobs import JobRunner, JobView, Progress
    from actions.session import Backend
    from chain.accounts import Sender
    from chain.client import Submission as ChainSubmission
    from chain.client import TxPreview, TxReceipt
    from settings import Settings

# --------------------------------------------------------------------------- test data


def build_forward_test_file(backend: Backend, bounty_id: int, source: CandleSource | None = None) -> bytes:
    """The test file of a forward-test bounty, by its manifest's rule (what owner and verifier run)."""
    bounty = backend.client.bounty(bounty_id)
    manifest, _ = fetch_task(backend, bounty_id)
    try:
        return rebuild_test_file(manifest, bounty.reveal_deadline, backend.now(), source)
    except DataError as exc:
        raise ActionError(str(exc)) from exc


def test_dataset_for(backend: Backend, bounty_id: int) -> datasets.BuiltDataset:
    """The kept dataset whose test file this bounty committed to (found through the stored secret)."""
    client = backend.client
    bounty = client.bounty(bounty_id)
    try:
        secret = client.secrets.test_data(client.chain_id, client.address, bounty.test_data_commitment)
    except Exception as exc:
        raise ActionError(
            f"The test-data secret of bounty {bounty_id} is not on this machine: only the "
            f"owner's machine that created it can reveal the test data ({exc})."
        ) from exc
    test_cid = secret.test_data_cid
    built = datasets.find_by_test_cid(backend.settings, test_cid) if test_cid else None
    if built is None:
        raise ActionError(
            f"The hidden test file of bounty {bounty_id} ({secret.test_data_cid}) is not among "
            "this owner's kept datasets; restore the owner/datasets folder from a backup."
        )
    return built


def plan_reveal_test_data(
    backend: Backend, sender: Sender, bounty_id: int, source: CandleSource | None = None
) -> TxPlan:
    """Reveal the test data: the kept private split, or a forward test's file built by its rule.

    ``source`` (forward tests only) replaces the manifest's candle source, for tests.
    """
    client = backend.client
    if client.bounty(bounty_id).forward_test:
        return _plan_reveal_forward(backend, sender, bounty_id, source)
    built = test_dataset_for(backend, bounty_id)
    test_cid = built.test_cid or ""  # never empty: the dataset was found by this very CID

    def send() -> TxReceipt:
        cid = backend.store.add(built.files["test"])
        if cid != test_cid:
            raise ActionError(f"The store computed {cid} for the test file, not {test_cid}.")
        return client.reveal_test_data(sender, bounty_id)

    def preview() -> TxPreview:
        bounty = client.bounty(bounty_id)
        secret = client.secrets.test_data(client.chain_id, client.address, bounty.test_data_commitment)
        return client.preview(
            "revealTestData", (int(bounty_id), secret.test_data_digest, secret.salt), 0, sender.address
        )

    return TxPlan(
        title=f"Reveal the test data of bounty {bounty_id}",
        function="revealTestData",
        sender=sender.address,
        preview_fn=preview,
        send=send,
        details=[("Test file", test_cid)],
    )


def _plan_reveal_forward(
    backend: Backend, sender: Sender, bounty_id: int, source: CandleSource | None
) -> TxPlan:
    client = backend.client
    data = build_forward_test_file(backend, bounty_id, source)
    cid = storage.ipfs_cid(data)
    digest = storage.cid_to_digest(cid)

    def send() -> TxReceipt:
        added = backend.store.add(data)
        if added != cid:
            raise ActionError(f"The store computed {added} for the test file, not {cid}.")
        return client.reveal_test_data(sender, bounty_id, test_data_digest=digest)

    return plan(
        client,
        sender,
        f"Reveal the forward-test data of bounty {bounty_id}",
        "revealTestData",
        (int(bounty_id), digest, b"\x00" * 32),
        send,
        details=[("Test file (built by the manifest's rule)", cid), ("Rows", str(data.count(b"\n") - 1))],
    )


# --------------------------------------------------------------------------- evaluation


def evaluation_job(
    progress: Progress,
    manifest_bytes: bytes,
    files: dict[str, bytes],
    submissions: list[tuple[str, dict[str, int]]],
    test_cid: str,
    reports_dir: Path,
    workers: int | None = None,
    seeds: list[int] | None = None,
    seed_source: dict[str, int | str] | None = None,
    settings: Settings | None = None,
) -> EvaluationReport:
    """Background job: train and score every revealed submission; keeps the report in ``reports_dir``.

    Runs in a thread of the dashboard; ``ml.runner`` trains each cell as a task of the executor
    (``ml.executor``: spawned worker processes, or a Ray cluster when ``HYPERBOUNTY_RAY_ADDRESS``
    is set) and its progress events arrive here, per submission, with live training metrics.
    ``settings`` (the backend's) names the data dir whose preprocess and XLA caches the training
    uses.
    """
    manifest = TaskManifest.from_bytes(manifest_bytes)
    count = max(1, len(submissions))
    state: dict[int, float] = {}

    def relay(event: RunnerProgress) -> None:
        state[event.index] = (
            event.fraction
            if event.state == "training"
            else (1.0 if event.state in ("scored", "failed") else 0.0)
        )
        row: dict[str, str | float] = {
            "participant": event.participant,
            "state": event.state,
            "fraction": round(event.fraction, 3),
            "error": event.error or "",
            "cells": f"{event.cells_done}/{event.cells}",
        }
        if event.training is not None:
            row["epoch"] = f"{event.training.epoch}/{event.training.epochs}"
            logs = event.training.logs
            point = {"step": round(event.index + event.fraction, 4)}
            point.update({k: round(float(v), 5) for k, v in logs.items() if k in ("loss", "accuracy")})
            progress.curve(event.participant, point)
        progress(
            sum(state.values()) / count,
            f"{event.participant[:10]}…: {event.state}",
            **{f"sub:{event.index}": row},
        )

    progress(0.0, "preparing the data (once for all submissions)")
    report = evaluate_submissions(
        manifest,
        files,
        [Submission(p, hp) for p, hp in submissions],
        workers=workers,
        progress=relay,
        expected_test_cid=test_cid,
        seeds=seeds,
        seed_source=seed_source,
        cache_dir=cache_dir_for(settings) if settings else None,
        xla_cache_dir=xla_cache_dir_for(settings) if settings else None,
    )
    durable.atomic_write(reports_dir / f"{report.cid()}.json", report.to_bytes())
    return report


def start_evaluation(
    backend: Backend, bounty_id: int, runner: JobRunner | None = None, workers: int | None = None
) -> JobView:
    """Fetch the task with the revealed test file, then evaluate every revealed submission (background)."""
    bounty = backend.client.bounty(bounty_id)
    if not bounty.test_data_revealed:
        raise ActionError(
            "Reveal the test data first: the evaluation scores on it, and anyone can then check the scores."
        )
    subs = revealed_submissions(backend, bounty_id)
    if not subs:
        raise ActionError(f"Bounty {bounty_id} has no revealed submissions to evaluate.")
    manifest, files = fetch_task(backend, bounty_id, with_test=True)
    test_cid = storage.digest_to_cid(bounty.test_data_digest)
    pairs = [(s.participant, _revealed(s).to_dict()) for s in sorted(subs, key=lambda s: s.commit_order)]
    seeds, seed_source = training_seeds(backend, bounty_id, manifest)
    return (runner or backend.jobs).start(
        evaluation_key(bounty_id),
        f"Evaluate bounty {bounty_id}",
        evaluation_job,
        manifest.to_bytes(),
        files,
        pairs,
        test_cid,
        backend.settings.path("owner", "reports"),
        workers=workers,
        seeds=seeds,
        seed_source=seed_source,
        settings=backend.settings,
        restart=True,
    )


def evaluation_key(bounty_id: int) -> str:
    return f"evaluate:{bounty_id}"


def _revealed(submission: ChainSubmission) -> Hyperparameters:
    """A revealed submission's hyperparameters (the index reads them from the reveal)."""
    if submission.hyperparameters is None:
        raise ActionError(f"The index holds no revealed hyperparameters for {submission.participant}.")
    return submission.hyperparameters


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class PostedReport:
    """The report a bounty's last ScoresPosted points to, with the CID the chain recorded."""

    cid: str
    report: EvaluationReport


def load_report(backend: Backend, bounty_id: int) -> PostedReport | None:
    """The latest evaluation report posted for a bounty (by the reportDigest of its last ScoresPosted)."""
    posted = [e for e in backend.index.events(bounty_id) if e.name == "ScoresPosted"]
    if not posted:
        return None
    cid = storage.digest_to_cid(posted[-1].args["reportDigest"])
    return PostedReport(cid, EvaluationReport.from_dict(json.loads(backend.reader.cat(cid))))


def kept_reports(backend: Backend, bounty_id: int) -> list[EvaluationReport]:
    """This owner's evaluation reports of ``bounty_id`` kept under ``owner/reports/``, newest first:
    those of its manifest and revealed test file that score exactly its revealed submissions (so a
    report can be posted after a restart, or from another command than the one that trained)."""
    bounty = backend.client.bounty(bounty_id)
    if not bounty.test_data_revealed:
        return []
    manifest = storage.digest_to_cid(bounty.manifest_digest)
    test_cid = storage.digest_to_cid(bounty.test_data_digest)
    revealed = {s.participant.lower() for s in revealed_submissions(backend, bounty_id)}
    folder = backend.settings.path("owner", "reports")
    found = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            report = EvaluationReport.from_dict(json.loads(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged report is skipped, never fatal for the others
        scored = {r.participant.lower() for r in report.submissions}
        if report.manifest_cid == manifest and report.test_cid == test_cid and scored == revealed:
            found.append(report)
    return found


class LeaderboardRow(TypedDict):
    participant: str
    status: str  # "scored" or "failed"
    score_ppm: int | None
    stderr_ppm: int | None
    ci_low_ppm: int | None
    ci_high_ppm: int | None
    auc: float | None
    log_loss: float | None
    tied_with_leader: bool
    error: str


class BaselineRow(TypedDict):
    name: str
    label: str
    score_ppm: int
    stderr_ppm: int
    ci_low_ppm: int | None
    ci_high_ppm: int | None


def _interval(ci95_ppm: list[int] | None) -> tuple[int | None, int | None]:
    """(low, high) of a 95 % interval, (None, None) where the report has none."""
    if not ci95_ppm:
        return None, None
    low, high = ci95_ppm
    return low, high


def leaderboard_from_report(report: EvaluationReport) -> list[LeaderboardRow]:
    """Rows of the report's leaderboard, best first: score, its 95 % interval, tie with the leader."""
    rows: list[LeaderboardRow] = []
    for result in report.submissions:
        low, high = _interval(result.ci95_ppm)
        rows.append(
            {
                "participant": result.participant,
                "status": result.status,
                "score_ppm": result.score_ppm,
                "stderr_ppm": result.stderr_ppm,
                "ci_low_ppm": low,
                "ci_high_ppm": high,
                "auc": result.auc,
                "log_loss": result.log_loss,
                "tied_with_leader": bool(result.tied_with_leader),
                "error": result.error or "",
            }
        )
    rows.sort(key=lambda r: -(r["score_ppm"] if r["score_ppm"] is not None else -1))
    return rows


def baselines_from_report(report: EvaluationReport) -> list[BaselineRow]:
    """The report's baselines (majority, persistence, logistic regression) with their intervals."""
    rows: list[BaselineRow] = []
    for baseline in report.baselines:  # JSON objects, as the report stores them
        low, high = _interval(baseline.get("ci95_ppm"))
        rows.append(
            {
                "name": baseline["name"],
                "label": baseline["label"],
                "score_ppm": baseline["score_ppm"],
                "stderr_ppm": baseline["stderr_ppm"],
                "ci_low_ppm": low,
                "ci_high_ppm": high,
            }
        )
    return rows


def suggest_min_accuracy(
    built: datasets.BuiltDataset, manifest: TaskManifest | None = None
) -> scoring.BarSuggestion:
    """The bar to propose on the Initialize page: the best baseline on the public validation
    eras plus two standard errors (``ml.scoring.BarSuggestion``, with its explanation)."""
    manifest = manifest or built.manifest
    try:
        eras = preprocess.prepare_validation_eras(manifest, built.files)
    except DataError as exc:
        raise ActionError(f"Could not score the baselines on the validation data: {exc}") from exc
    return scoring.suggest_bar(eras, scoring.bandwidth_for(manifest))


def plan_post_scores(backend: Backend, sender: Sender, bounty_id: int, report: EvaluationReport) -> TxPlan:
    """Publish the report to the store, then post every unscored participant's score with its digest."""
    client = backend.client
    data = report.to_bytes()
    cid = storage.ipfs_cid(data)
    already = {s.participant for s in backend.index.submissions(bounty_id) if s.scored}
    # a failed training is posted as 0 (the protocol's rule), so one cannot force a stall
    participants, amounts = report.scores_for_chain()
    scores = [(p, a) for p, a in zip(participants, amounts, strict=True) if p not in already]
    failed = [r.participant for r in report.failed]
    if not any(r.status == "scored" for r in report.submissions):
        raise ActionError(
            "No submission in this report was scored (every training failed, see the errors); "
            "fix the cause and run the evaluation again."
        )
    if not scores:
        raise ActionError("Nothing to post: every scored submission in this report is already on chain.")
    digest = storage.cid_to_digest(cid)

    def send() -> TxReceipt:
        added = backend.store.add(data)
        if added != cid:
            raise ActionError(f"The store computed {added} for the report, not {cid}.")
        return client.post_scores(sender, bounty_id, scores, digest)

    details = [
        ("Report", cid),
        ("Scores", ", ".join(f"{short_address(p)} {percent_ppm(a)}" for p, a in scores)),
    ]
    if failed:
        details.append(("Scored 0 (training failed)", ", ".join(short_address(p) for p in failed)))
    return plan(
        client,
        sender,
        f"Post {len(scores)} score(s) for bounty {bounty_id}",
        "postScores",
        (int(bounty_id), [p for p, _ in scores], [a for _, a in scores], digest),
        send,
        details=details,
        after=lambda receipt: {"report": cid},
    )


# --------------------------------------------------------------------------- verification


class VerifyResult(TypedDict):
    """What a verification job hands back (a dict: it crosses the worker's queue)."""

    participant: str
    posted: int
    recomputed: int | None
    reproduced: bool
    error: str | None
    summary: str
    curves: dict[str, Any]  # the first cell's training curves, as ml.train records them (JSON)


def verify_job(
    progress: Progress,
    manifest_bytes: bytes,
    files: dict[str, bytes],
    participant: str,
    hyperparameters: dict[str, int],
    posted_score_ppm: int,
    test_cid: str,
    seeds: list[int] | None = None,
    settings: Settings | None = None,
) -> VerifyResult:
    """Background job (spawned worker): re-run one submission's evaluation and compare with the posted
    score, with the preprocess and XLA caches of ``settings``' data dir (the backend's)."""
    progress(0.05, f"re-training {short_address(participant)}'s submission under the manifest's protocol")
    manifest = TaskManifest.from_bytes(manifest_bytes)
    result = verify_submission(
        manifest,
        files,
        Submission(participant, hyperparameters),
        posted_score_ppm,
        expected_test_cid=test_cid,
        in_process=True,
        seeds=seeds,
        cache_dir=cache_dir_for(settings) if settings else None,
        xla_cache_dir=xla_cache_dir_for(settings) if settings else None,
    )
    return {
        "participant": participant,
        "posted": result.posted_score_ppm,
        "recomputed": result.recomputed_score_ppm,
        "reproduced": result.reproduced,
        "error": result.error,
        "summary": result.summary(),
        "curves": (result.result.training or {}).get("curves", {}),
    }


def start_verify(
    backend: Backend, bounty_id: int, participant: str, runner: JobRunner | None = None
) -> JobView:
    """Fetch what a verifier needs (files checked by CID), then re-run in a spawned worker."""
    submission = next(
        (s for s in backend.index.submissions(bounty_id) if s.participant.lower() == participant.lower()),
        None,
    )
    if submission is None or not submission.scored:
        raise ActionError(
            f"{short_address(participant)} has no posted score in bounty {bounty_id} to verify."
        )
    manifest, files = fetch_task(backend, bounty_id, with_test=True)
    test_cid = storage.digest_to_cid(backend.client.bounty(bounty_id).test_data_digest)
    return (runner or backend.jobs).start(
        f"verify:{bounty_id}:{participant}",
        f"Verify {short_address(participant)} on bounty {bounty_id}",
        verify_job,
        manifest.to_bytes(),
        files,
        participant,
        _revealed(submission).to_dict(),
        int(submission.accuracy_ppm or 0),
        test_cid,
        seeds=training_seeds(backend, bounty_id, manifest)[0],
        settings=backend.settings,
        process=True,
    )
