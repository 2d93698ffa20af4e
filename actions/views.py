"""What the Explorer and Evaluate read as rows: a bounty's events, and the leaderboard's one order.

Events are read from the board's index (a few log queries per bounty, never one call per
participant); here they only become words: addresses named by their wallet label, deadlines in
UTC, scores in percent, amounts in ETH, outcomes by name.

:func:`rank_leaderboard` is the single order of a leaderboard (the table's rows and the chart's
points alike, on Evaluate and Explorer): the contract's winner rule, highest score first and equal
scores by first commit, failed trainings after every scored one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chain.client import Outcome
from formatting import eth, percent_ppm, short_hash, utc

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
                "transaction": short_hash(event.tx_hash),  # short, before the long details: never cut off
                "details": _describe_args(backend, args),
                "transaction hash": event.tx_hash,
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


LAST = 1 << 62  # no commit order known: after every known one


def _order_key(row: Mapping[str, Any], commit_order: Mapping[str, int]) -> tuple[int, int, int, str]:
    scored = row["status"] == "scored" and row.get("score_ppm") is not None
    score = int(row["score_ppm"]) if scored else 0
    address = str(row["participant"]).lower()
    return (0 if scored else 1, -score, commit_order.get(address, LAST), address)


def rank_leaderboard(
    rows: Sequence[Mapping[str, Any]],
    min_accuracy_ppm: int,
    commit_order: Mapping[str, int] | None = None,
    viewer: str | None = None,
) -> list[dict[str, Any]]:
    """``rows`` (``participant``, ``status``, ``score_ppm``, ...) best first, with rank, winner and you.

    The contract's rule: the highest score wins, equal scores go to the first commit
    (``commit_order``: lower-case address -> commit order; unknown ones after, by address);
    a failed training comes after every scored one. ``rank`` counts from 1 in that order,
    ``winner`` marks the first row when it is scored and reaches the bar, ``you`` the rows of
    ``viewer`` (the wallet's account). Copies: ``rows`` are left as they are.
    """
    orders = {a.lower(): n for a, n in (commit_order or {}).items()}
    ranked = [dict(r) for r in sorted(rows, key=lambda r: _order_key(r, orders))]
    you = (viewer or "").lower()
    for n, row in enumerate(ranked, start=1):
        scored = row["status"] == "scored" and row.get("score_ppm") is not None
        row["rank"] = n
        row["winner"] = n == 1 and scored and int(row["score_ppm"]) >= min_accuracy_ppm
        row["you"] = bool(you) and str(row["participant"]).lower() == you
    return ranked
