"""``python -m cli``: HyperBounty without a browser: one command per role, and the one-process demo.

Each role runs its own commands from its own data folder (its keystore, salts and datasets), on
the actions layer the pages call; see each module for its examples and README.md, "A real bounty
between machines", for the whole sequence::

    python -m cli account new|import|list|fund      # cli/account.py
    python -m cli board deploy|join|info            # cli/board.py
    python -m cli dataset build|publish             # cli/dataset.py
    python -m cli bounty create|list|show|cancel    # cli/bounty.py
    python -m cli submit fetch|commit|reveal        # cli/submit.py
    python -m cli submit search                     # cli/search.py
    python -m cli evaluate run|post                 # cli/evaluate.py
    python -m cli finalize|claim|withdraw           # cli/settle.py
    python -m cli verify BOUNTY                     # cli/verify.py

``flow`` plays every role in one process on the embedded chain (the demo)::

    python -m cli flow                          # three participants, the demo protocol
    python -m cli flow --protocol tiny          # seconds, for tests and smoke checks
    python -m cli flow --participants 5 --data-dir /tmp/hb-demo --summary-json out.json
    python -m cli verify-test-data --bounty 1 --data-dir /tmp/hb-demo   # see cli/verify_data.py
    python -m cli dispute show --bounty 1 --data-dir /tmp/hb-demo       # see cli/disputes.py
    python -m cli reset-chain --data-dir /tmp/hb-demo   # fresh dev chain, keeps salts and keys
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from cli import (
    account,
    board,
    bounty,
    common,
    dataset,
    disputes,
    evaluate,
    recover,
    reset,
    search,
    settle,
    submit,
    verify,
    verify_data,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cli",
        description="HyperBounty without a browser: the scripted twin of the dashboard.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    flow = commands.add_parser(
        "flow",
        help="run a whole bounty: dataset, bounty, commits, reveals, evaluation, payout",
        description="Owner builds the dataset and posts a bounty; participants with different "
        "hyperparameters commit and reveal; the owner evaluates and posts the scores; the bounty "
        "is finalized and the winner withdraws. Runs on the embedded chain.",
    )
    flow.add_argument(
        "--participants",
        type=int,
        default=3,
        metavar="N",
        help="how many participants submit (2..8, default 3)",
    )
    flow.add_argument(
        "--protocol",
        choices=("tiny", "demo"),
        default="demo",
        help="evaluation budget: tiny (seconds, for tests) or demo (default)",
    )
    flow.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where chain state, IPFS blocks and secrets go (default: a fresh temporary "
        "folder; pass the dashboard's data directory to see the bounty there afterwards)",
    )
    flow.add_argument("--reward", default="1", metavar="ETH", help="the bounty's reward in ETH (default 1)")
    flow.add_argument(
        "--min-accuracy",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="the bar a winner must reach, 0..1 (default 0: any scored model can win)",
    )
    flow.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="training worker processes for the evaluation (0: train in this process; "
        "default: as many as the machine has cores for)",
    )
    flow.add_argument(
        "--summary-json",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the outcome (winner, scores, balances, transactions) as JSON",
    )
    account.add_parser(commands)
    board.add_parser(commands)
    dataset.add_parser(commands)
    bounty.add_parser(commands)
    submit_actions = submit.add_parser(commands)  # a group: further `submit` sub-commands register here
    search.add_parser(submit_actions)
    evaluate.add_parser(commands)
    settle.add_parsers(commands)
    verify.add_parser(commands)
    verify_data.add_parser(commands)
    disputes.add_parser(commands)
    recover.add_parser(commands)
    reset.add_parser(commands)
    return parser


def _reward_wei(text: str) -> int:
    from decimal import InvalidOperation

    from formatting import eth_to_wei

    try:
        wei = eth_to_wei(text)
    except InvalidOperation:
        raise ValueError("write the reward in ETH as a number, e.g. 1 or 0.5.") from None
    if wei <= 0:
        raise ValueError("the reward must be more than 0 ETH.")
    return wei


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "handler", None) is not None:  # the per-role commands (cli/common.py)
        return common.run(args, args.handler)
    if args.command == "flow":
        if not 2 <= args.participants <= 8:
            print("--participants must be between 2 and 8.", file=sys.stderr)
            return 2
        if not 0.0 <= args.min_accuracy <= 1.0:
            print("--min-accuracy is a fraction between 0 and 1, e.g. 0.5.", file=sys.stderr)
            return 2
        try:
            args.reward_wei = _reward_wei(args.reward)
        except ValueError as exc:
            print(f"--reward {args.reward!r}: {exc}", file=sys.stderr)
            return 2
        if args.data_dir is None:
            args.data_dir = Path(tempfile.mkdtemp(prefix="hyperbounty-flow-"))
        args.data_dir = args.data_dir.expanduser().resolve()
        # Before anything reads the settings: every layer then writes below this folder, and the
        # flow needs a dev chain whose clock it can advance.
        os.environ["HYPERBOUNTY_DATA_DIR"] = str(args.data_dir)
        os.environ["HYPERBOUNTY_CHAIN"] = "embedded"
        wallet = int(os.environ.get("HYPERBOUNTY_PARTICIPANTS") or 0)
        os.environ["HYPERBOUNTY_PARTICIPANTS"] = str(max(wallet, args.participants))
        from cli.flow import run_flow

        return run_flow(args)
    if args.command == "verify-test-data":
        return verify_data.run(args)
    if args.command == "recover-chain":
        return recover.run(args)
    if args.command == "reset-chain":
        return reset.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
