"""The participant's actions: fetch the task, try hyperparameters locally, commit, reveal, move salts.

A commitment without its salt is lost work (and a lost bond), so the chain client
stores the salt durably *before* the commit is sent; :func:`plan_reveal` reads it
back from what the chain holds, and :func:`export_salts` / :func:`import_salts`
carry salts between machines.
"""

from __future__ import annotations

from typing import Any

from actions.anyone import _plan, fetch_task
from actions.display import eth, short_address
from actions.errors import ActionError
from actions.tx import TxPlan
from protocol import Hyperparameters


def trial_job(
    progress: Any, manifest_bytes: bytes, files: dict[str, bytes], hyperparameters: dict[str, int]
) -> dict[str, Any]:
    """Background job (spawned worker): train once under the bounty's protocol, report validation accuracy.

    The test split is hidden until the reveal window, so a trial reports the validation
    accuracy; the evaluation later trains the very same way and scores on the test split.
    """
    from ml.manifest import TaskManifest
    from ml.preprocess import prepare
    from ml.train import train_submission

    manifest = TaskManifest.from_bytes(manifest_bytes)
    progress(0.0, "preparing the data")
    prepared = prepare(manifest, files)

    def relay(event: Any) -> None:
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

    result = train_submission(manifest, prepared, Hyperparameters.from_dict(hyperparameters), relay)
    return result.to_dict()


def trial_key(bounty_id: int, participant: str) -> str:
    return f"trial:{bounty_id}:{participant}"


def start_trial(
    backend: Any, bounty_id: int, participant: str, hp: Hyperparameters, runner: Any = None
) -> Any:

    manifest, files = fetch_task(backend, bounty_id)
    return (runner or backend.jobs).start(
        trial_key(bounty_id, participant),
        f"Trial run on bounty {bounty_id}",
        trial_job,
        manifest.to_bytes(),
        files,
        hp.to_dict(),
        process=True,
        restart=True,
    )


def my_submission(backend: Any, bounty_id: int, participant: str) -> dict[str, Any]:
    return backend.client.submission_view(bounty_id, participant)


def plan_commit(backend: Any, sender: Any, bounty_id: int, hp: Hyperparameters) -> TxPlan:
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
    return _plan(
        backend,
        sender,
        f"Commit to bounty {bounty_id}" if first else f"Replace commitment on {bounty_id}",
        "commit",
        preview_args,
        lambda: client.commit(sender, bounty_id, hp)[1],
        value=value,
        details=details,
    )


def plan_reveal(backend: Any, sender: Any, bounty_id: int) -> TxPlan:
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
    return _plan(
        backend,
        sender,
        f"Reveal on bounty {bounty_id}",
        "reveal",
        args,
        lambda: client.reveal(sender, bounty_id, secret.hyperparameters, secret.salt),
        details=[("Hyperparameters", secret.hyperparameters.describe())],
    )


def export_salts(backend: Any, participant: str) -> str:
    """A JSON file with every stored salt of ``participant`` (keep it private: it reveals the submission)."""
    return backend.client.secrets.export_json(participant)


def import_salts(backend: Any, data: bytes | str) -> int:
    """Import salts exported elsewhere; each is checked against its commitment. Returns how many were new."""
    return backend.client.secrets.import_json(data)


def hyperparameters_from_form(values: dict[str, Any]) -> Hyperparameters:
    """Form values -> Hyperparameters, with the protocol's range checks as plain sentences."""
    return Hyperparameters.from_dict({k: int(v) for k, v in values.items()})
