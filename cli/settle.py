"""``python -m cli finalize|claim|withdraw``: settling a bounty and collecting credits (the Finalize page).

Payments are pulled: ``finalize`` (anyone, once the windows allow) only credits the winner, the
owner's refunds or a stalled bounty's shares; ``claim`` takes one revealer's share of a stalled
bounty; ``withdraw`` sends an account's whole credit to it (``actions.settlement``). Before
``finalize`` the outcome it would record is shown, derived from the same views the contract reads.

Examples::

    python -m cli finalize 1 --from bob --yes
    python -m cli claim 1 --from bob --yes
    python -m cli withdraw --from bob --yes
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import common
from cli.common import Context, Refused


def add_parsers(commands: argparse._SubParsersAction) -> None:
    finalize = commands.add_parser("finalize", help="settle a bounty: credit the winner or the refunds")
    finalize.add_argument("bounty", type=common.positive_id)
    common.add_options(finalize, signs=True, spends=True)
    finalize.set_defaults(handler=finalize_bounty)
    claim = commands.add_parser("claim", help="claim your share of a stalled bounty (revealers)")
    claim.add_argument("bounty", type=common.positive_id)
    common.add_options(claim, signs=True, spends=True)
    claim.set_defaults(handler=claim_share)
    withdraw = commands.add_parser("withdraw", help="send your whole credit on the board to your account")
    common.add_options(withdraw, signs=True, spends=True)
    withdraw.set_defaults(handler=withdraw_credit)


def finalize_bounty(ctx: Context) -> dict[str, Any]:
    from actions import settlement

    bounty_id = ctx.args.bounty
    preview = settlement.outcome_preview(ctx.backend, bounty_id)
    if not preview.possible:
        raise Refused(preview.reason)
    ctx.say(f"Finalizing now: {preview.outcome}")
    tx = ctx.send(settlement.plan_finalize(ctx.backend, ctx.sender(), bounty_id))
    bounty = ctx.backend.client.bounty(bounty_id)
    return {
        "bounty": bounty_id,
        "outcome": bounty.outcome.label,
        "leader": bounty.leader,
        "credits_wei": preview.credits,
        "transaction": tx,
    }


def claim_share(ctx: Context) -> dict[str, Any]:
    from actions import settlement

    tx = ctx.send(settlement.plan_claim_share(ctx.backend, ctx.sender(), ctx.args.bounty))
    return {"bounty": ctx.args.bounty, "transaction": tx}


def withdraw_credit(ctx: Context) -> dict[str, Any]:
    from actions import settlement

    sender = ctx.sender()
    credit = settlement.pending_withdrawal(ctx.backend, sender.address)
    if not credit:
        raise Refused(f"{ctx.label(sender.address)} has no credit on this board to withdraw.")
    tx = ctx.send(settlement.plan_withdraw(ctx.backend, sender))
    balance = ctx.backend.balance(sender.address)
    return {"address": sender.address, "withdrawn_wei": credit, "balance_wei": balance, "transaction": tx}
