"""One account's activity on the board: its transactions, newest first, as a wallet lists them.

The transactions are found through the board's event index (``chain.index.BoardIndex``: every
board transaction that succeeded emitted an event), then each is read once from the node for
what the events do not say: who sent it, the decoded function, the value, the gas and the fee.
:func:`activity_rows` turns them into table rows (status, function, bounty, value, gas, fee,
block, transaction), for the Home page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hexbytes import HexBytes

from formatting import eth, utc

if TYPE_CHECKING:
    from actions.session import Backend

MAX_TRANSACTIONS = 50  # the newest ones: a list a person reads, not an archive


@dataclass(frozen=True)
class Activity:
    """One transaction ``sender`` sent to the board."""

    tx_hash: str
    block: int
    timestamp: int | None
    function: str
    bounty_id: int | None
    value: int
    gas_used: int
    fee: int
    ok: bool


def account_activity(backend: Backend, account: str, limit: int = MAX_TRANSACTIONS) -> list[Activity]:
    """The newest ``limit`` board transactions sent by ``account`` (found by the board's events)."""
    client = backend.client
    w3 = client.w3
    seen: dict[str, tuple[int, int | None, int | None]] = {}  # hash -> (block, timestamp, bounty id)
    for event in backend.index.events():
        bounty = event.args.get("bountyId")
        seen.setdefault(
            event.tx_hash, (event.block, event.timestamp, int(bounty) if bounty is not None else None)
        )
    mine: list[Activity] = []
    for tx_hash, (block, timestamp, bounty_id) in sorted(seen.items(), key=lambda item: -item[1][0]):
        tx = w3.eth.get_transaction(HexBytes(tx_hash))
        if str(tx["from"]).lower() != account.lower():
            continue
        receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        mine.append(
            Activity(
                tx_hash=tx_hash,
                block=block,
                timestamp=timestamp,
                function=_function_name(client, tx["input"]),
                bounty_id=bounty_id,
                value=int(tx["value"]),
                gas_used=int(receipt["gasUsed"]),
                fee=int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice") or 0),
                ok=int(receipt["status"]) == 1,
            )
        )
        if len(mine) >= limit:
            break
    return mine


def _function_name(client: object, data: bytes | str) -> str:
    """The board function a transaction called, by its selector ("" for a plain transfer)."""
    try:
        function, _ = client.contract.decode_function_input(data)  # type: ignore[attr-defined]
    except Exception:
        return ""
    return str(function.fn_name)


def activity_rows(items: list[Activity]) -> list[dict[str, str | int]]:
    """Table rows: status, function, bounty, value, gas, fee, block, time and the transaction."""
    return [
        {
            "status": "mined" if item.ok else "failed",
            "function": item.function,
            "bounty": f"#{item.bounty_id}" if item.bounty_id is not None else "",
            "value": eth(item.value),
            "gas used": item.gas_used,
            "fee": eth(item.fee, places=9),
            "block": item.block,
            "time (UTC)": utc(item.timestamp) if item.timestamp else "",
            "transaction": item.tx_hash,
        }
        for item in items
    ]
