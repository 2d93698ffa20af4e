"""``python -m cli account new|import|list|fund``: the keys of the person at this keyboard.

Keys live encrypted in the data folder's keystore (``chain.accounts.Keystore``, v3 JSON, scrypt);
the password comes from ``HYPERBOUNTY_PASSWORD_FILE`` or a hidden prompt, a private key from a
file or a hidden prompt, never from the command line (where ``ps`` and the shell history see it).
``fund`` sends ETH from a dev node's account to a new one (dev chains only).

Examples::

    python -m cli account new --label alice
    python -m cli account import --key-file ~/key.txt --label bob     # or --keyfile wallet.json (v3)
    python -m cli account list
    python -m cli account fund alice --amount 10 --yes                 # from the dev node's first account
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli import common
from cli.common import BadArguments, Context, Refused


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("account", help="make, import, list or fund keystore accounts")
    actions = parser.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="a new random account, encrypted in this data folder's keystore")
    new.add_argument("--label", default="", help="a name to use with --from (e.g. alice)")
    common.add_options(new)
    new.set_defaults(handler=new_account)
    imported = actions.add_parser("import", help="an existing key into the keystore")
    source = imported.add_mutually_exclusive_group()
    source.add_argument("--key-file", type=Path, metavar="FILE", help="a file holding the hex private key")
    source.add_argument("--keyfile", type=Path, metavar="FILE", help="an encrypted v3 keystore JSON file")
    imported.add_argument("--label", default="", help="a name to use with --from")
    common.add_options(imported)
    imported.set_defaults(handler=import_account)
    listed = actions.add_parser("list", help="the keystore's accounts (and a dev chain's) with balances")
    common.add_options(listed)
    listed.set_defaults(handler=list_accounts)
    fund = actions.add_parser("fund", help="send ETH from a dev node's account to ACCOUNT (dev chains only)")
    fund.add_argument(
        "account", nargs="?", default=None, help="address or keystore label (default: the only one)"
    )
    fund.add_argument("--amount", type=common.eth_amount, default=10**19, metavar="ETH", help="default 10")
    common.add_options(fund, spends=True)
    fund.add_argument(
        "--from",
        dest="sender",
        default="",
        metavar="DEV",
        help="the dev account that pays (default: the first)",
    )
    fund.set_defaults(handler=fund_account)


def _keystore(ctx: Context) -> Any:
    from chain.accounts import Keystore
    from settings import get_settings

    return Keystore.open(get_settings())


def new_account(ctx: Context) -> dict[str, Any]:
    password = common.read_password("the new account", new=True)
    address = _keystore(ctx).create(password, label=ctx.args.label)
    ctx.say(f"✓ New account {address}" + (f" ({ctx.args.label})" if ctx.args.label else ""))
    ctx.say("  Its key is encrypted in the keystore; keep the password: without it the key is lost.")
    return {"address": address, "label": ctx.args.label}


def import_account(ctx: Context) -> dict[str, Any]:
    keystore = _keystore(ctx)
    args = ctx.args
    if args.keyfile is not None:
        address = keystore.import_keyfile(_read(args.keyfile), label=args.label, name=str(args.keyfile))
    else:
        key = _read(args.key_file).strip() if args.key_file is not None else _prompt_key()
        address = keystore.import_key(key, common.read_password("the imported account", new=True), args.label)
    ctx.say(f"✓ Imported {address}" + (f" ({args.label})" if args.label else ""))
    return {"address": address, "label": args.label}


def _read(path: Path) -> str:
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise BadArguments(f"{path} cannot be read ({exc.strerror}).") from None


def _prompt_key() -> str:
    import getpass
    import sys

    if not common.is_interactive():
        raise Refused(
            "Give the private key in a file (--key-file FILE) or run this in a terminal to type it."
        )
    return getpass.getpass("Private key (0x + 64 hex digits): ", stream=sys.stderr).strip()


def list_accounts(ctx: Context) -> dict[str, Any]:
    from chain.errors import ChainError
    from formatting import eth

    keystore = _keystore(ctx)
    damaged = keystore.damaged()
    rows = [
        {"label": "" if a in damaged else keystore.label(a), "address": a, "kind": "keystore"}
        for a in keystore.addresses()
    ]
    try:
        rows += [{"label": s.label, "address": s.address, "kind": "dev"} for s in ctx.backend.dev_senders()]
        for row in rows:
            row["balance_wei"] = ctx.backend.balance(row["address"])
    except ChainError as exc:
        ctx.note(f"No balances: {exc}")
    for row in rows:
        balance = f"  {eth(row['balance_wei'])}" if "balance_wei" in row else ""
        label = row["label"] if row["label"] != row["address"] else ""
        ctx.say(f"{row['address']}  {row['kind']:<8} {label}{balance}")
    for address, sentence in damaged.items():
        ctx.note(f"{address}: {sentence}")
    if not rows:
        ctx.say("No accounts: make one with `python -m cli account new`.")
    return {"accounts": rows}


def fund_account(ctx: Context) -> dict[str, Any]:
    from actions import wallet

    address = target_address(ctx, ctx.args.account)
    plan = wallet.fund_plan(ctx.backend, ctx.args.sender, address, ctx.args.amount)
    tx = ctx.send(plan)
    balance = ctx.backend.balance(address)
    ctx.say(f"  {ctx.label(address)} now holds {_eth(balance)}")
    return {"address": address, "amount_wei": ctx.args.amount, "balance_wei": balance, "transaction": tx}


def _eth(wei: int) -> str:
    from formatting import eth

    return eth(wei)


def target_address(ctx: Context, name: str | None) -> str:
    """An address typed as such, a keystore label, or (None) the keystore's only account."""
    from eth_utils import is_address, to_checksum_address

    if name and is_address(name):
        return to_checksum_address(name)
    keystore = _keystore(ctx)
    addresses = keystore.addresses()
    if name is None:
        if len(addresses) == 1:
            return addresses[0]
        raise BadArguments(
            f"Name the account (an address or a keystore label): the keystore has {len(addresses)} accounts."
        )
    for address in addresses:
        if keystore.label(address).lower() == name.strip().lower():
            return address
    raise BadArguments(f"No keystore account is called {name!r}; `account list` shows them.")
