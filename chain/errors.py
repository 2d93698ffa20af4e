"""Every failure the chain layer reports, as an exception whose message a person can act on.

The dashboard shows ``str(error)`` as it is, so each message says what happened and what to do,
in plain words, without a stack trace or a hex blob. ``decode_revert`` turns the raw revert data
of a call, an estimate or a mined transaction into a :class:`ContractRevert` naming the
contract's custom error; ``translate`` maps the exceptions web3 and the nodes raise (connection
refused, insufficient funds, nonce too low) onto the classes below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address


class ChainError(Exception):
    """Base of every error the chain layer raises; ``str()`` is a sentence for a person."""


class NodeUnavailable(ChainError):
    """No Ethereum node answers at the configured address."""


class WrongChain(ChainError):
    """The node answers for another chain id than the one expected."""


class ContractNotDeployed(ChainError):
    """No BountyBoard at the remembered address (or none deployed yet) on this chain."""


class InsufficientFunds(ChainError):
    """The sender cannot pay the value plus the gas."""


class NonceClash(ChainError):
    """Another transaction from the same account used this nonce first."""


class AccountError(ChainError):
    """A keystore or account problem: wrong password, unknown account, bad key file."""


class SecretsError(ChainError):
    """Salt storage problems: a missing secret, or an export file that does not validate."""


class ContractRevert(ChainError):
    """The contract refused the call; ``error_name`` and ``args`` give the custom error."""

    def __init__(self, message: str, error_name: str = "", args: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_args = dict(args or {})


NODE_DOWN_HINT = "start it or set HYPERBOUNTY_CHAIN=embedded."


def node_down_message(url: str) -> str:
    return f"No Ethereum node answers at {url}; {NODE_DOWN_HINT}"


def utc(ts: int) -> str:
    """A chain timestamp as the dashboard prints it (chain time, UTC)."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def hhmm(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%H:%M UTC")


def wei_text(wei: int) -> str:
    from decimal import Decimal

    eth = Decimal(int(wei)) / Decimal(10**18)
    return f"{eth.normalize():f} ETH" if wei else "0 ETH"


# ---------------------------------------------------------------------------------------------
# Custom errors of BountyBoard: one sentence each. The function receives the decoded arguments
# by name and returns the message. Unknown errors still get a readable fallback.
# ---------------------------------------------------------------------------------------------

Explainer = Callable[[dict[str, Any]], str]

REVERT_SELECTOR_ERROR = function_signature_to_4byte_selector("Error(string)")
REVERT_SELECTOR_PANIC = function_signature_to_4byte_selector("Panic(uint256)")


def _sig(abi_item: Mapping[str, Any]) -> str:
    return f"{abi_item['name']}({','.join(_abi_type(i) for i in abi_item.get('inputs', []))})"


def _abi_type(item: Mapping[str, Any]) -> str:
    kind = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[len("tuple") :]
    return kind


def error_abis(abi: list[Mapping[str, Any]]) -> dict[bytes, Mapping[str, Any]]:
    """The contract's custom errors keyed by their 4-byte selector."""
    return {function_signature_to_4byte_selector(_sig(e)): e for e in abi if e.get("type") == "error"}


def _normalise(value: Any, abi_type: str) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type.startswith("bytes") and isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def decode_error_args(abi_item: Mapping[str, Any], payload: bytes) -> dict[str, Any]:
    inputs = abi_item.get("inputs", [])
    values = abi_decode([_abi_type(i) for i in inputs], payload)
    return {
        (i.get("name") or f"arg{n}"): _normalise(v, i["type"])
        for n, (i, v) in enumerate(zip(inputs, values, strict=True))
    }


def decode_revert(data: bytes | str | None, abi: list[Mapping[str, Any]], action: str = "") -> ContractRevert:
    """The revert data of BountyBoard as a ContractRevert with a sentence (``action`` prefixes it)."""
    raw = _as_bytes(data)
    prefix = f"{action} failed: " if action else ""
    if len(raw) < 4:
        return ContractRevert(
            prefix + "the contract refused the transaction without a reason (out of gas, or a call to a "
            "function that does not exist on this contract). Check the contract address and try again."
        )
    selector, payload = raw[:4], raw[4:]
    if selector == REVERT_SELECTOR_ERROR:
        (reason,) = abi_decode(["string"], payload)
        return ContractRevert(prefix + f"the contract refused it: {reason}.", "Error", {"reason": reason})
    if selector == REVERT_SELECTOR_PANIC:
        (code,) = abi_decode(["uint256"], payload)
        return ContractRevert(
            prefix
            + f"the contract hit an internal check (panic code {code:#x}); this is a bug, please report it.",
            "Panic",
            {"code": code},
        )
    known = error_abis(abi)
    if selector not in known:
        return ContractRevert(
            prefix + f"the contract refused it with an unknown error 0x{selector.hex()}; "
            "the contract at this address may be a different version than this dashboard expects."
        )
    item = known[selector]
    try:
        args = decode_error_args(item, payload)
    except Exception:  # malformed payload: still name the error
        args = {}
    return ContractRevert(prefix + explain(item["name"], args), item["name"], args)


def _as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    text = str(data)
    if text.startswith("0x"):
        text = text[2:]
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


def explain(name: str, args: dict[str, Any]) -> str:
    """The sentence for one custom error (filled in below once the contract's errors are known)."""
    explainer = EXPLAINERS.get(name)
    if explainer is None:
        details = ", ".join(f"{k}={v}" for k, v in args.items())
        return f"the contract refused it ({name}{': ' + details if details else ''})."
    return explainer(args)


EXPLAINERS: dict[str, Explainer] = {}
