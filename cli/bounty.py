"""``python -m cli bounty create|list|show|cancel``: the owner posts a bounty, everyone reads them.

``create`` posts a built dataset (``dataset build``) with the reward and the windows; its files
are published first and the test-data salt is stored before the transaction is sent
(``actions.bounties``). Windows are counted from chain time, not the wall clock.

Examples::

    python -m cli bounty create --reward 1 --bond 0.01 --from alice
    python -m cli bounty list
    python -m cli bounty show 1 --json
    python -m cli bounty cancel 1 --from alice --yes      # before anyone commits
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import common
from cli.common import Context
from cli.dataset import find_dataset


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("bounty", help="create, list, show or cancel bounties")
    actions = parser.add_subparsers(dest="bounty_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="post a bounty on a built dataset")
    create.add_argument("--dataset", default=None, metavar="ID", help="the dataset id (default: the newest)")
    create.add_argument("--reward", type=common.eth_amount, default=10**18, metavar="ETH", help="default 1")
    create.add_argument(
        "--min-accuracy",
        default="0.0001",
        metavar="PERCENT",
        help="the bar a winner must reach (default 0.0001)",
    )
    create.add_argument(
        "--bond", type=common.eth_amount, default=10**16, metavar="ETH", help="commit bond (default 0.01)"
    )
    for window, default in (("submission", 600), ("reveal", 600), ("evaluation", 3600)):
        create.add_argument(
            f"--{window}-s", type=int, default=default, metavar="SECONDS", help=f"default {default}"
        )
    common.add_options(create, signs=True, spends=True)
    create.set_defaults(handler=create_bounty)
    listed = actions.add_parser("list", help="every bounty on the board, newest first")
    common.add_options(listed)
    listed.set_defaults(handler=list_bounties)
    show = actions.add_parser("show", help="one bounty's terms, phase and deadlines")
    show.add_argument("bounty", type=common.positive_id)
    common.add_options(show)
    show.set_defaults(handler=show_bounty)
    cancel = actions.add_parser("cancel", help="cancel a bounty nobody has committed to (owner)")
    cancel.add_argument("bounty", type=common.positive_id)
    common.add_options(cancel, signs=True, spends=True)
    cancel.set_defaults(handler=cancel_bounty)


def create_bounty(ctx: Context) -> dict[str, Any]:
    from actions import bounties

    args = ctx.args
    built = find_dataset(ctx.backend.settings, args.dataset)
    terms = bounties.BountyTerms(
        reward=args.reward,
        min_accuracy_ppm=bounties.accuracy_to_ppm(args.min_accuracy),
        submission_s=args.submission_s,
        reveal_s=args.reveal_s,
        evaluation_s=args.evaluation_s,
        commit_bond=args.bond,
    )
    tx = ctx.send(bounties.plan_create_bounty(ctx.backend, ctx.sender(), built, built.manifest, terms))
    return {"bounty": int(tx["extra"]["bounty_id"]), "dataset": built.dataset_id, "transaction": tx}


def list_bounties(ctx: Context) -> dict[str, Any]:
    from actions import bounties

    rows = bounties.bounty_rows(ctx.backend)
    for row in rows:
        left = f", {row['time left']} left" if row["time left"] else ""
        ctx.say(
            f"#{row['id']}  {row['phase']}{left}  reward {row['reward']}  bar {row['min accuracy']}  "
            f"commits {row['commits']} reveals {row['reveals']} scored {row['scored']}  owner {row['owner']}"
        )
    if not rows:
        ctx.say("No bounties on this board yet.")
    return {"bounties": rows}


def show_bounty(ctx: Context) -> dict[str, Any]:
    from actions import bounties, tasks

    bounty = ctx.backend.client.bounty(ctx.args.bounty)
    now = ctx.backend.now()
    phase, left = bounties.window_of(bounty, now)
    data = {
        "id": bounty.id,
        "phase": phase,
        "seconds_left": left,
        "owner": bounty.owner,
        "reward_wei": bounty.reward,
        "commit_bond_wei": bounty.commit_bond,
        "min_accuracy_ppm": bounty.min_accuracy_ppm,
        "manifest_cid": tasks.manifest_cid(bounty),
        "submission_deadline": bounty.submission_deadline,
        "reveal_deadline": bounty.reveal_deadline,
        "evaluation_deadline": bounty.evaluation_deadline,
        "commits": bounty.commit_count,
        "reveals": bounty.reveal_count,
        "scored": bounty.scored_count,
        "test_data_revealed": bounty.test_data_revealed,
        "outcome": bounty.outcome.label,
        "leader": bounty.leader,
        "best_accuracy_ppm": bounty.best_accuracy_ppm,
    }
    ctx.say(bounties.bounty_label(bounty, now))
    ctx.facts([("owner", ctx.label(bounty.owner)), ("manifest", data["manifest_cid"])])
    for row in bounties.deadline_rows(bounty, now):
        ctx.say(f"  {row['deadline']}: {row['UTC (chain time)']} ({row['from now']})")
    ctx.facts(
        [
            (
                "commits / reveals / scored",
                f"{bounty.commit_count} / {bounty.reveal_count} / {bounty.scored_count}",
            )
        ]
    )
    return {"bounty": data}


def cancel_bounty(ctx: Context) -> dict[str, Any]:
    from actions import bounties

    tx = ctx.send(bounties.plan_cancel(ctx.backend, ctx.sender(), ctx.args.bounty))
    return {"bounty": ctx.args.bounty, "transaction": tx}
