"""The Explorer's readable history: a bounty's events as table rows with people's labels and units.

Events are read from the board's index (a few log queries per bounty, never one call per
participant); here they only become words: addresses named by their wallet label, deadlines in
UTC, scores in percent, amounts in ETH, outcomes by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chain.client import Outcome
from formatting import eth, percent_ppm, utc

if TYPE_CHECKING:
    from actions.session import Backend


def event_rows(backend: Backend, bounty_id: int) -> list[dict[str, int | str]]:
    """The bounty's events, oldest first, with participant labels and readable arguments."""
    rows: list[dict[str, int | str]] = []
    for event in backend.index.events(bounty_id):
        args = {k: v for k, v in event.args.items() if k != "bountyId"}
        rows.append(
            {
                "time (UTC)": utc(event.timestamp) if event.timestamp else "",
                "block": event.block,
                "event": event.name,
                "details": _describe_args(backend, args),
                "transaction": event.tx_hash,
            }
        )
    return rows


def _describe_args(backend: Backend, args: dict[str, Any]) -> str:
    """``args``: an event's decoded ABI values (addresses, ints, bytes, tuples), hence ``Any``."""
    parts = []
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            value = backend.label_of(value)
        elif isinstance(value, bytes):
            value = "0x" + value.hex()[:12] + "…"
        elif isinstance(value, tuple):
            value = "(" + ", ".join(str(v) for v in value) + ")"
        elif key == "outcome" and isinstance(value, int):
            value = Outcome(value).label if value in Outcome._value2member_map_ else value
        elif key.endswith("Deadline") and isinstance(value, int):
            value = utc(value)
        elif key.endswith("Ppm") and isinstance(value, int):
            value = percent_ppm(value)
        elif key.lower().endswith(("reward", "amount", "refund", "bond")) and isinstance(value, int):
            value = eth(value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)
