"""``python -m cli recover-chain``: reopen a damaged embedded chain at its last intact block.

The embedded chain refuses to open a journal with a damaged record (``chain.embedded.JournalDamaged``
names the file and the last intact block) rather than rolling back in silence. This command does
what that sentence offers: it keeps a copy of the journal beside it (``state.journal.damaged-<time>``)
and cuts the journal back to the last complete request before the damage, then says what it kept.
Exit status: 0 recovered or nothing to do, 2 it could not (the reason is printed as a sentence).

Examples::

    python -m cli recover-chain
    python -m cli recover-chain --data-dir ~/.hyperbounty
"""

from __future__ import annotations

import argparse
import sys

from cli import common

OK, ERROR = 0, 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "recover-chain",
        help="keep a copy of a damaged embedded chain journal and reopen the chain at its last intact block",
        description="Copy the embedded chain's journal aside (state.journal.damaged-<time>) and cut it back "
        "to the last intact block before the damage. Does nothing to an intact journal.",
    )
    common.add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    from chain.embedded import recover_journal
    from chain.errors import ChainError
    from settings import Settings

    settings = Settings(data_dir=common.data_dir_of(args.data_dir))
    try:
        recovery = recover_journal(settings.path("chain", "embedded"))
    except (ChainError, OSError) as exc:
        print(f"Cannot recover the chain: {exc}", file=sys.stderr)
        return ERROR
    print(recovery.summary())
    return OK
