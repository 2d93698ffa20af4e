"""``python -m cli reset-chain``: start over on a fresh dev chain without losing salts or keys.

Removing the whole data folder (``rm -r .hyperbounty``) also deletes every salt (a lost salt
costs its bond: the submission cannot be revealed) and every keystore key, even for bounties
that keep running on a real network. This command removes only what belongs to the dev chain
or can be rebuilt: the embedded chain's journal and the managed anvil node's state, the
BountyBoard address remembered for the dev chains (other networks' addresses stay), the event
index and the caches. It keeps ``secrets/``, ``secrets-backup/``, ``keystore/``, the content
store and the owner's datasets and reports.

It refuses, removing nothing, while another process (a dashboard, a flow) holds the embedded
chain: it tries the same exclusive lock on ``chain/embedded/state.lock`` that the chain takes
when it opens for writing, and holds it while it removes the folder.

Examples::

    python -m cli reset-chain
    python -m cli reset-chain --data-dir /tmp/hb-demo
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import durable
from cli import common

OK, REFUSED = 0, 1
# anvil's chain id (chain/anvil.py) and the id eth-tester's py-evm chain uses (the embedded chain)
DEV_CHAIN_IDS = ("31337", "131277322940537")
DEV_CHAIN_FOLDERS = (Path("chain", "embedded"), Path("chain", "anvil"))
REBUILDABLE = (Path("index"), Path("cache"), Path("compile-cache"))
KEPT = ("secrets", "secrets-backup", "keystore")
EMBEDDED_LOCK = Path("chain", "embedded", "state.lock")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "reset-chain",
        help="start over on a fresh dev chain; keeps salts (secrets/, secrets-backup/) and keys (keystore/)",
        description="Remove the dev chain's state (embedded journal, anvil state, the dev chains' "
        "BountyBoard address), the event index and the caches; keep the salts, the keystore, the "
        "content store and the owner's datasets and reports. Refuses while the embedded chain is "
        "open in another process.",
    )
    common.add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    data_dir = common.data_dir_of(args.data_dir)
    if not data_dir.is_dir():
        print(f"{data_dir} does not exist: there is nothing to reset.")
        return OK
    with _embedded_chain_lock(data_dir) as holder:
        if holder:
            print(
                f"The embedded chain in {data_dir / 'chain' / 'embedded'} is open in process {holder} "
                "(a dashboard or a flow): stop it first, then run reset-chain again. Nothing was removed.",
                file=sys.stderr,
            )
            return REFUSED
        removed = reset_chain(data_dir)
    for line in removed:
        print(f"removed {line}")
    kept = [name + "/" for name in KEPT if (data_dir / name).exists()]
    print(f"Kept {', '.join(kept) or 'no salts or keys (there were none)'} in {data_dir}.")
    print("The next start creates a fresh dev chain and deploys BountyBoard on it.")
    return OK


def reset_chain(data_dir: Path) -> list[str]:
    """Remove the dev chains' state, their remembered deployments, the index and the caches below
    ``data_dir``; returns what was removed (relative paths). Salts and keys are never touched."""
    removed: list[str] = []
    for relative in (*DEV_CHAIN_FOLDERS, *REBUILDABLE):
        if (data_dir / relative).exists():
            shutil.rmtree(data_dir / relative)
            removed.append(f"{relative}/")
    if _forget_dev_deployments(data_dir / "chain" / "deployments.json"):
        removed.append("the dev chains' BountyBoard address (chain/deployments.json)")
    return removed


def _forget_dev_deployments(path: Path) -> bool:
    """Drop the dev chains' entries; another network's BountyBoard address is kept."""
    if not path.exists():
        return False
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entries = None
    if not isinstance(entries, dict):
        path.unlink()  # unreadable: it cannot point anywhere anyway
        return True
    kept = {chain_id: entry for chain_id, entry in entries.items() if chain_id not in DEV_CHAIN_IDS}
    if kept == entries:
        return False
    if kept:
        durable.atomic_write_json(path, kept)
    else:
        path.unlink()
    return True


@contextlib.contextmanager
def _embedded_chain_lock(data_dir: Path) -> Iterator[str]:
    """Hold the embedded chain's writer lock for the block; yields "" when held, else the holder."""
    lock_path = data_dir / EMBEDDED_LOCK
    if not lock_path.exists():
        yield ""
        return
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            yield handle.read().strip() or "another process"
            return
        yield ""  # the lock goes when the handle closes
