"""What every per-role command shares: the data dir, the backend, who signs, confirmation, output.

Each role command (``account``, ``board``, ``bounty``, ``submit`` ...) is a handler: a function of
a :class:`Context` that returns a JSON-able dict and prints its short human summary through
``ctx.say``. :func:`run` does the rest, the same way for all of them:

- ``--data-dir`` goes into ``HYPERBOUNTY_DATA_DIR`` before anything reads the settings
  (:func:`use_data_dir`), so every layer writes below that folder;
- ``--from ACCOUNT`` names the signer: a keystore address or label (unlocked with the password
  from ``HYPERBOUNTY_PASSWORD_FILE`` or a hidden prompt), or on a dev chain a node account by its
  wallet label ("Owner", "Participant 2");
- a transaction is previewed (the contract's refusal shows here, as a sentence) and its preview
  lines are shown before a y/N question; ``--yes`` sends without asking, and with no terminal to
  ask on the command refuses instead of waiting for ever;
- ``--json``: the handler's dict on stdout and nothing else (prompts and progress go to stderr);
- exit status 0 done, 1 refused (one sentence on stderr after a "✗", ``actions.errors.plain_error``),
  2 bad arguments (the sentence alone). Nothing is half-written by a refusal: every check and
  preview runs before a send.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions.session import Backend
    from actions.tx import TxPlan
    from chain.accounts import Sender

OK, REFUSED, BAD_ARGUMENTS = 0, 1, 2
PASSWORD_FILE_VARIABLE = "HYPERBOUNTY_PASSWORD_FILE"

Handler = Callable[["Context"], dict[str, Any]]


class Refused(Exception):
    """The command will not go on; ``str()`` is the sentence to show (exit status 1)."""


class BadArguments(Exception):
    """An argument names nothing that exists here (a label, a file): exit status 2."""


# --------------------------------------------------------------------------- parser options


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the data directory (keystore, salts, chain, content store; default: HYPERBOUNTY_DATA_DIR "
        "or the dashboard's)",
    )


def add_options(parser: argparse.ArgumentParser, *, signs: bool = False, spends: bool = False) -> None:
    """``--data-dir`` and ``--json`` for every command; ``--from`` where someone signs; ``--yes``
    where a transaction spends ETH."""
    add_data_dir(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the result as JSON on stdout (and nothing else there)"
    )
    if signs:
        parser.add_argument(
            "--from",
            dest="sender",
            default=None,
            metavar="ACCOUNT",
            help="who signs: a keystore address or label (default: the keystore's only account), or on "
            "a dev chain 'Owner' / 'Participant N'",
        )
    if spends:
        parser.add_argument("--yes", action="store_true", help="send without asking for confirmation")


def eth_amount(text: str) -> int:
    """An ETH amount typed by a person, in wei (argparse ``type=``); a sentence when it is not one."""
    from formatting import eth_to_wei

    try:
        return eth_to_wei(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of ETH (e.g. 1 or 0.05)") from None
    except ValueError as exc:  # negative, or more than 18 decimals
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def positive_id(text: str) -> int:
    """A bounty id (argparse ``type=``): a whole number from 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a bounty id (ids start at 1)")
    return int(text)


# --------------------------------------------------------------------------- preamble


def use_data_dir(data_dir: Path | None) -> None:
    """Point every layer at ``data_dir`` (before anything reads the settings); None keeps the default."""
    if data_dir is None:
        return
    import settings

    os.environ["HYPERBOUNTY_DATA_DIR"] = str(data_dir.expanduser().resolve())
    settings.get_settings.cache_clear()


def data_dir_of(data_dir: Path | None) -> Path:
    """The folder a command works on: ``--data-dir`` or the settings' data dir."""
    if data_dir is not None:
        return data_dir.expanduser().resolve()
    from settings import get_settings

    return get_settings().data_dir


