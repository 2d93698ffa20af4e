"""A transaction as a plan: what it will do (for the confirmation dialog), then doing it.

Why a plan and not a direct call: the dashboard shows a wallet-style
confirmation (from, to, function, value, estimated gas and fee) before anything
is signed, and the headless flow prints the same lines. Every action that sends
a transaction therefore returns a :class:`TxPlan`; ``preview()`` asks the node
for a gas estimate (``chain.client.TxPreview``; the estimate is also where the
contract first refuses a wrong role or phase, with its decoded error),
``execute()`` sends, waits for the receipt (``chain.client.TxReceipt``) and turns
any failure into a sentence. :func:`plan` builds the common case: one contract
function with fixed arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actions.errors import plain_error
from formatting import eth, short_address

if TYPE_CHECKING:
    from chain.accounts import Sender
    from chain.client import BountyBoardClient, TxPreview, TxReceipt

# Facts a mined transaction adds to its outcome, shown as "name: value" (the new bounty id, a warning).
Extra = dict[str, int | str]


def preview_lines(preview: TxPreview, sender_label: str = "") -> list[tuple[str, str]]:
    """The wallet's confirmation lines for ``preview``; ``sender_label`` names the sender ("Owner")."""
    who = f"{sender_label} ({short_address(preview.sender)})" if sender_label else preview.sender
    return [
        ("From", who),
        ("To", f"{preview.to_name} {preview.to}".strip()),
        ("Function", preview.function),
        ("Value", eth(preview.value)),
        ("Estimated gas", f"{preview.gas:,}"),
        ("Estimated fee (at most)", eth(preview.max_fee, places=9)),
        ("Your balance", eth(preview.balance, places=6)),
    ]


@dataclass
class TxOutcome:
    """The result of one transaction: mined (with its receipt) or failed (with a sentence)."""

    title: str
    ok: bool
    tx_hash: str = ""
    block: int = 0
    gas_used: int = 0
    error: str = ""
    extra: Extra = field(default_factory=dict)
    receipt: TxReceipt | None = None

    @classmethod
    def mined(cls, title: str, receipt: TxReceipt) -> TxOutcome:
        return cls(
            title,
            ok=True,
            tx_hash=receipt.hash,
            block=receipt.block,
            gas_used=receipt.gas_used,
            receipt=receipt,
        )


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
    preview_fn: Callable[[], TxPreview]
    send: Callable[[], TxReceipt]
    details: list[tuple[str, str]] = field(default_factory=list)
    after: Callable[[TxReceipt], Extra] | None = None

    def preview(self) -> TxPreview:
        return self.preview_fn()

    def execute(self) -> TxOutcome:
        try:
            receipt = self.send()
        except Exception as exc:
            return TxOutcome(self.title, ok=False, error=plain_error(exc))
        outcome = TxOutcome.mined(self.title, receipt)
        if self.after is not None:
            try:
                outcome.extra = self.after(receipt) or {}
            except Exception as exc:  # the transaction is mined; say what went wrong afterwards
                outcome.extra = {"warning": plain_error(exc)}
        return outcome


def plan(
    client: BountyBoardClient,
    sender: Sender,
    title: str,
    function: str,
    args: Sequence[Any],
    send: Callable[[], TxReceipt],
    *,
    value: int = 0,
    details: list[tuple[str, str]] | None = None,
    after: Callable[[TxReceipt], Extra] | None = None,
) -> TxPlan:
    """A plan for ``function(*args)`` sent by ``sender``: previewed with exactly these arguments.

    ``args`` are the contract function's ABI values (ints, bytes, addresses, tuples), hence ``Any``.
    """
    return TxPlan(
        title=title,
        function=function,
        sender=sender.address,
        preview_fn=lambda: client.preview(function, tuple(args), value, sender.address),
        send=send,
        details=details or [],
        after=after,
    )
