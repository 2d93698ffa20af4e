"""The owner's actions: create a bounty, reveal the test data, evaluate, publish the report, post scores.

Order matters for durability: the test-data salt is written to disk by the chain
client before ``createBounty`` is sent, the manifest and training files are in
the content store before the chain commits to their digest, and the test file is
added to the store before ``revealTestData`` so anyone can fetch it the moment
the reveal is mined. The evaluation report is kept on disk
(``<data>/owner/reports/``) as soon as it exists, so a restart between the
evaluation and ``postScores`` loses no training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import durable
from actions import datasets
from actions.anyone import _plan, revealed_submissions, training_seeds
from actions.display import duration, eth, percent_ppm, short_address, utc
from actions.errors import ActionError
from actions.tx import TxPlan
from settings import get_settings


@dataclass(frozen=True)
class BountyTerms:
    """What the owner chooses on the Initialize page. Amounts in wei, windows in seconds."""

    reward: int
    min_accuracy_ppm: int
    submission_s: int
    reveal_s: int
    evaluation_s: int
    commit_bond: int = 0

    def check(self) -> None:
        if self.reward <= 0:
            raise ActionError("The reward must be more than 0 ETH.")
        if not 1 <= self.min_accuracy_ppm <= 1_000_000:
            raise ActionError("The minimum accuracy must be between 0.0001 % and 100 %.")
        for name, seconds in (
            ("submission", self.submission_s),
            ("reveal", self.reveal_s),
            ("evaluation", self.evaluation_s),
        ):
            if seconds < 300:
                raise ActionError(f"The {name} window must last at least five minutes.")
        if self.commit_bond < 0 or self.commit_bond >= 2**96:
            raise ActionError("The commit bond must be between 0 and 79 billion ETH.")


TRAINING_MARGIN_S = 30 * 60  # time left to evaluate once a live forward test's candles exist


def _check_forward_window(manifest: Any, terms: BountyTerms) -> None:
    """A live forward test's window opens at the reveal deadline: its candles must exist (and
    settle) before the evaluation deadline, with time left to train, or nobody can be scored."""
    from ml.data import SETTLE_S

    rule = manifest.test
    if rule.kind != "forward" or rule.rehearsal or rule.start_time is not None:
        return
    needed = int(rule.duration_s or 0) + SETTLE_S + TRAINING_MARGIN_S
    if terms.evaluation_s < needed:
        raise ActionError(
            f"This forward test scores the {duration(rule.duration_s or 0)} of candles after the reveal "
            f"deadline, which settle {duration(SETTLE_S)} later; the evaluation window must outlast them "
            f"with time to train: make it at least {duration(needed)}."
        )


def accuracy_to_ppm(percent: float | Decimal | str) -> int:
    value = Decimal(str(percent))
    if not Decimal(0) < value <= Decimal(100):
        raise ActionError("The minimum accuracy is a percentage above 0 and at most 100.")
    return int((value * 10_000).to_integral_value())


def plan_create_bounty(
    backend: Any, sender: Any, built: datasets.BuiltDataset, manifest: Any, terms: BountyTerms
) -> TxPlan:
    """Create a bounty for a built dataset under ``manifest`` (which may carry another protocol).

    Deadlines are computed from chain time when the transaction is sent (the preview shows
    them as of now); the files are published first, the salt stored by the client before sending.
    """
    terms.check()
    _check_forward_window(manifest, terms)
    import storage

    client = backend.client
    forward = manifest.forward_test
    # a forward test commits to no file: its test data is built by the manifest's rule later
    test_digest = None if forward else storage.cid_to_digest(built.test_cid)

    def args_at(now: int, commitment: bytes = b"\x00" * 32 if forward else b"\x01" * 32) -> tuple:
        sub = now + terms.submission_s
        rev = sub + terms.reveal_s
        return (
            manifest.digest(),
            commitment,
            terms.min_accuracy_ppm,
            manifest.sequence_length,
            manifest.future_period,
            sub,
            rev,
            rev + terms.evaluation_s,
            terms.commit_bond,
        )

    def send() -> Any:
        datasets.publish(backend, built, manifest)
        sub, rev, ev = client.deadlines_from_now(terms.submission_s, terms.reveal_s, terms.evaluation_s)
        return client.create_bounty(
            sender,
            manifest_digest=manifest.digest(),
            test_data_digest=test_digest,
            reward=terms.reward,
            min_accuracy_ppm=terms.min_accuracy_ppm,
            sequence_length=manifest.sequence_length,
            future_period=manifest.future_period,
            submission_deadline=sub,
            reveal_deadline=rev,
            evaluation_deadline=ev,
            commit_bond=terms.commit_bond,
            test_data_cid="" if forward else built.test_cid,
        )

    now = backend.now()
    args = args_at(now)
    details = [
        ("Reward", eth(terms.reward)),
        ("Minimum accuracy", percent_ppm(terms.min_accuracy_ppm)),
        ("Submissions until", f"{utc(args[5])} ({duration(terms.submission_s)})"),
        ("Reveals until", f"{utc(args[6])}"),
        ("Evaluation until", f"{utc(args[7])}"),
        ("Commit bond", eth(terms.commit_bond)),
        ("Manifest", manifest.cid()),
        ("Test data", test_data_kind(manifest)),
    ]
    return TxPlan(
        title="Create bounty",
        function="createBounty",
        sender=sender.address,
        preview_fn=lambda: client.preview(
            "createBounty", args_at(backend.now()), terms.reward, sender.address
        ),
        send=lambda: _unpack_created(send()),
        details=details,
        after=lambda receipt: {"bounty_id": receipt.bounty_id},
    )


class _Created:
    """The receipt of createBounty with the new id attached (the client returns both)."""

    def __init__(self, bounty_id: int, receipt: Any) -> None:
        self.bounty_id = bounty_id
        self._receipt = receipt

    def __getattr__(self, name: str) -> Any:
        return getattr(self._receipt, name)


def _unpack_created(result: tuple[int, Any]) -> _Created:
    bounty_id, receipt = result
    return _Created(bounty_id, receipt)


def create_bounty(
    backend: Any, sender: Any, built: datasets.BuiltDataset, manifest: Any, terms: BountyTerms
) -> tuple[int, Any]:
    """Without a dialog (headless flow, tests): returns (bounty id, receipt) or raises with a sentence."""
    outcome = plan_create_bounty(backend, sender, built, manifest, terms).execute()
    if not outcome.ok:
        raise ActionError(outcome.error)
    return int(outcome.extra["bounty_id"]), outcome.receipt


# --------------------------------------------------------------------------- test data


def test_data_kind(manifest: Any) -> str:
    """One line on where the test data comes from and who could know it, for every page."""
    rule = manifest.test
    if rule.kind != "forward":
        return "private: the owner's own test split, committed by digest now, published at the reveal"
    if rule.rehearsal:
        return (
            "forward-test rehearsal on the bundled 2018 candles: the rule is public and so is the data "
            "(anyone can rebuild the test file today), so this window is a rehearsal, not a secret"
        )
    return (
        f"forward test: {rule.source} candles of the {duration(rule.duration_s or 0)} after the reveal "
        "deadline, which do not exist yet; built by the manifest's rule after that window"
    )


def build_forward_test_file(backend: Any, bounty_id: int, source: Any = None) -> bytes:
    """The test file of a forward-test bounty, by its manifest's rule (what owner and verifier run)."""
    from actions.anyone import fetch_task
    from ml.data import DataError
    from ml.forward import rebuild_test_file

    bounty = backend.client.bounty(bounty_id)
    manifest, _ = fetch_task(backend, bounty_id)
    try:
        return rebuild_test_file(manifest, bounty.reveal_deadline, backend.now(), source)
    except DataError as exc:
        raise ActionError(str(exc)) from exc


