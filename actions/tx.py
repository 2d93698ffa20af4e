"""A transaction as a plan: what it will do (for the confirmation dialog), then doing it.

Why a plan and not a direct call: the dashboard shows a wallet-style
confirmation (from, to, function, value, estimated gas and fee) before anything
is signed, and the headless flow prints the same lines. Every action that sends
a transaction therefore returns a :class:`TxPlan`; ``preview()`` asks the node
for a gas estimate (which is also where the contract first refuses a wrong
role or phase, with its decoded error), ``execute()`` sends, waits for the
receipt and turns any failure into a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actions.display import eth, short_address
from actions.errors import plain_error


@dataclass(frozen=True)
class TxPreview:
    """What a wallet shows before signing. Amounts in wei."""

    sender: str
    to: str
    function: str
    value: int
    gas: int
    fee: int  # the most the sender can be charged: gas x max fee per gas
    balance: int = 0

    def lines(self, sender_label: str = "") -> list[tuple[str, str]]:
        who = f"{sender_label} ({short_address(self.sender)})" if sender_label else self.sender
        return [
            ("From", who),
            ("To", f"BountyBoard {self.to}"),
            ("Function", self.function),
            ("Value", eth(self.value)),
            ("Estimated gas", f"{self.gas:,}"),
            ("Estimated fee (at most)", eth(self.fee, places=9)),
            ("Your balance", eth(self.balance, places=6)),
        ]


@dataclass
class TxOutcome:
    """The result of one transaction: mined (with receipt fields) or failed (with a sentence)."""

    title: str
    ok: bool
    tx_hash: str = ""
    block: int = 0
    gas_used: int = 0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    receipt: Any = None


@dataclass
class TxPlan:
    """One transaction ready for confirmation.

    ``send`` signs, sends and waits for the receipt (the chain client's call);
    ``after`` turns the receipt into extra facts to show (the new bounty id) and
    runs only when the transaction was mined without revert.
    """

    title: str
    function: str
    sender: str
    preview_fn: Callable[[], Any]
    send: Callable[[], Any]
    details: list[tuple[str, str]] = field(default_factory=list)
    after: Callable[[Any], dict[str, Any]] | None = None

    def preview(self) -> TxPreview:
        return to_preview(self.preview_fn(), self.function, self.sender)

    def execute(self) -> TxOutcome:
        try:
            receipt = self.send()
        except Exception as exc:
            return TxOutcome(self.title, ok=False, error=plain_error(exc))
        outcome = TxOutcome(
            self.title,
            ok=True,
            tx_hash=_field(receipt, "tx_hash", "hash", "transaction_hash"),
            block=int(_field(receipt, "block", "block_number") or 0),
            gas_used=int(_field(receipt, "gas_used", "gas") or 0),
            receipt=receipt,
        )
        if self.after is not None:
            try:
                outcome.extra = self.after(receipt) or {}
            except Exception as exc:  # the transaction is mined; say what went wrong afterwards
                outcome.extra = {"warning": plain_error(exc)}
        return outcome


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            value = getattr(obj, name)
            return value.hex() if isinstance(value, bytes) else value
    return ""


def to_preview(raw: Any, function: str, sender: str) -> TxPreview:
    """Adapt the chain client's ``TxPreview`` (max_fee = gas x max fee per gas) to the wallet lines."""
    if isinstance(raw, TxPreview):
        return raw
    return TxPreview(
        sender=str(raw.sender or sender),
        to=str(raw.to),
        function=str(raw.function or function),
        value=int(raw.value),
        gas=int(raw.gas),
        fee=int(raw.max_fee),
        balance=int(getattr(raw, "balance", 0) or 0),
    )
