"""``python -m cli dispute challenge|rule|show|timeout``: the Disputes page in a terminal.

Runs on the chain of the data dir (``--data-dir``, default HYPERBOUNTY_DATA_DIR or the dashboard's
default) and signs with a dev account named by its wallet label (``--as "Participant 1"``) or a
keystore account (address or label, ``cli.common.resolve_sender``), the same functions the page
calls (``actions.disputes``). Each transaction is previewed first, so a refusal is the contract's
reason in a sentence, then sent without a question. Exit status: 0 done, 1 refused (the reason is
printed), 2 bad arguments.

Examples::

    python -m cli dispute show --bounty 1
    python -m cli dispute challenge --bounty 1 --participant "Participant 2" --claimed 512000 \\
        --as "Participant 1"
    python -m cli dispute rule --dispute 1 --ruling 1            # as the Arbiter, the dev arbitrator
    python -m cli dispute timeout --bounty 1 --dispute 1 --as "Participant 1"
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cli import common
from cli.common import BadArguments, Context

if TYPE_CHECKING:
    from actions.session import Backend


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "dispute",
        help="challenge a posted score, rule on a dispute, close a timed-out one, or show the disputes",
        description="Disputes on the data dir's chain. Exit status 0: done; 1: refused (the reason is "
        "printed); 2: bad arguments.",
    )
    actions = parser.add_subparsers(dest="dispute_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="a bounty's arbitration terms and disputes")
    _bounty(show)
    challenge = actions.add_parser("challenge", help="challenge a participant's posted score")
    _bounty(challenge)
    challenge.add_argument(
        "--participant", required=True, metavar="ADDR", help="whose score: an address or a wallet label"
    )
    challenge.add_argument(
        "--claimed",
        type=int,
        required=True,
        metavar="PPM",
        help="the accuracy you claim, in ppm (0..1000000)",
    )
    _signer(challenge, required=True)
    rule = actions.add_parser("rule", help="rule on a dispute as the arbitrator's owner")
    rule.add_argument("--dispute", type=int, required=True, metavar="ID", help="the arbitrator's dispute id")
    rule.add_argument(
        "--ruling",
        type=int,
        required=True,
        choices=(1, 2),
        help="1: the challenger is right; 2: the score stands",
    )
    rule.add_argument(
        "--bounty",
        type=int,
        default=None,
        metavar="N",
        help="the bounty whose arbitrator rules (default: the dev chain's arbitrator)",
    )
    _signer(rule, default="Arbiter")
    timeout = actions.add_parser("timeout", help="close a dispute the arbitrator never ruled on")
    _bounty(timeout)
    timeout.add_argument(
        "--dispute", type=int, required=True, metavar="ID", help="the arbitrator's dispute id"
    )
    _signer(timeout, required=True)
    for sub in (show, challenge, rule, timeout):
        common.add_data_dir(sub)
    parser.set_defaults(handler=handle)


def _bounty(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bounty", type=int, required=True, metavar="N", help="the bounty's id")


def _signer(parser: argparse.ArgumentParser, *, required: bool = False, default: str | None = None) -> None:
    parser.add_argument(
        "--as",
        dest="signer",
        required=required,
        default=default,
        metavar="LABEL",
        help="the dev account that signs, by its wallet label ('Owner', 'Participant 1', 'Arbiter')"
        + (f"; default {default!r}" if default else ""),
    )


def _check(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments before anything is opened, or None."""
    if getattr(args, "bounty", None) is not None and args.bounty < 1:
        return f"--bounty {args.bounty}: bounty ids start at 1."
    if getattr(args, "dispute", None) is not None and args.dispute < 0:
        return f"--dispute {args.dispute}: dispute ids are 0 or more."
    if getattr(args, "claimed", None) is not None and not 0 <= args.claimed <= 1_000_000:
        return f"--claimed {args.claimed}: an accuracy in ppm, between 0 and 1000000 (100 %)."
    return None


def _address(backend: Backend, name: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if is_address(name):
        return to_checksum_address(name)
    return common.resolve_sender(backend, name).address


def _show(ctx: Context, bounty_id: int) -> dict[str, Any]:
    from actions import disputes

    backend = ctx.backend
    arbitration = disputes.arbitration_of(backend, bounty_id)
    now = backend.now()
    ctx.say(f"Bounty {bounty_id}: arbitration")
    terms = disputes.terms_rows(backend, arbitration)
    for row in terms:
        ctx.say(f"  {row['term']:<18} {row['value']}")
    ctx.say(f"  {disputes.deadline_text(arbitration, now)}")
    rows = disputes.dispute_rows(backend, disputes.disputes(backend, bounty_id), now)
    if not rows:
        ctx.say("No disputes.")
    for d in rows:
        ctx.say(
            f"Dispute {d['dispute']}: {d['challenger']} challenges {d['participant']} "
            f"(posted {d['posted %']}, claimed {d['claimed %']}), opened {d['opened (UTC)']}: {d['status']}"
        )
    return {"bounty": bounty_id, "terms": terms, "disputes": rows}


def handle(ctx: Context) -> dict[str, Any]:
    """One ``dispute`` action; each transaction is previewed and sent without a question (as before)."""
    from actions import disputes

    args = ctx.args
    problem = _check(args)
    if problem:
        raise BadArguments(problem)
    command = args.dispute_command
    if command == "show":
        return _show(ctx, args.bounty)
    backend = ctx.backend
    sender = ctx.sender(args.signer)
    if command == "challenge":
        participant = _address(backend, args.participant)
        plan = disputes.plan_challenge(backend, sender, args.bounty, participant, args.claimed)
    elif command == "rule":
        if args.bounty is not None:
            arbitrator = disputes.arbitration_of(backend, args.bounty).arbitrator
        else:
            arbitrator = disputes.dev_arbitrator(backend).address
        plan = disputes.plan_rule(backend, sender, arbitrator, args.dispute, args.ruling)
    else:
        plan = disputes.plan_timeout(backend, sender, args.bounty, args.dispute)
    return {"transaction": ctx.send(plan)}


def run(args: argparse.Namespace) -> int:
    return common.run(args, handle)
