"""Formatting for people: ETH amounts, addresses, durations, UTC times.

Amounts stay ``int`` wei everywhere else; this is the only place they become
``Decimal`` ETH, and only for display.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

WEI_PER_ETH = 10**18


def wei_to_eth(wei: int) -> Decimal:
    return Decimal(int(wei)) / Decimal(WEI_PER_ETH)


def eth_to_wei(eth: Decimal | str | int) -> int:
    """ETH typed by a person -> wei; refuses more than 18 decimals instead of rounding silently."""
    value = Decimal(str(eth))
    wei = value * WEI_PER_ETH
    if wei != wei.to_integral_value():
        raise ValueError(f"{eth} ETH has more than 18 decimals; use at most 18.")
    if wei < 0:
        raise ValueError("An amount cannot be negative.")
    return int(wei)


def eth(wei: int, places: int = 6) -> str:
    """``1.5 ETH``; small non-zero amounts keep enough digits to not read as zero."""
    value = wei_to_eth(wei)
    text = f"{value:.{places}f}".rstrip("0").rstrip(".") if value else "0"
    if value and Decimal(text) == 0:
        text = f"{value:.18f}".rstrip("0")
    return f"{text} ETH"


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 12 else address


def short_hash(value: str, keep: int = 10) -> str:
    return f"{value[:keep]}…{value[-6:]}" if value and len(value) > keep + 8 else value


def utc(timestamp: int | float) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: int | float) -> str:
    """``2 d 3 h``, ``5 min 10 s``, ``40 s``; negative durations read as ``… ago``."""
    seconds = int(seconds)
    if seconds < 0:
        return f"{duration(-seconds)} ago"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0 s"


def percent_ppm(ppm: int) -> str:
    return f"{Decimal(int(ppm)) / Decimal(10_000):.2f} %"
