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

A mined outcome also says what it did to the sender's money, exact to the wei: the balance at the
block before and at the receipt's block, the change, and the fee (gas used x effective price) it
includes (:meth:`TxOutcome.money_lines`). Dev chains mine one transaction per block, so the change is
this transaction's alone; on a shared node another transaction of the same sender in the same block
would be counted too, which is why the fee is shown beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from actions.errors import plain_error
from formatting import eth, eth_exact, short_address

if TYPE_CHECKING:
    from chain.accounts import Sender
    from chain.client import BountyBoardClient, TxPreview, TxReceipt

# Facts a mined transaction adds to its outcome, shown as "name: value" (the new bounty id, a warning).
Extra = dict[str, int | str]
# (address, block number) -> that address's balance in wei after that block
BalanceAt = Callable[[str, int], int]


def balance_reader(w3: Any) -> BalanceAt:
    """Balances at a given block from a ``web3.Web3`` (any node that keeps recent states)."""
    return lambda address, block: int(w3.eth.get_balance(to_checksum_address(address), block))


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
    fee: int = 0  # wei: gas used x effective gas price, paid by the sender
    sender: str = ""
    balance_before: int | None = None  # the sender's wei at the block before the receipt's (None: unknown)
    balance_after: int | None = None  # ... and at the receipt's block

    @classmethod
    def mined(cls, title: str, receipt: TxReceipt) -> TxOutcome:
        return cls(
            title,
            ok=True,
            tx_hash=receipt.hash,
            block=receipt.block,
            gas_used=receipt.gas_used,
            receipt=receipt,
            fee=receipt.fee,
        )

    @property
    def change(self) -> int | None:
        """The sender's balance change in wei (fee included), None when the balances are unknown."""
        if self.balance_before is None or self.balance_after is None:
            return None
        return self.balance_after - self.balance_before

    def money_lines(self) -> list[tuple[str, str]]:
        """Before, after, change and of which gas, every wei written out (empty when unknown)."""
        change = self.change
        if change is None or self.balance_before is None or self.balance_after is None:
            return [("Gas fee", eth_exact(self.fee))] if self.ok else []
        sign = "+" if change > 0 else "−" if change < 0 else ""
        return [
            ("Balance before", eth_exact(self.balance_before)),
            ("Balance after", eth_exact(self.balance_after)),
            ("Change", f"{sign}{eth_exact(abs(change))}"),
            ("of which gas", f"−{eth_exact(self.fee)}" if self.fee else eth_exact(0)),
        ]


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
    balance_at: BalanceAt | None = None  # reads the sender's balance around the receipt's block

    def preview(self) -> TxPreview:
        return self.preview_fn()

    def execute(self) -> TxOutcome:
        try:
            receipt = self.send()
        except Exception as exc:
            return TxOutcome(self.title, ok=False, error=plain_error(exc), sender=self.sender)
        outcome = TxOutcome.mined(self.title, receipt)
        outcome.sender = self.sender
        self._read_balances(outcome)
        if self.after is not None:
            try:
                outcome.extra = self.after(receipt) or {}
            except Exception as exc:  # the transaction is mined; say what went wrong afterwards
                outcome.extra = {"warning": plain_error(exc)}
        return outcome

    def _read_balances(self, outcome: TxOutcome) -> None:
        """The sender's balance at the blocks around the receipt; left unknown if the node cannot say."""
        if self.balance_at is None or outcome.block < 1:
            return
        try:
            outcome.balance_before = self.balance_at(self.sender, outcome.block - 1)
            outcome.balance_after = self.balance_at(self.sender, outcome.block)
        except Exception:  # a node that keeps no old states: the fee alone is still exact
            outcome.balance_before = outcome.balance_after = None


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
        balance_at=balance_reader(client.w3),
    )
