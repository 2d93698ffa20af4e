"""``python -m cli evaluate run|post``: the owner scores every revealed submission (the Evaluate page).

``run`` reveals the test data first where it is not yet (a transaction), then trains and scores
each revealed submission under the manifest's protocol, following the job with progress bars on
stderr; the report is kept under ``owner/reports/`` before anything else, so ``post`` can publish
it and post the scores later, even after a restart (``actions.evaluation``).

Examples::

    python -m cli evaluate run 1 --from alice --yes --workers 0
    python -m cli evaluate post 1 --from alice --yes
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import common
from cli.common import Context, Refused


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("evaluate", help="score the revealed submissions, post the scores (owner)")
    actions = parser.add_subparsers(dest="evaluate_command", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run", help="reveal the test data if needed, then train and score every submission"
    )
    run.add_argument("bounty", type=common.positive_id)
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="training processes (0: in this process; default: one per core)",
    )
    common.add_options(run, signs=True, spends=True)
    run.set_defaults(handler=run_evaluation)
    post = actions.add_parser("post", help="publish the kept report and post its scores")
    post.add_argument("bounty", type=common.positive_id)
    post.add_argument("--report", default=None, metavar="CID", help="which kept report (default: the newest)")
    common.add_options(post, signs=True, spends=True)
    post.set_defaults(handler=post_scores)


def run_evaluation(ctx: Context) -> dict[str, Any]:
    from rich.console import Console

    from actions import evaluation
    from cli.console import FlowConsole

    bounty_id = ctx.args.bounty
    transactions = []
    if not ctx.backend.client.bounty(bounty_id).test_data_revealed:
        transactions.append(ctx.send(evaluation.plan_reveal_test_data(ctx.backend, ctx.sender(), bounty_id)))
    job = evaluation.start_evaluation(ctx.backend, bounty_id, workers=ctx.args.workers)
    progress = FlowConsole(Console(stderr=True, highlight=False))
    view = progress.follow_evaluation(ctx.backend.jobs, job.key, ctx.label)
    if view.state != "done":
        raise Refused(f"The evaluation of bounty {bounty_id} did not finish: {view.error or view.state}.")
    report = view.result
    rows = evaluation.leaderboard_from_report(report)
    ctx.say(f"✓ Bounty {bounty_id} evaluated; report {report.cid()} kept (post it with `evaluate post`)")
    for rank, row in enumerate(rows, 1):
        ctx.say(f"  {rank}. {ctx.label(row['participant'])}: {_score(row)}")
    return {"bounty": bounty_id, "report": report.cid(), "leaderboard": rows, "transactions": transactions}


def _score(row: Any) -> str:
    from formatting import percent_ppm

    if row["score_ppm"] is None:
        return f"failed ({row['error']})"
    return percent_ppm(row["score_ppm"])


def post_scores(ctx: Context) -> dict[str, Any]:
    from actions import evaluation

    bounty_id = ctx.args.bounty
    reports = evaluation.kept_reports(ctx.backend, bounty_id)
    if ctx.args.report:
        reports = [r for r in reports if r.cid().startswith(ctx.args.report)]
    if not reports:
        raise Refused(
            f"No kept report of bounty {bounty_id} here"
            + (f" is {ctx.args.report}" if ctx.args.report else "")
            + ": run `python -m cli evaluate run` first (in this data folder)."
        )
    report = reports[0]
    tx = ctx.send(evaluation.plan_post_scores(ctx.backend, ctx.sender(), bounty_id, report))
    return {"bounty": bounty_id, "report": report.cid(), "transaction": tx}