def test_dataset_for(backend: Any, bounty_id: int) -> datasets.BuiltDataset:
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
    built = datasets.find_by_test_cid(secret.test_data_cid) if secret.test_data_cid else None
    if built is None:
        raise ActionError(
            f"The hidden test file of bounty {bounty_id} ({secret.test_data_cid}) is not among "
            "this owner's kept datasets; restore the owner/datasets folder from a backup."
        )
    return built


def plan_reveal_test_data(backend: Any, sender: Any, bounty_id: int, source: Any = None) -> TxPlan:
    """Reveal the test data: the kept private split, or a forward test's file built by its rule.

    ``source`` (forward tests only) replaces the manifest's candle source, for tests.
    """
    client = backend.client
    if client.bounty(bounty_id).forward_test:
        return _plan_reveal_forward(backend, sender, bounty_id, source)
    built = test_dataset_for(backend, bounty_id)

    def send() -> Any:
        cid = backend.store.add(built.files["test"])
        if cid != built.test_cid:
            raise ActionError(f"The store computed {cid} for the test file, not {built.test_cid}.")
        return client.reveal_test_data(sender, bounty_id)

    def preview() -> Any:
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
        details=[("Test file", built.test_cid)],
    )


def _plan_reveal_forward(backend: Any, sender: Any, bounty_id: int, source: Any) -> TxPlan:
    import storage

    client = backend.client
    data = build_forward_test_file(backend, bounty_id, source)
    cid = storage.ipfs_cid(data)
    digest = storage.cid_to_digest(cid)

    def send() -> Any:
        added = backend.store.add(data)
        if added != cid:
            raise ActionError(f"The store computed {added} for the test file, not {cid}.")
        return client.reveal_test_data(sender, bounty_id, test_data_digest=digest)

    return TxPlan(
        title=f"Reveal the forward-test data of bounty {bounty_id}",
        function="revealTestData",
        sender=sender.address,
        preview_fn=lambda: client.preview(
            "revealTestData", (int(bounty_id), digest, b"\x00" * 32), 0, sender.address
        ),
        send=send,
        details=[("Test file (built by the manifest's rule)", cid), ("Rows", str(data.count(b"\n") - 1))],
    )


