"""Amounts and times as people read them: the one place wei becomes ETH text and seconds become dates.

Amounts stay ``int`` wei everywhere else; only here do they become ``Decimal`` ETH, and only for
display. Every layer prints through these functions (chain/ for its error sentences, ml/ for its
data errors, actions/, ui/ and pages/ for tables), so one amount or one moment reads the same on
every page and in every message.

Two renderings of an amount, on purpose:

* :func:`eth` rounds to ``places`` decimals (6 by default): tables, captions, previews, where a
  person compares orders of magnitude;
* :func:`eth_exact` writes every non-zero decimal: the sentences that explain a refusal. The
  contract compares wei exactly, so "expects 0.0100000001 ETH but 0.01 ETH was sent" must not be
  rounded into two equal-looking figures.

Times are chain or candle timestamps (Unix seconds) and always print in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Context, Decimal

WEI_PER_ETH = 10**18
ETH_DECIMALS = 18


# --- amounts ---------------------------------------------------------------------------------


def wei_to_eth(wei: int) -> Decimal:
    """``wei`` as an exact ``Decimal`` number of ETH (enough precision for any integer)."""
    wei = int(wei)
    return Context(prec=max(28, len(str(abs(wei))))).divide(Decimal(wei), Decimal(WEI_PER_ETH))


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
    """``1.5 ETH``, rounded to ``places`` decimals; a small non-zero amount keeps enough digits to
    not read as zero."""
    value = wei_to_eth(wei)
    text = f"{value:.{places}f}".rstrip("0").rstrip(".") if value else "0"
    if value and Decimal(text) == 0:
        text = f"{value:.{ETH_DECIMALS}f}".rstrip("0")
    return f"{text} ETH"


def eth_exact(wei: int) -> str:
    """``0.0100000001 ETH``: every decimal down to the wei, for sentences that explain a refusal."""
    return eth(wei, places=ETH_DECIMALS)


def percent_ppm(ppm: int) -> str:
    """Parts per million (the contract's accuracies) as ``52.70 %``."""
    return f"{Decimal(int(ppm)) / Decimal(10_000):.2f} %"


# --- identifiers -----------------------------------------------------------------------------


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 12 else address


def short_hash(value: str, keep: int = 10) -> str:
    return f"{value[:keep]}…{value[-6:]}" if value and len(value) > keep + 8 else value


# --- moments and durations -------------------------------------------------------------------


def _utc_datetime(timestamp: int | float) -> datetime:
    return datetime.fromtimestamp(int(timestamp), UTC)


def utc(timestamp: int | float) -> str:
    """``2027-01-15 08:00:00 UTC``: a moment to the second."""
    return _utc_datetime(timestamp).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_minute(timestamp: int | float) -> str:
    """``2027-01-15 08:00 UTC``: a moment to the minute (candle times, deadlines in sentences)."""
    return _utc_datetime(timestamp).strftime("%Y-%m-%d %H:%M UTC")


def hhmm(timestamp: int | float) -> str:
    """``08:00 UTC``: the time of day only."""
    return _utc_datetime(timestamp).strftime("%H:%M UTC")


def moment(timestamp: int | float, now: int | float | None = None) -> str:
    """``08:00 UTC`` when the moment falls on the same UTC day as ``now``, else with its date."""
    if now is not None and _utc_datetime(timestamp).date() == _utc_datetime(now).date():
        return hhmm(timestamp)
    return utc_minute(timestamp)


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


def seconds_exact(seconds: int | float) -> str:
    """``86,400 s (1 day)``: a length to the second, with whole days or minutes beside it (the
    contract's window bounds are in seconds, so a refusal names them exactly)."""
    seconds = int(seconds)
    for unit, size in (("day", 86400), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{seconds:,} s ({count} {unit}{'' if count == 1 else 's'})"
    return f"{seconds:,} s"


def named(address: str, label_of: Callable[[str], str] | None = None) -> str:
    """``address`` by its label ("Participant 2", "Alice") where ``label_of`` knows one, else in short
    (``label_of`` returns the address itself for an account it does not know)."""
    label = label_of(address) if label_of is not None else address
    return short_address(address) if label.lower() == address.lower() else label
