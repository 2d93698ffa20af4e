"""A participant's submission: try hyperparameters locally, commit, reveal, carry salts between machines.

A commitment without its salt is lost work (and a lost bond), so the chain client stores the
salt durably *before* the commit is sent; :func:`plan_reveal` picks the stored salt that opens
the commitment the chain holds, and :func:`export_salts` / :func:`import_salts` carry salts between
machines. A trial trains exactly as the evaluation will, but reports the validation accuracy: the
test split stays hidden until the reveal window has closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actions.errors import ActionError
from actions.tasks import fetch_task
from actions.tx import TxPlan, plan
from formatting import eth, short_address
from ml.manifest import TaskManifest
from ml.preprocess import cache_dir_for, prepare
from ml.train import TrainingProgress, train_submission, xla_cache_dir_for
from protocol import Hyperparameters

if TYPE_CHECKING:
    from actions.jobs import JobRunner, JobView, Progress
    from actions.session import Backend
    from chain.accounts import Sender
    from chain.client import SubmissionView
    from settings import Settings


def trial_job(
    progress: Progress,
    manifest_bytes: bytes,
    files: dict[str, bytes],
    hyperparameters: dict[str, int],
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Background job (spawned worker): train once under the bounty's protocol, report validation accuracy.

    The test split is hidden until the reveal window, so a trial reports the validation
    accuracy; the evaluation later trains the very same way and scores on the test split.
    Returns ``ml.train.TrainingResult.to_dict()`` (JSON: it crosses the worker's queue).
    """
    manifest = TaskManifest.from_bytes(manifest_bytes)
    progress(0.0, "preparing the data")
    # the caches of the backend's data dir (``settings``), which the spawned worker cannot ask for
    prepared = prepare(manifest, files, cache_dir=cache_dir_for(settings) if settings else None)

    def relay(event: TrainingProgress) -> None:
        if event.epoch_done or event.batch == event.batches or event.batch % 5 == 0:
            point = {"step": round(event.epoch - 1 + event.batch / event.batches, 4)}
            point.update({k: round(float(v), 5) for k, v in event.logs.items()})
            progress.curve("trial", point)
        progress(
            event.fraction,
            f"epoch {event.epoch} of {event.epochs}, batch {event.batch}/{event.batches}",
            epoch=event.epoch,
            epochs=event.epochs,
            curves=event.curves,
        )

    xla_dir = xla_cache_dir_for(settings) if settings else None
    hp = Hyperparameters.from_dict(hyperparameters)
    result = train_submission(manifest, prepared, hp, relay, xla_cache_dir=xla_dir)
    return result.to_dict()


def trial_key(bounty_id: int, participant: str) -> str:
    return f"trial:{bounty_id}:{participant}"


def start_trial(
    backend: Backend, bounty_id: int, participant: str, hp: Hyperparameters, runner: JobRunner | None = None
) -> JobView:
    """Fetch the task (files checked by CID), then train once in a spawned worker (background)."""
    manifest, files = fetch_task(backend, bounty_id)
    return (runner or backend.jobs).start(
        trial_key(bounty_id, participant),
        f"Trial run on bounty {bounty_id}",
        trial_job,
        manifest.to_bytes(),
        files,
        hp.to_dict(),
        backend.settings,
        process=True,
        restart=True,
    )


def my_submission(backend: Backend, bounty_id: int, participant: str) -> SubmissionView:
    return backend.client.submission_view(bounty_id, participant)


def plan_commit(backend: Backend, sender: Sender, bounty_id: int, hp: Hyperparameters) -> TxPlan:
    """Commit (or replace) hyperparameters; the first commit carries the bond."""
    client = backend.client
    bounty = client.bounty(bounty_id)
    first = not my_submission(backend, bounty_id, sender.address)["commit_order"]
    value = bounty.commit_bond if first else 0
    preview_args = (int(bounty_id), b"\x01" * 32)
    details = [
        ("Hyperparameters", hp.describe()),
        ("Bond", f"{eth(value)} (credited back at reveal)" if first else "none (replacing a commitment)"),
    ]
    return plan(
        client,
        sender,
        f"Commit to bounty {bounty_id}" if first else f"Replace commitment on {bounty_id}",
        "commit",
        preview_args,
        lambda: client.commit(sender, bounty_id, hp)[1],
        value=value,
        details=details,
    )


def plan_reveal(backend: Backend, sender: Sender, bounty_id: int) -> TxPlan:
    """Reveal from the stored salt (imported or written at commit)."""
    client = backend.client
    try:
        secret = client.stored_secret(bounty_id, sender.address)
    except Exception as exc:
        raise ActionError(
            f"No stored salt for {short_address(sender.address)} on bounty {bounty_id} matches the "
            "commitment on chain; import the salt file you exported when you committed."
        ) from exc
    args = (int(bounty_id), secret.hyperparameters.as_tuple(), secret.salt)
    return plan(
        client,
        sender,
        f"Reveal on bounty {bounty_id}",
        "reveal",
        args,
        lambda: client.reveal(sender, bounty_id, secret.hyperparameters, secret.salt),
        details=[("Hyperparameters", secret.hyperparameters.describe())],
    )


def export_salts(backend: Backend, participant: str) -> str:
    """A JSON file with every stored salt of ``participant`` (keep it private: it reveals the submission)."""
    return backend.client.secrets.export_json(participant)


def import_salts(backend: Backend, data: bytes | str) -> int:
    """Import salts exported elsewhere, each checked first (all or none); returns how many were stored."""
    return backend.client.secrets.import_json(data)


def hyperparameters_from_form(values: Mapping[str, int | float | None]) -> Hyperparameters:
    """Form values -> Hyperparameters, with the protocol's range checks as plain sentences.

    A whole float (3.0, from a number input) becomes an int; anything else (2.7, None) is left
    as it is so the protocol refuses it in words, instead of being truncated silently.
    """
    return Hyperparameters.from_dict({k: _whole(v) for k, v in values.items()})


def _whole(value: int | float | None) -> int | float | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
