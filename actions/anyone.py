"""What anyone may do or see: bounty lists, task files, finalize, withdraw, the explorer, verification.

Reads come from contract views and event logs through the chain client (a few
log queries per bounty, never one call per participant); pages cache them under
the latest block number, so they refresh exactly when the chain changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions.display import duration, eth, percent_ppm, short_address, utc
from actions.errors import ActionError
from actions.tx import TxPlan

PHASE_ICONS = {
    "Submission": ":material/edit_note:",
    "Reveal": ":material/visibility:",
    "Evaluation": ":material/science:",
    "Finalizable": ":material/flag:",
    "Finalized": ":material/verified:",
    "Cancelled": ":material/cancel:",
}


# --------------------------------------------------------------------------- wallet / network


def board_address(backend: Any) -> str | None:
    """The BountyBoard address, or None where none is deployed (a fresh RPC network)."""
    try:
        return backend.client.address
    except Exception:
        return None


def pending_withdrawal(backend: Any, address: str) -> int:
    try:
        client = backend.client
    except Exception:
        return 0
    return client.pending_withdrawal(address)


def unlock_keystore(backend: Any, keyfile: bytes, password: str) -> Any:
    """Import a v3 keystore file and unlock it; the signer lives only in the caller's session."""
    from chain.accounts import Keystore

    keystore = Keystore.open(backend.settings)
    address = keystore.import_keyfile(keyfile.decode("utf-8", errors="replace"))
    return keystore.unlock(address, password)


# --------------------------------------------------------------------------- bounties


def window_of(bounty: Any, now: int) -> tuple[str, int | None]:
    """The phase label and the seconds left in the current window (None when no deadline is ahead)."""
    label = bounty.phase.label
    for deadline in (bounty.submission_deadline, bounty.reveal_deadline, bounty.evaluation_deadline):
        if now < deadline and label in ("Submission", "Reveal", "Evaluation"):
            return label, deadline - now
    return label, None


def bounty_rows(backend: Any, bounties: list[Any] | None = None) -> list[dict[str, Any]]:
    """One row per bounty, newest first, for tables (``bounties`` from a cache, else read now)."""
    now = backend.now()
    rows = []
    for bounty in backend.client.bounties() if bounties is None else bounties:
        phase, left = window_of(bounty, now)
        rows.append(
            {
                "id": bounty.id,
                "phase": phase,
                "time left": duration(left) if left is not None else "",
                "reward": eth(bounty.reward),
                "min accuracy": percent_ppm(bounty.min_accuracy_ppm),
                "commits": bounty.commit_count,
                "reveals": bounty.reveal_count,
                "scored": bounty.scored_count,
                "owner": short_address(bounty.owner),
            }
        )
    return rows


def bounty_label(bounty: Any, now: int) -> str:
    phase, left = window_of(bounty, now)
    tail = f", {duration(left)} left" if left is not None else ""
    return f"#{bounty.id} · {phase}{tail} · {eth(bounty.reward)}"


def created_at(backend: Any, bounty_id: int) -> int:
    """Timestamp of the block that created the bounty (one log query and one block read)."""
    for event in backend.index.events(bounty_id):
        if event.name == "BountyCreated":
            return int(event.timestamp or 0)
    return 0


def windows(bounty: Any, created: int) -> list[tuple[str, int, int]]:
    """(window, start, end) in chain time; ``created`` is the creation block's timestamp."""
    return [
        ("Submission", created, bounty.submission_deadline),
        ("Reveal", bounty.submission_deadline, bounty.reveal_deadline),
        ("Evaluation", bounty.reveal_deadline, bounty.evaluation_deadline),
    ]


def deadline_rows(bounty: Any, now: int) -> list[dict[str, str]]:
    rows = []
    for name, when in (
        ("Submission deadline", bounty.submission_deadline),
        ("Reveal deadline", bounty.reveal_deadline),
        ("Evaluation deadline", bounty.evaluation_deadline),
    ):
        rows.append(
            {
                "deadline": name,
                "UTC (chain time)": utc(when),
                "from now": f"in {duration(when - now)}" if when > now else duration(when - now),
            }
        )
    return rows


# --------------------------------------------------------------------------- task files


def manifest_cid(bounty: Any) -> str:
    import storage

    return storage.digest_to_cid(bounty.manifest_digest)