# --------------------------------------------------------------------------- evaluation


def evaluation_job(
    progress: Any,
    manifest_bytes: bytes,
    files: dict[str, bytes],
    submissions: list[tuple[str, dict[str, int]]],
    test_cid: str,
    workers: int | None = None,
    seeds: list[int] | None = None,
    seed_source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Background job: train and score every revealed submission; returns the report as a dict.

    Runs in a thread of the dashboard; ``ml.runner`` trains in spawned worker processes and its
    progress events arrive here, per submission, with live training metrics.
    """
    from ml.manifest import TaskManifest
    from ml.runner import Submission, evaluate_submissions

    manifest = TaskManifest.from_bytes(manifest_bytes)
    count = max(1, len(submissions))
    state: dict[int, float] = {}

    def relay(event: Any) -> None:
        state[event.index] = (
            event.fraction
            if event.state == "training"
            else (1.0 if event.state in ("scored", "failed") else 0.0)
        )
        row = {
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
    )
    data = report.to_dict()
    data["cid"] = report.cid()
    _keep_report(report.to_bytes(), data["cid"])
    return data


def _keep_report(data: bytes, cid: str) -> None:
    path = get_settings().path("owner", "reports", f"{cid}.json")
    durable.atomic_write(path, data)


def start_evaluation(backend: Any, bounty_id: int, runner: Any = None, workers: int | None = None) -> Any:
    """Fetch the task with the revealed test file, then evaluate every revealed submission (background)."""
    import storage
    from actions.anyone import fetch_task

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
    pairs = [(s.participant, s.hyperparameters.to_dict()) for s in sorted(subs, key=lambda s: s.commit_order)]
    seeds, seed_source = training_seeds(backend, bounty_id, manifest)
    return (runner or backend.jobs).start(
        evaluation_key(bounty_id),
        f"Evaluate bounty {bounty_id}",
        evaluation_job,
        manifest.to_bytes(),
        files,
        pairs,
        test_cid,
        workers=workers,
        seeds=seeds,
        seed_source=seed_source,
        restart=True,
    )


def evaluation_key(bounty_id: int) -> str:
    return f"evaluate:{bounty_id}"


def leaderboard_from_report(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the report's leaderboard, best first: score, its 95 % interval, tie with the leader."""
    rows = []
    for result in report["submissions"]:
        interval = result.get("ci95_ppm") or [None, None]
        rows.append(
            {
                "participant": result["participant"],
                "status": result["status"],
                "score_ppm": result.get("score_ppm"),
                "stderr_ppm": result.get("stderr_ppm"),
                "ci_low_ppm": interval[0],
                "ci_high_ppm": interval[1],
                "auc": result.get("auc"),
                "log_loss": result.get("log_loss"),
                "tied_with_leader": bool(result.get("tied_with_leader")),
                "error": result.get("error") or "",
            }
        )
    rows.sort(key=lambda r: -(r["score_ppm"] if r["score_ppm"] is not None else -1))
    return rows


def baselines_from_report(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's baselines (majority, persistence, logistic regression) with their intervals."""
    rows = []
    for baseline in report.get("baselines", []):
        interval = baseline.get("ci95_ppm") or [None, None]
        rows.append(
            {
                "name": baseline["name"],
                "label": baseline["label"],
                "score_ppm": baseline["score_ppm"],
                "stderr_ppm": baseline["stderr_ppm"],
                "ci_low_ppm": interval[0],
                "ci_high_ppm": interval[1],
            }
        )
    return rows


def suggest_min_accuracy(built: datasets.BuiltDataset, manifest: Any = None) -> Any:
    """The bar to propose on the Initialize page: the best baseline on the public validation
    eras plus two standard errors (``ml.scoring.BarSuggestion``, with its explanation)."""
    from ml import preprocess, scoring
    from ml.data import DataError

    manifest = manifest or built.manifest
    try:
        eras = preprocess.prepare_validation_eras(manifest, built.files)
    except DataError as exc:
        raise ActionError(f"Could not score the baselines on the validation data: {exc}") from exc
    return scoring.suggest_bar(eras, scoring.bandwidth_for(manifest))


def plan_post_scores(backend: Any, sender: Any, bounty_id: int, report: dict[str, Any]) -> TxPlan:
    """Publish the report to the store, then post every unscored participant's score with its digest."""
    import storage
    from ml.manifest import canonical_json

    client = backend.client
    body = {k: v for k, v in report.items() if k != "cid"}
    data = canonical_json(body)
    cid = storage.ipfs_cid(data)
    already = {s.participant for s in backend.index.submissions(bounty_id) if s.scored}
    # a failed training is posted as 0 (the protocol's rule), so one cannot force a stall
    scores = [
        (r["participant"], int(r["score_ppm"] or 0) if r["status"] == "scored" else 0)
        for r in body["submissions"]
        if r["participant"] not in already
    ]
    failed = [r["participant"] for r in body["submissions"] if r["status"] != "scored"]
    if not any(r["status"] == "scored" for r in body["submissions"]):
        raise ActionError(
            "No submission in this report was scored (every training failed, see the errors); "
            "fix the cause and run the evaluation again."
        )
    if not scores:
        raise ActionError("Nothing to post: every scored submission in this report is already on chain.")
    digest = storage.cid_to_digest(cid)
    args = (int(bounty_id), [p for p, _ in scores], [a for _, a in scores], digest)

    def send() -> Any:
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
    return TxPlan(
        title=f"Post {len(scores)} score(s) for bounty {bounty_id}",
        function="postScores",
        sender=sender.address,
        preview_fn=lambda: client.preview("postScores", args, 0, sender.address),
        send=send,
        details=details,
        after=lambda receipt: {"report": cid},
    )


def kept_report(cid: str) -> dict[str, Any] | None:
    path = get_settings().path("owner", "reports", f"{cid}.json")
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["cid"] = cid
    return data


def plan_cancel(backend: Any, sender: Any, bounty_id: int) -> TxPlan:
    client = backend.client
    return _plan(
        backend,
        sender,
        f"Cancel bounty {bounty_id}",
        "cancel",
        (int(bounty_id),),
        lambda: client.cancel(sender, bounty_id),
    )