def is_interactive() -> bool:
    """Whether a person can answer on this terminal (stdin is a TTY)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def read_password(what: str, *, new: bool = False) -> str:
    """The keystore password: the first line of ``HYPERBOUNTY_PASSWORD_FILE``, else a hidden prompt
    (typed twice for a new key); with neither, a sentence."""
    path = _password_file()
    if path:
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise Refused(f"{PASSWORD_FILE_VARIABLE}={path} cannot be read ({exc.strerror}).") from None
        lines = text.splitlines()
        return lines[0] if lines else ""
    if not is_interactive():
        raise Refused(
            f"A password is needed for {what}: set {PASSWORD_FILE_VARIABLE} to a file that holds it, "
            "or run the command in a terminal to type it."
        )
    password = getpass.getpass(f"Password for {what}: ", stream=sys.stderr)
    if new and getpass.getpass("The same password again: ", stream=sys.stderr) != password:
        raise Refused("The two passwords differ; nothing was created.")
    return password


def _password_file() -> str:
    from settings import get_settings

    return get_settings().password_file


# --------------------------------------------------------------------------- the context


@dataclass
class Context:
    """One command's run: its arguments, the backend (opened on first use), its output."""

    args: argparse.Namespace
    exit_code: int = OK
    _backend: Backend | None = field(default=None, repr=False)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from actions.session import get_backend

            self._backend = get_backend()
        return self._backend

    # -- output ---------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        """A line of the human summary (stdout; silent under ``--json``)."""
        if not self.json:
            print(text)

    def facts(self, rows: list[tuple[str, Any]] | dict[str, Any]) -> None:
        items = rows.items() if isinstance(rows, dict) else rows
        for key, value in items:
            self.say(f"  {key}: {value}")

    def note(self, text: str) -> None:
        """Progress and warnings: stderr, so ``--json`` output stays clean."""
        print(text, file=sys.stderr)

    # -- who signs ------------------------------------------------------------------------

    def sender(self, name: str | None = None) -> Sender:
        """The signer ``--from`` (or ``name``) names, unlocked; see :func:`resolve_sender`."""
        return resolve_sender(self.backend, name if name is not None else self.args.sender)

    def label(self, address: str) -> str:
        return account_label(self.backend, address)

    # -- transactions ---------------------------------------------------------------------

    def send(self, plan: TxPlan) -> dict[str, Any]:
        """Preview, confirm (unless ``--yes``), send; the mined transaction as a JSON-able dict."""
        from actions.errors import plain_error
        from actions.tx import preview_lines

        try:
            preview = plan.preview()
        except Exception as exc:
            raise Refused(f"{plan.title}: {plain_error(exc)} Nothing was sent.") from exc
        lines = [*preview_lines(preview, self.label(plan.sender)), *plan.details]
        if not getattr(self.args, "yes", True):
            self._confirm(plan.title, lines)
        outcome = plan.execute()
        if not outcome.ok or outcome.receipt is None:
            raise Refused(f"{plan.title}: {outcome.error}")
        receipt = outcome.receipt
        self.say(f"✓ {plan.title} ({self.label(plan.sender)})")
        self.say(f"  tx {outcome.tx_hash}  block {outcome.block}  gas {outcome.gas_used:,}")
        for key, value in outcome.extra.items():
            self.say(f"  {key.replace('_', ' ')}: {value}")
        return {
            "title": plan.title,
            "function": plan.function,
            "sender": plan.sender,
            "tx_hash": outcome.tx_hash,
            "block": outcome.block,
            "gas_used": outcome.gas_used,
            "effective_gas_price": receipt.effective_gas_price,
            "fee_wei": receipt.fee,
            "value_wei": preview.value,
            "extra": dict(outcome.extra),
        }

    def _confirm(self, title: str, lines: list[tuple[str, str]]) -> None:
        if not is_interactive():
            raise Refused(
                f"{title} spends ETH and there is no terminal to confirm it on: pass --yes to send it "
                "without asking. Nothing was sent."
            )
        print(title, file=sys.stderr)
        for key, value in lines:
            print(f"  {key}: {value}", file=sys.stderr)
        print("Send this transaction? [y/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            raise Refused(f"{title}: not sent (you declined).")


# --------------------------------------------------------------------------- accounts


def resolve_sender(backend: Backend, name: str | None) -> Sender:
    """The signer called ``name``: a dev account by label or address (dev chains), else a keystore
    account by address or label, unlocked with its password; None: the keystore's only account."""
    from actions import wallet

    mine = wallet.keystore_accounts(backend)
    if name is None:
        if len(mine) != 1:
            have = f"{len(mine)} accounts" if mine else "no account (run `account new`)"
            raise BadArguments(f"Say who signs with --from ACCOUNT: this data folder's keystore has {have}.")
        return wallet.unlock(backend, mine[0].address, read_password(mine[0].address))
    wanted = name.strip().lower()
    dev = backend.dev_senders() if backend.accounts() else []  # node accounts sign on dev chains only
    for sender in dev:
        if wanted in (sender.label.lower(), sender.address.lower()):
            return sender
    for account in mine:
        if wanted in (account.address.lower(), account.label.lower()):
            return wallet.unlock(backend, account.address, read_password(account.address))
    names = ", ".join(f"{a.label} ({a.address})" if a.label != a.address else a.address for a in mine)
    raise BadArguments(
        f"No account is called {name!r}: this data folder's keystore has {names or 'none'}"
        + (f"; this dev chain's accounts are {', '.join(repr(s.label) for s in dev)}." if dev else ".")
    )


def account_label(backend: Backend, address: str) -> str:
    """ "Owner" for a dev account, "alice (0x12…)" for a labelled keystore account, else the address."""
    from actions import wallet
    from formatting import short_address

    label = backend.label_of(address)
    if label != address:
        return label
    for account in wallet.keystore_accounts(backend):
        if account.address.lower() == str(address).lower() and account.label != account.address:
            return f"{account.label} ({short_address(address)})"
    return address


# --------------------------------------------------------------------------- running a command


def run(args: argparse.Namespace, handler: Handler) -> int:
    """Run ``handler`` with the shared preamble; its exit status (see the module docstring)."""
    from actions import session
    from actions.errors import plain_error

    ctx = Context(args)
    try:
        use_data_dir(getattr(args, "data_dir", None))
        result = handler(ctx)
    except BadArguments as exc:
        print(str(exc), file=sys.stderr)
        return BAD_ARGUMENTS
    except Refused as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return REFUSED
    except (KeyboardInterrupt, EOFError):
        print("✗ Stopped; nothing more was sent.", file=sys.stderr)
        return REFUSED
    except Exception as exc:  # ActionError, ChainError, StorageError, ValueError...: a sentence
        print(f"✗ {plain_error(exc)}", file=sys.stderr)
        return REFUSED
    finally:
        session.close_all()
    if ctx.json:
        print(json.dumps(result, indent=2, sort_keys=True, default=str))
    return ctx.exit_code