def fetch_task(backend: Any, bounty_id: int, with_test: bool = False) -> tuple[Any, dict[str, bytes]]:
    """The bounty's manifest and split files from the content store, each checked against its CID.

    The manifest is found by the digest the chain holds, so a participant trains on exactly
    what the owner committed to; ``with_test`` also fetches the test file once it is revealed.
    """
    import storage
    from ml.manifest import TaskManifest
    from ml.preprocess import check_files

    bounty = backend.client.bounty(bounty_id)
    store = backend.store
    cid = manifest_cid(bounty)
    data = store.cat(cid)
    if storage.ipfs_cid(data) != cid:
        raise ActionError(f"The content store returned other bytes for the manifest {cid}; not using them.")
    manifest = TaskManifest.from_bytes(data)
    files = {
        "train": store.cat(manifest.data.train_cid),
        "validation": store.cat(manifest.data.validation_cid),
    }
    expected_test = None
    if with_test:
        if not bounty.test_data_revealed:
            raise ActionError(f"The owner of bounty {bounty_id} has not revealed the test data yet.")
        expected_test = storage.digest_to_cid(bounty.test_data_digest)
        files["test"] = store.cat(expected_test)
    check_files(manifest, files, expected_test)
    return manifest, files


# --------------------------------------------------------------------------- finalize / withdraw


@dataclass
class OutcomePreview:
    """What ``finalize`` would do now, computed from the same views the contract reads."""

    possible: bool
    reason: str
    outcome: str
    credits: dict[str, int] = field(default_factory=dict)  # address -> wei credited at finalize


def outcome_preview(backend: Any, bounty_id: int) -> OutcomePreview:
    client = backend.client
    bounty = client.bounty(bounty_id)
    now = backend.now()
    phase = bounty.phase.label
    if phase in ("Finalized", "Cancelled"):
        return OutcomePreview(False, f"Bounty {bounty_id} is already {phase.lower()}.", settled_text(bounty))
    all_scored = bounty.reveal_count > 0 and bounty.scored_count == bounty.reveal_count
    if phase != "Finalizable":
        earliest = bounty.reveal_deadline if all_scored else bounty.evaluation_deadline
        return OutcomePreview(
            False,
            f"Too early: bounty {bounty_id} may be finalized from {utc(earliest)} "
            f"(in {duration(earliest - now)}).",
            "not yet",
        )
    credits: dict[str, int] = {}
    unrevealed_bonds = (bounty.commit_count - bounty.reveal_count) * bounty.commit_bond
    if unrevealed_bonds:
        credits[bounty.owner] = unrevealed_bonds
    if bounty.reveal_count == 0:
        credits[bounty.owner] = credits.get(bounty.owner, 0) + bounty.reward
        return OutcomePreview(True, "No one revealed.", "no reveals: reward refunded to the owner", credits)
    if all_scored:
        if bounty.best_accuracy_ppm >= bounty.min_accuracy_ppm and bounty.leader != "0x" + "0" * 40:
            credits[bounty.leader] = credits.get(bounty.leader, 0) + bounty.reward
            return OutcomePreview(
                True,
                "Every revealed submission is scored.",
                f"winner {short_address(bounty.leader)} with {percent_ppm(bounty.best_accuracy_ppm)} is paid",
                credits,
            )
        credits[bounty.owner] = credits.get(bounty.owner, 0) + bounty.reward
        return OutcomePreview(
            True,
            "Every revealed submission is scored.",
            "no score reached the bar: reward refunded to the owner",
            credits,
        )
    share, remainder = divmod(bounty.reward, bounty.reveal_count)
    if remainder:
        credits[bounty.first_revealer] = credits.get(bounty.first_revealer, 0) + remainder
    return OutcomePreview(
        True,
        "The evaluation deadline passed with unscored submissions.",
        f"owner stalled: each of {bounty.reveal_count} revealers may claim {eth(share)}",
        credits,
    )


def settled_text(bounty: Any) -> str:
    """The outcome of a settled bounty in words, naming the winner where there is one."""
    if bounty.outcome.name == "WINNER_PAID":
        return (
            f"winner {short_address(bounty.leader)} with {percent_ppm(bounty.best_accuracy_ppm)} "
            f"was credited {eth(bounty.reward)}"
        )
    return bounty.outcome.label


def _plan(
    backend: Any,
    sender: Any,
    title: str,
    fn: str,
    args: tuple,
    send: Any,
    value: int = 0,
    details: list[tuple[str, str]] | None = None,
    after: Any = None,
) -> TxPlan:
    client = backend.client
    return TxPlan(
        title=title,
        function=fn,
        sender=sender.address,
        preview_fn=lambda: client.preview(fn, args, value, sender.address),
        send=send,
        details=details or [],
        after=after,
    )


def plan_finalize(backend: Any, sender: Any, bounty_id: int) -> TxPlan:
    client = backend.client
    return _plan(
        backend,
        sender,
        f"Finalize bounty {bounty_id}",
        "finalize",
        (int(bounty_id),),
        lambda: client.finalize(sender, bounty_id),
        after=lambda receipt: {"outcome": client.bounty(bounty_id).outcome.label},
    )


