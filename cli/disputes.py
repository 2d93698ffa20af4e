"""``python -m cli dispute challenge|rule|show|timeout``: the Disputes page in a terminal.

Runs on the chain of the data dir (``--data-dir``, default HYPERBOUNTY_DATA_DIR or the dashboard's
default) and signs with a dev account named by its wallet label (``--as "Participant 1"``), the
same functions the page calls (``actions.disputes``). Each transaction is previewed first, so a
refusal is the contract's reason in a sentence. Exit status: 0 done, 1 refused (the reason is
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
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actions.session import Backend
    from actions.tx import TxPlan
    from chain.accounts import Sender

OK, REFUSED, BAD_ARGUMENTS = 0, 1, 2


class BadArguments(Exception):
    """An argument that names nothing this chain has (a label, an address): exit status 2."""


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
        sub.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            metavar="DIR",
            help="the data directory whose chain to use (default: HYPERBOUNTY_DATA_DIR or the dashboard's)",
        )


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


def _account(backend: Backend, name: str) -> Sender:
    """The dev account with wallet label (or address) ``name``."""
    for sender in backend.dev_senders():
        if name.strip().lower() in (sender.label.lower(), sender.address.lower()):
            return sender
    labels = ", ".join(repr(s.label) for s in backend.dev_senders()) or "none on this network"
    raise BadArguments(f"No dev account is called {name!r}; the wallet has {labels}.")


def _address(backend: Backend, name: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if is_address(name):
        return to_checksum_address(name)
    return _account(backend, name).address


def _send(backend: Backend, plan: TxPlan) -> int:
    """Preview (the contract's refusal shows here), send, print the receipt."""
    from actions.errors import plain_error

    try:
        estimate = plan.preview()
    except Exception as exc:
        print(f"✗ {plan.title}: {plain_error(exc)}", file=sys.stderr)
        return REFUSED
    outcome = plan.execute()
    if not outcome.ok:
        print(f"✗ {plan.title}: {outcome.error}", file=sys.stderr)
        return REFUSED
    print(f"✓ {plan.title} ({backend.label_of(plan.sender)})")
    print(
        f"  tx {outcome.tx_hash}  block {outcome.block}  "
        f"gas {outcome.gas_used:,} (estimated {estimate.gas:,})"
    )
    for key, value in outcome.extra.items():
        print(f"  {key.replace('_', ' ')}: {value}")
    return OK


def _show(backend: Backend, bounty_id: int) -> int:
    from actions import disputes

    arbitration = disputes.arbitration_of(backend, bounty_id)
    now = backend.now()
    print(f"Bounty {bounty_id}: arbitration")
    for row in disputes.terms_rows(backend, arbitration):
        print(f"  {row['term']:<18} {row['value']}")
    print(f"  {disputes.deadline_text(arbitration, now)}")
    rows = disputes.dispute_rows(backend, disputes.disputes(backend, bounty_id), now)
    if not rows:
        print("No disputes.")
    for d in rows:
        print(
            f"Dispute {d['dispute']}: {d['challenger']} challenges {d['participant']} "
            f"(posted {d['posted %']}, claimed {d['claimed %']}), opened {d['opened (UTC)']}: {d['status']}"
        )
    return OK


def _dispatch(backend: Backend, args: argparse.Namespace) -> int:
    from actions import disputes

    command = args.dispute_command
    if command == "show":
        return _show(backend, args.bounty)
    sender = _account(backend, args.signer)
    if command == "challenge":
        participant = _address(backend, args.participant)
        return _send(
            backend, disputes.plan_challenge(backend, sender, args.bounty, participant, args.claimed)
        )
    if command == "rule":
        if args.bounty is not None:
            arbitrator = disputes.arbitration_of(backend, args.bounty).arbitrator
        else:
            arbitrator = disputes.dev_arbitrator(backend).address
        return _send(backend, disputes.plan_rule(backend, sender, arbitrator, args.dispute, args.ruling))
    return _send(backend, disputes.plan_timeout(backend, sender, args.bounty, args.dispute))


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        print(problem, file=sys.stderr)
        return BAD_ARGUMENTS
    if args.data_dir is not None:
        # before anything reads the settings: every layer then reads below this folder
        import settings

        os.environ["HYPERBOUNTY_DATA_DIR"] = str(args.data_dir.expanduser().resolve())
        settings.get_settings.cache_clear()
    from actions import session
    from actions.errors import plain_error

    try:
        return _dispatch(session.get_backend(), args)
    except BadArguments as exc:
        print(str(exc), file=sys.stderr)
        return BAD_ARGUMENTS
    except Exception as exc:
        print(f"✗ {plain_error(exc)}", file=sys.stderr)
        return REFUSED
    finally:
        session.close_all()
