"""``python -m cli board deploy|join|info``: which BountyBoard this data folder works with.

Every bounty of a chain lives in one BountyBoard contract, so the parties must agree on it: the
owner deploys one (``deploy``, a transaction previewed with its EIP-1559 fee), or everyone joins a
known one by address (``join``: the code there is checked against this release's BountyBoard and
refused in words when it differs). The data folder remembers the board per chain
(``actions.wallet``).

Examples::

    python -m cli board deploy --from alice --yes
    python -m cli board join 0x5FbDB2315678afecb367f032d93F642f64180aa3
    python -m cli board info --json
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from cli import common
from cli.common import Context


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "board", help="deploy a BountyBoard, join a known one, or show the one in use"
    )
    actions = parser.add_subparsers(dest="board_command", required=True, metavar="ACTION")
    deploy = actions.add_parser("deploy", help="deploy this release's BountyBoard from an account")
    common.add_options(deploy, signs=True, spends=True)
    deploy.set_defaults(handler=deploy_board)
    join = actions.add_parser("join", help="use the BountyBoard at ADDRESS (checked first)")
    join.add_argument("address", help="the board's address (0x...)")
    common.add_options(join)
    join.set_defaults(handler=join_board)
    info = actions.add_parser("info", help="the chain and the board this data folder uses")
    common.add_options(info)
    info.set_defaults(handler=board_info)


def deploy_board(ctx: Context) -> dict[str, Any]:
    from actions import wallet

    tx = ctx.send(wallet.deploy_plan(ctx.backend, ctx.sender()))  # remembered and used at once
    return {"transaction": tx, "board": _info(ctx)}


def join_board(ctx: Context) -> dict[str, Any]:
    from actions import wallet

    deployment = wallet.join_board(ctx.backend, ctx.args.address)
    ctx.say(f"✓ Joined the BountyBoard at {deployment.address} on chain {deployment.chain_id}")
    return {"board": _info(ctx)}


def board_info(ctx: Context) -> dict[str, Any]:
    return {"board": _info(ctx)}


def _info(ctx: Context) -> dict[str, Any]:
    from actions import wallet

    info = wallet.board_info(ctx.backend)
    ctx.say(info.sentence)
    ctx.facts(
        [
            ("chain", f"{info.chain_id} (genesis {info.genesis_hash})"),
            ("board", info.address or "none"),
            ("deployed by", ctx.label(info.deployer) if info.deployer else "unknown here"),
            ("in block", info.block or "unknown here"),
        ]
    )
    return asdict(info)
