"""``python -m cli dataset build|publish``: the owner's data step (the Preprocess page).

``build`` cuts the split files and the manifest from the bundled candles and keeps
them under ``owner/datasets/<id>/`` (``actions.datasets``); nothing leaves the machine. ``publish``
adds the manifest and the train and validation files to the content store (the IPFS node of
``HYPERBOUNTY_IPFS_API``, else the embedded store) and says whether the node holds and pins each;
the test file stays with the owner until the reveal.

Examples::

    python -m cli dataset build --protocol tiny
    python -m cli dataset publish                 # the newest built dataset
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from cli import common
from cli.common import BadArguments, Context

if TYPE_CHECKING:
    from actions.datasets import BuiltDataset
    from settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("dataset", help="build the owner's dataset, publish it to IPFS")
    actions = parser.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="build the split files and the manifest (kept locally)")
    build.add_argument(
        "--protocol", choices=("tiny", "demo"), default="demo", help="tiny: seconds to train (tests)"
    )
    common.add_options(build)
    build.set_defaults(handler=build_dataset)
    publish = actions.add_parser("publish", help="add the manifest, train and validation files to IPFS")
    publish.add_argument("dataset", nargs="?", default=None, help="the dataset id (default: the newest)")
    common.add_options(publish)
    publish.set_defaults(handler=publish_dataset)


def build_dataset(ctx: Context) -> dict[str, Any]:
    from actions import datasets
    from settings import get_settings

    settings = get_settings()
    params = datasets.default_parameters(ctx.args.protocol)
    frames = datasets.load_candles(settings, "bundled", list(params.coins))
    built = datasets.build(settings, frames, params)
    ctx.say(f"✓ Dataset {built.dataset_id} built in {built.folder}")
    ctx.facts(built.cids)
    return {"dataset": built.dataset_id, "folder": str(built.folder), "cids": built.cids}


def publish_dataset(ctx: Context) -> dict[str, Any]:
    from actions import datasets

    built = find_dataset(ctx.backend.settings, ctx.args.dataset)
    published = datasets.publish(ctx.backend, built)
    ctx.say(f"✓ Dataset {built.dataset_id} published to {ctx.backend.store.describe()}")
    for item in published.values():
        kept = "pinned" if item.pinned else "held, not pinned" if item.held else "NOT held by the node"
        ctx.say(f"  {item.name}: {item.cid} ({kept})" + (f"  {item.gateway_url}" if item.gateway_url else ""))
    return {"dataset": built.dataset_id, "files": [asdict(item) for item in published.values()]}


def find_dataset(settings: Settings, dataset_id: str | None) -> BuiltDataset:
    """A dataset this owner built: by id (or its start), default the newest."""
    from actions import datasets

    kept = datasets.saved(settings)
    if not kept:
        raise BadArguments("No dataset is built in this data folder yet: run `python -m cli dataset build`.")
    if dataset_id is None:
        return kept[0]
    for built in kept:
        if built.dataset_id.startswith(dataset_id):
            return built
    raise BadArguments(f"No dataset {dataset_id!r} here; built: {', '.join(b.dataset_id for b in kept)}.")
