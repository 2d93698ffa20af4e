"""``python -m cli submit fetch|commit|reveal``: a participant's side of a bounty (the Submit page).

``fetch`` reads the bounty's manifest and split files by the digest the chain holds, from this
folder's store, its IPFS node or an HTTP gateway (``HYPERBOUNTY_IPFS_GATEWAY``), every byte checked
against its CID (``actions.tasks.fetch_task``). ``commit`` sends the hash of the hyperparameters
with the bond; the salt that opens it is stored in this data folder before anything is sent
(keep that folder, or export the salts). ``reveal`` opens the commitment once the submission
window has closed.

Examples::

    python -m cli submit fetch 1 --out task/
    python -m cli submit commit 1 --lstm-units 16 --dense-layers 1 --from bob --yes
    python -m cli submit reveal 1 --from bob --yes
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import Any

from cli import common
from cli.common import Context


def add_parser(commands: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Register ``submit``; returns its sub-commands, so another module can add one (``search``)."""
    from protocol import RANGES, Hyperparameters

    parser = commands.add_parser("submit", help="fetch a bounty's task, commit hyperparameters, reveal them")
    actions = parser.add_subparsers(dest="submit_command", required=True, metavar="ACTION")
    fetch = actions.add_parser("fetch", help="the bounty's manifest and files, checked against their CIDs")
    fetch.add_argument("bounty", type=common.positive_id)
    fetch.add_argument("--out", type=Path, default=None, metavar="DIR", help="also write the files there")
    common.add_options(fetch)
    fetch.set_defaults(handler=fetch_task)
    commit = actions.add_parser("commit", help="commit hyperparameters (the salt is stored first)")
    commit.add_argument("bounty", type=common.positive_id)
    defaults = Hyperparameters()
    for item in fields(Hyperparameters):
        low, high, meaning = RANGES[item.name]
        commit.add_argument(
            "--" + item.name.replace("_", "-"),
            type=int,
            default=getattr(defaults, item.name),
            metavar="N",
            help=f"{meaning}, {low}..{high} (default {getattr(defaults, item.name)})",
        )
    common.add_options(commit, signs=True, spends=True)
    commit.set_defaults(handler=commit_submission)
    reveal = actions.add_parser("reveal", help="reveal your committed hyperparameters with the stored salt")
    reveal.add_argument("bounty", type=common.positive_id)
    common.add_options(reveal, signs=True, spends=True)
    reveal.set_defaults(handler=reveal_submission)
    return actions


def fetch_task(ctx: Context) -> dict[str, Any]:
    from actions import tasks

    bounty_id = ctx.args.bounty
    manifest, files = tasks.fetch_task(ctx.backend, bounty_id)
    cids = {
        "manifest": manifest.cid(),
        "train": manifest.data.train_cid,
        "validation": manifest.data.validation_cid,
    }
    ctx.say(f"✓ Bounty {bounty_id}: the task is here, every file checked against its CID")
    ctx.say(f"  manifest: {cids['manifest']}  {manifest.title}")
    for name, data in files.items():
        ctx.say(f"  {name}: {cids[name]} ({len(data):,} bytes)")
    if ctx.args.out is not None:
        out = ctx.args.out.expanduser()
        out.mkdir(parents=True, exist_ok=True)
        (out / "manifest.json").write_bytes(manifest.to_bytes())
        for name, data in files.items():
            (out / f"{name}.csv").write_bytes(data)
        ctx.say(f"  written to {out}")
    return {"bounty": bounty_id, "cids": cids, "sizes": {name: len(data) for name, data in files.items()}}


def commit_submission(ctx: Context) -> dict[str, Any]:
    from actions import submissions
    from protocol import Hyperparameters

    args = ctx.args
    hp = Hyperparameters(**{item.name: getattr(args, item.name) for item in fields(Hyperparameters)})
    warning = _budget_warning(ctx, hp)
    if warning:
        ctx.note(warning)
    tx = ctx.send(submissions.plan_commit(ctx.backend, ctx.sender(), args.bounty, hp))
    ctx.say("  The salt that opens this commitment is stored in this data folder: keep it until you reveal.")
    return {"bounty": args.bounty, "hyperparameters": hp.to_dict(), "transaction": tx}


def _budget_warning(ctx: Context, hp: Any) -> str | None:
    """The compute-budget sentence for ``hp``, when the manifest can be read here (fetched before)."""
    from actions import submissions

    try:
        manifest = submissions.task_manifest(ctx.backend, ctx.args.bounty)
    except Exception:  # not fetched yet: the commit itself does not need the manifest
        return None
    return submissions.compute_budget_warning(manifest, hp)


def reveal_submission(ctx: Context) -> dict[str, Any]:
    from actions import submissions

    tx = ctx.send(submissions.plan_reveal(ctx.backend, ctx.sender(), ctx.args.bounty))
    return {"bounty": ctx.args.bounty, "transaction": tx}