def plan_claim_share(backend: Any, sender: Any, bounty_id: int) -> TxPlan:
    client = backend.client
    return _plan(
        backend,
        sender,
        f"Claim your share of bounty {bounty_id}",
        "claimShare",
        (int(bounty_id),),
        lambda: client.claim_share(sender, bounty_id),
    )


def plan_withdraw(backend: Any, sender: Any) -> TxPlan:
    client = backend.client
    amount = client.pending_withdrawal(sender.address)
    return _plan(
        backend,
        sender,
        f"Withdraw {eth(amount)}",
        "withdraw",
        (),
        lambda: client.withdraw(sender),
        details=[("Credited to you", eth(amount))],
        after=lambda receipt: {"withdrawn": eth(amount)},
    )


# --------------------------------------------------------------------------- explorer


def event_rows(backend: Any, bounty_id: int) -> list[dict[str, Any]]:
    """The bounty's events, oldest first, with participant labels and readable arguments."""
    rows = []
    for event in backend.index.events(bounty_id):
        args = {k: v for k, v in event.args.items() if k != "bountyId"}
        rows.append(
            {
                "time (UTC)": utc(event.timestamp) if event.timestamp else "",
                "block": event.block,
                "event": event.name,
                "details": _describe_args(backend, args),
                "transaction": event.tx_hash,
            }
        )
    return rows


def _describe_args(backend: Any, args: dict[str, Any]) -> str:
    parts = []
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            value = backend.label_of(value)
        elif isinstance(value, bytes):
            value = "0x" + value.hex()[:12] + "…"
        elif isinstance(value, tuple):
            value = "(" + ", ".join(str(v) for v in value) + ")"
        elif key == "outcome" and isinstance(value, int):
            from chain.client import Outcome

            value = Outcome(value).label if value in Outcome._value2member_map_ else value
        elif key.endswith("Deadline") and isinstance(value, int):
            value = utc(value)
        elif key.endswith("Ppm") and isinstance(value, int):
            value = percent_ppm(value)
        elif key.lower().endswith(("reward", "amount", "refund", "bond")) and isinstance(value, int):
            value = eth(value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def load_report(backend: Any, bounty_id: int) -> dict[str, Any] | None:
    """The latest evaluation report posted for a bounty (by the reportDigest of its last ScoresPosted)."""
    import json

    import storage

    posted = [e for e in backend.index.events(bounty_id) if e.name == "ScoresPosted"]
    if not posted:
        return None
    cid = storage.digest_to_cid(posted[-1].args["reportDigest"])
    report = json.loads(backend.store.cat(cid))
    report["cid"] = cid
    return report


def training_seeds(backend: Any, bounty_id: int, manifest: Any) -> tuple[list[int], dict[str, Any]]:
    """The protocol's training seeds and where they came from (recorded in the report).

    ``reveal_block``: from the hash of the first block at or after the reveal deadline, which
    owner and verifiers read from the chain alike; ``fixed``: the manifest's seeds.
    """
    from chain.blocks import first_block_at_or_after
    from ml import scoring

    protocol = manifest.evaluation
    if protocol.seed_rule != "reveal_block":
        return scoring.fixed_seeds(protocol.seed, protocol.seeds), {}
    deadline = backend.client.bounty(bounty_id).reveal_deadline
    block = first_block_at_or_after(backend.client.w3, deadline)
    if block is None:
        raise ActionError(
            "The training seeds come from the first block at or after the reveal deadline, and no such "
            "block is mined yet: wait until the reveal window has closed."
        )
    seeds = scoring.derive_seeds(block.hash, protocol.seeds)
    return seeds, {"block_number": block.number, "block_hash": "0x" + block.hash.hex()}


def revealed_submissions(backend: Any, bounty_id: int) -> list[Any]:
    return [s for s in backend.index.submissions(bounty_id) if s.revealed]


def verify_job(
    progress: Any,
    manifest_bytes: bytes,
    files: dict[str, bytes],
    participant: str,
    hyperparameters: dict[str, int],
    posted_score_ppm: int,
    test_cid: str,
    seeds: list[int] | None = None,
) -> dict[str, Any]:
    """Background job: re-run one submission's evaluation and compare with the posted score."""
    from ml.manifest import TaskManifest
    from ml.runner import Submission, verify_submission

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


def start_verify(backend: Any, bounty_id: int, participant: str, runner: Any = None) -> Any:
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
    import storage

    test_cid = storage.digest_to_cid(backend.client.bounty(bounty_id).test_data_digest)
    return (runner or backend.jobs).start(
        f"verify:{bounty_id}:{participant}",
        f"Verify {short_address(participant)} on bounty {bounty_id}",
        verify_job,
        manifest.to_bytes(),
        files,
        participant,
        submission.hyperparameters.to_dict(),
        int(submission.accuracy_ppm or 0),
        test_cid,
        seeds=training_seeds(backend, bounty_id, manifest)[0],
        process=True,
    )
