"""``python -m cli verify-test-data --bounty N``: rebuild a forward test's data and compare it.

Rebuilds the test file of a forward-test bounty by its manifest's rule from the public source and
compares it with the file the owner revealed (``actions.verify_data.check_test_data``). Prints
whether it matches, or the first row that differs. Exit status: 0 match, 1 mismatch, 2 it could
not be checked (the reason is printed as a sentence).

Examples::

    python -m cli verify-test-data --bounty 3
    python -m cli verify-test-data --bounty 3 --data-dir ~/.hyperbounty
"""

from __future__ import annotations

import argparse
import sys

from cli import common

MATCH, MISMATCH, ERROR = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "verify-test-data",
        help="rebuild a forward-test bounty's test file by its rule and compare it with the revealed one",
        description="Rebuild the test file of a forward-test bounty from the public source by the "
        "manifest's rule and compare it with the file the owner revealed. Exit status 0: it matches; "
        "1: it differs (the first differing row is printed); 2: it could not be checked.",
    )
    parser.add_argument("--bounty", type=int, required=True, metavar="N", help="the bounty's id")
    common.add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    if args.bounty < 1:
        print(f"--bounty {args.bounty}: bounty ids start at 1.", file=sys.stderr)
        return ERROR
    common.use_data_dir(args.data_dir)
    from actions import session
    from actions.errors import plain_error
    from actions.verify_data import check_test_data

    try:
        backend = session.get_backend()
        check = check_test_data(backend, args.bounty)
    except Exception as exc:
        print(f"Bounty {args.bounty}: cannot check the test data: {plain_error(exc)}", file=sys.stderr)
        return ERROR
    finally:
        session.close_all()
    summary = check.summary()  # "Matches: ..." or "Does NOT match: ... First difference at row ..."
    print(f"Bounty {args.bounty}: {summary[:1].lower()}{summary[1:]}")
    return MATCH if check.matches else MISMATCH
