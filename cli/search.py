"""``python -m cli submit search``: a participant's hyperparameter search on a bounty (Optuna TPE).

Trials train under the bounty's protocol on the published training and validation files (the test
split stays hidden), several at a time on the local process pool or, with ``--ray``, on a Ray
cluster. The study is kept in this data folder (``participant/search/``): the same command run
again continues it, never repeating a finished trial; ``--trials`` is the total the study should
hold. The best hyperparameters are printed ready for ``submit commit``.

Examples::

    python -m cli submit search --bounty 1 --trials 30
    python -m cli submit search --bounty 1 --trials 60 --minutes 20 --ray auto
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import common
from cli.common import Context


def add_parser(actions: argparse._SubParsersAction) -> None:
    """Register ``search`` in the ``submit`` group."""
    parser = actions.add_parser("search", help="search hyperparameters for a bounty (Optuna, pool or Ray)")
    parser.add_argument("--bounty", type=common.positive_id, required=True, metavar="N")
    parser.add_argument(
        "--trials", type=int, default=30, metavar="N", help="finished trials the study should hold (30)"
    )
    parser.add_argument("--minutes", type=float, default=None, metavar="M", help="a time budget as well")
    parser.add_argument("--parallel", type=int, default=None, metavar="N", help="trials at a time (2)")
    parser.add_argument("--seed", type=int, default=None, metavar="N", help="the sampler's seed (repeatable)")
    parser.add_argument(
        "--ray",
        default=None,
        metavar="ADDRESS",
        help="run the trials on this Ray cluster: auto, ray://host:10001 or host:6379 "
        "(default: HYPERBOUNTY_RAY_ADDRESS, else this machine's process pool)",
    )
    common.add_options(parser)
    parser.set_defaults(handler=run_search)


def run_search(ctx: Context) -> dict[str, Any]:
    from actions import search
    from protocol import Hyperparameters

    args = ctx.args
    if args.trials < 1:
        raise common.BadArguments("--trials must be at least 1.")
    seen: list[int] = []

    def progress(event: Any) -> None:
        if event.finished not in seen:
            seen.append(event.finished)
            best = f"{event.best_value_ppm / 10_000:.2f} %" if event.best_value_ppm is not None else "-"
            ctx.note(
                f"  {event.finished}/{event.target} trials finished, {event.running} running, best {best}"
            )

    result = search.search_now(
        ctx.backend,
        args.bounty,
        trials=args.trials,
        seconds=args.minutes * 60 if args.minutes else None,
        parallel=args.parallel,
        ray_address=args.ray,
        progress=progress,
        seed=args.seed,
    )
    ctx.say(f"✓ Bounty {args.bounty}: {result.finished} trial(s) in the study, {result.ran} run now")
    if result.best_hyperparameters is not None and result.best_value_ppm is not None:
        best = Hyperparameters.from_dict(result.best_hyperparameters)
        ctx.say(f"  best validation accuracy {result.best_value_ppm / 10_000:.2f} %: {best.describe()}")
        flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in best.to_dict().items())
        ctx.say(f"  commit it with: python -m cli submit commit {args.bounty} {flags}")
    return {
        "bounty": args.bounty,
        "study": result.storage,
        "finished": result.finished,
        "ran": result.ran,
        "best_value_ppm": result.best_value_ppm,
        "best": result.best_hyperparameters,
        "trials": result.trials,
    }
