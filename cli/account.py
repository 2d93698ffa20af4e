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
        default=None,
        metavar="DEV",
        help="the dev account that pays (default: the first)",
    )
    fund.set_defaults(handler=fund_account)


def new_account(ctx: Context) -> dict[str, Any]:
    from actions import wallet

    password = common.read_password("the new account", new=True)
    address = wallet.create_account(ctx.backend, password, label=ctx.args.label)
    ctx.say(f"✓ New account {address}" + (f" ({ctx.args.label})" if ctx.args.label else ""))
    ctx.say("  Its key is encrypted in the keystore; keep the password: without it the key is lost.")
    return {"address": address, "label": ctx.args.label}


def import_account(ctx: Context) -> dict[str, Any]:
    from actions import wallet

    args = ctx.args
    if args.keyfile is not None:
        password = common.read_password(f"the keystore file {args.keyfile}")
        address = wallet.import_account(
            ctx.backend, keyfile=_read(args.keyfile), password=password, label=args.label
        )
    else:
        key = _read(args.key_file).strip() if args.key_file is not None else _prompt_key()
        password = common.read_password("the imported account", new=True)
        address = wallet.import_account(ctx.backend, private_key=key, password=password, label=args.label)
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
    from actions import wallet
    from formatting import eth

    backend = ctx.backend
    rows = [
        {"label": a.label, "address": a.address, "kind": "keystore"}
        for a in wallet.keystore_accounts(backend)
    ]
    rows += [{"label": a.label, "address": a.address, "kind": "dev"} for a in backend.accounts()]
    for row in rows:
        row["balance_wei"] = backend.balance(row["address"])
        label = row["label"] if row["label"] != row["address"] else ""
        ctx.say(f"{row['address']}  {row['kind']:<8}  {eth(row['balance_wei']):>16}  {label}")
    for address, sentence in backend.keystore().damaged().items():
        ctx.note(f"{address}: {sentence}")
    if not rows:
        ctx.say("No accounts: make one with `python -m cli account new`.")
    return {"accounts": rows}


def fund_account(ctx: Context) -> dict[str, Any]:
    from actions import wallet
    from formatting import eth

    backend = ctx.backend
    address = target_address(ctx, ctx.args.account)
    funders = wallet.funders(backend)
    if ctx.args.sender is None and not funders:
        raise Refused(
            f"Chain {backend.chain.chain_id} is not a dev chain, so no dev account pays new accounts here; "
            f"send ETH to {address} from a wallet, an exchange or a faucet."
        )
    payer = ctx.args.sender if ctx.args.sender is not None else funders[0].label
    tx = ctx.send(wallet.fund_plan(backend, payer, address, ctx.args.amount))
    balance = backend.balance(address)
    ctx.say(f"  {ctx.label(address)} now holds {eth(balance)}")
    return {"address": address, "amount_wei": ctx.args.amount, "balance_wei": balance, "transaction": tx}


def target_address(ctx: Context, name: str | None) -> str:
    """An address typed as such, a keystore label, or (None) the keystore's only account."""
    from eth_utils import is_address, to_checksum_address

    from actions import wallet

    if name and is_address(name):
        return to_checksum_address(name)
    mine = wallet.keystore_accounts(ctx.backend)
    if name is None:
        if len(mine) == 1:
            return mine[0].address
        raise BadArguments(
            f"Name the account (an address or a keystore label): the keystore has {len(mine)}."
        )
    for account in mine:
        if account.label.lower() == name.strip().lower():
            return account.address
    raise BadArguments(f"No keystore account is called {name!r}; `account list` shows them.")
