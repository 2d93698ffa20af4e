"""``python -m cli verify BOUNTY``: anyone re-runs a posted score and compares (the Explorer's check).

The files come by the CIDs the chain holds, the seeds from the chain, the training is the
manifest's protocol: a score the owner posted is reproduced or it is not
(``actions.evaluation.start_verify``). Exit status 0: every checked score reproduced; 1: one
differs or could not be checked (said in a sentence); 2: bad arguments.

Examples::

    python -m cli verify 1                        # every posted score of bounty 1
    python -m cli verify 1 --participant 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import common
from cli.common import REFUSED, Context, Refused

VERIFY_TIMEOUT_S = 3600.0


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("verify", help="re-run posted scores of a bounty and compare them")
    parser.add_argument("bounty", type=common.positive_id)
    parser.add_argument(
        "--participant", default=None, metavar="ADDRESS", help="one participant (default: all scored)"
    )
    common.add_options(parser)
    parser.set_defaults(handler=verify_scores)


def verify_scores(ctx: Context) -> dict[str, Any]:
    from actions import evaluation

    bounty_id = ctx.args.bounty
    scored = [s.participant for s in ctx.backend.index.submissions(bounty_id) if s.scored]
    wanted = ctx.args.participant
    participants = [p for p in scored if wanted is None or p.lower() == wanted.lower()]
    if not participants:
        raise Refused(
            f"{wanted} has no posted score in bounty {bounty_id}."
            if wanted
            else f"Bounty {bounty_id} has no posted scores."
        )
    results = []
    for participant in participants:
        ctx.note(f"re-training {ctx.label(participant)}'s submission ...")
        job = evaluation.start_verify(ctx.backend, bounty_id, participant)
        view = ctx.backend.jobs.wait(job.key, timeout=VERIFY_TIMEOUT_S)
        if view.state != "done":
            results.append(
                {"participant": participant, "reproduced": False, "error": view.error or view.state}
            )
            ctx.say(f"✗ {ctx.label(participant)}: could not be checked ({view.error or view.state})")
            continue
        result = dict(view.result)
        result.pop("curves", None)
        results.append(result)
        ctx.say(f"{'✓' if result['reproduced'] else '✗'} {ctx.label(participant)}: {result['summary']}")
    if not all(r["reproduced"] for r in results):
        ctx.exit_code = REFUSED
    return {"bounty": bounty_id, "results": results}
