"""A participant's submission: try hyperparameters locally, commit, reveal, carry salts between machines.

A commitment without its salt is lost work (and a lost bond), so the chain client stores the
salt durably, in two places, *before* the commit is sent; :func:`plan_reveal` picks the stored salt
that opens the commitment the chain holds (a damaged salt file beside it is skipped and named), and
:func:`salt_export` / :func:`import_salts` carry salts between machines (the Submit page offers the
export right after each commit). A trial trains exactly as the evaluation will, but reports the
validation accuracy: the test split stays hidden until the reveal window has closed.
:func:`compute_budget_warning` says before a commit when a model is over the manifest's compute
budget and so would be scored 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import storage
from actions.errors import ActionError
from actions.tasks import fetch_task, manifest_cid
from actions.tx import TxPlan, plan
from formatting import eth, short_address
from ml.manifest import TaskManifest
from ml.model import trainable_parameters
from ml.preprocess import cache_dir_for, prepare
from ml.train import TrainingProgress, train_submission, xla_cache_dir_for
from protocol import (
    Hyperparameters,
    dropout_percent_of,
    dropout_permille_from,
    learning_rate_micro_from,
    learning_rate_of,
)

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
    """Reveal from the stored salt (imported or written at commit); damaged salt files are named."""
    client = backend.client
    damaged = damaged_salt_files(backend, bounty_id, sender.address)
    try:
        secret = client.stored_secret(bounty_id, sender.address)
    except Exception as exc:
        raise ActionError(
            f"No stored salt for {short_address(sender.address)} on bounty {bounty_id} matches the "
            "commitment on chain; import the salt file you exported when you committed."
            + "".join(f" {sentence}" for sentence in damaged)
        ) from exc
    args = (int(bounty_id), secret.hyperparameters.as_tuple(), secret.salt)
    details = [("Hyperparameters", secret.hyperparameters.describe())]
    details += [("Skipped salt file", sentence) for sentence in damaged]
    return plan(
        client,
        sender,
        f"Reveal on bounty {bounty_id}",
        "reveal",
        args,
        lambda: client.reveal(sender, bounty_id, secret.hyperparameters, secret.salt),
        details=details,
    )


def damaged_salt_files(backend: Backend, bounty_id: int, participant: str) -> list[str]:
    """A sentence per damaged salt file of ``participant`` on ``bounty_id`` (each names its file)."""
    client = backend.client
    readout = client.secrets.read_submissions(client.chain_id, client.address, bounty_id, participant)
    return [damage.sentence() for damage in readout.damaged]


@dataclass(frozen=True)
class SaltExport:
    """One account's salts as a file to keep, how many it holds, and the damaged files left out."""

    text: str
    count: int
    skipped: list[str]


def salt_export(backend: Backend, participant: str) -> SaltExport:
    """Every readable stored salt of ``participant`` (keep the file private: it reveals the
    submission); a damaged file is left out and named in ``skipped``, never blocks the rest."""
    exported = backend.client.secrets.export(participant)
    return SaltExport(exported.text, exported.count, [damage.sentence() for damage in exported.skipped])


def export_salts(backend: Backend, participant: str) -> str:
    """The text of :func:`salt_export`."""
    return salt_export(backend, participant).text


def import_salts(backend: Backend, data: bytes | str) -> int:
    """Import salts exported elsewhere, each checked first (all or none); returns how many were stored."""
    return backend.client.secrets.import_json(data)


def task_manifest(backend: Backend, bounty_id: int) -> TaskManifest:
    """The bounty's manifest alone (no split files), found by the digest the chain holds."""
    cid = manifest_cid(backend.client.bounty(bounty_id))
    data = backend.reader.cat(cid)
    if storage.ipfs_cid(data) != cid:
        raise ActionError(f"The content store returned other bytes for the manifest {cid}; not using them.")
    return TaskManifest.from_bytes(data)


def compute_budget_warning(manifest: TaskManifest, hp: Hyperparameters) -> str | None:
    """The sentence to show before committing a model over the manifest's compute budget, or None.

    The evaluation scores such a model 0 without training it (``ml.train``); committing it stays
    the participant's choice.
    """
    budget = manifest.evaluation.max_parameters
    size = trainable_parameters(hp, manifest.sequence_length, len(manifest.feature_names))
    if budget is None or size <= budget:
        return None
    return (
        f"Would be scored 0: this model has {size:,} trainable parameters, above the bounty's compute "
        f"budget of {budget:,}, so the evaluation will not train it. Use fewer or smaller layers, or "
        "commit anyway if that is your choice."
    )


# form field in people's units -> (the contract's field, the exact conversion)
PEOPLE_UNITS = {
    "dropout_percent": ("dropout_permille", dropout_permille_from),
    "learning_rate": ("learning_rate_micro", learning_rate_micro_from),
}


def hyperparameters_from_form(values: Mapping[str, int | float | None]) -> Hyperparameters:
    """Form values -> Hyperparameters, with the protocol's range checks as plain sentences.

    The form shows a learning rate as ``0.001`` (``learning_rate``) and a dropout in percent
    (``dropout_percent``); they become the contract's integers exactly (``PEOPLE_UNITS``), or are
    refused in words. The contract's own fields (``learning_rate_micro``...) are taken as they are.
    A whole float (3.0, from a number input) becomes an int; anything else (2.7, None) is left
    as it is so the protocol refuses it in words, instead of being truncated silently.
    """
    fields: dict[str, object] = {}
    for name, value in values.items():
        if name in PEOPLE_UNITS:
            field_name, convert = PEOPLE_UNITS[name]
            fields[field_name] = convert(value)
        else:
            fields[name] = _whole(value)
    return Hyperparameters.from_dict(fields)


def form_values(hp: Hyperparameters) -> dict[str, int | float]:
    """The form's fields for ``hp``, in people's units (the inverse of :func:`hyperparameters_from_form`)."""
    integers = hp.to_dict()
    values: dict[str, int | float] = dict(integers)
    values.pop("dropout_permille")
    values.pop("learning_rate_micro")
    values["dropout_percent"] = dropout_percent_of(integers["dropout_permille"])
    values["learning_rate"] = learning_rate_of(integers["learning_rate_micro"])
    return values


def _whole(value: int | float | None) -> int | float | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
