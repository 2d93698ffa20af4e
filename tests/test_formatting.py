"""The one formatting module: amounts, identifiers, moments and durations as people read them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from formatting import (
    duration,
    eth,
    eth_exact,
    eth_to_wei,
    hhmm,
    moment,
    percent_ppm,
    seconds_exact,
    short_address,
    short_hash,
    utc,
    utc_minute,
    wei_to_eth,
)

TS = 1_800_000_000  # 2027-01-15 08:00:00 UTC
ETH = 10**18


def test_wei_to_eth_is_exact_even_beyond_28_digits() -> None:
    assert wei_to_eth(15 * 10**17) == Decimal("1.5")
    assert str(wei_to_eth(10**18)) == "1"
    assert wei_to_eth(123456789012345678901234567890123) == Decimal("123456789012345.678901234567890123")


def test_eth_to_wei_refuses_rounding_and_negatives() -> None:
    assert eth_to_wei("1.5") == 15 * 10**17
    assert eth_to_wei(Decimal("0.000000000000000001")) == 1
    assert eth_to_wei(2) == 2 * ETH
    with pytest.raises(ValueError, match="more than 18 decimals"):
        eth_to_wei("0.0000000000000000001")
    with pytest.raises(ValueError, match="negative"):
        eth_to_wei("-1")


def test_eth_rounds_but_never_to_zero() -> None:
    assert eth(0) == "0 ETH"
    assert eth(ETH) == "1 ETH"
    assert eth(10 * ETH) == "10 ETH"
    assert eth(15 * 10**17) == "1.5 ETH"
    assert eth(1_234_567_891 * 10**9) == "1.234568 ETH"
    assert eth(1_234_567_891 * 10**9, places=2) == "1.23 ETH"
    assert eth(123) == "0.000000000000000123 ETH"  # would round to 0: keeps its digits


def test_eth_exact_names_every_wei_a_refusal_compares() -> None:
    assert eth_exact(0) == "0 ETH"
    assert eth_exact(ETH) == "1 ETH"
    assert eth_exact(100 * ETH) == "100 ETH"
    assert eth_exact(10**16 + 10**8) == "0.0100000001 ETH"
    assert eth(10**16 + 10**8) == "0.01 ETH"  # the rounded form would hide the difference
    assert eth_exact(ETH + 1) == "1.000000000000000001 ETH"
    assert eth_exact(12_345 * 10**14) == eth(12_345 * 10**14, places=18) == "1.2345 ETH"


def test_the_old_error_sentence_rendering_is_unchanged() -> None:
    def old_wei_text(wei: int) -> str:  # chain/errors.wei_text before it moved here
        value = Decimal(int(wei)) / Decimal(10**18)
        return f"{value.normalize():f} ETH" if wei else "0 ETH"

    for wei in (0, 1, 7, 10**9, ETH, 10 * ETH, 1000 * ETH, 10**16 + 10**8, 123_456_789_012_345_678_901):
        assert eth_exact(wei) == old_wei_text(wei)


def test_percent_and_identifiers() -> None:
    assert percent_ppm(527_000) == "52.70 %"
    assert percent_ppm(1_000_000) == "100.00 %"
    address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert short_address(address) == "0x7099…79C8"
    assert short_address("0x1234") == "0x1234" and short_address("") == ""
    digest = "0x" + "ab" * 32
    assert short_hash(digest) == "0xabababab…ababab"
    assert short_hash(digest, keep=4) == "0xab…ababab"
    assert short_hash("0xabc") == "0xabc"


def test_moments_print_in_utc() -> None:
    assert utc(TS) == "2027-01-15 08:00:00 UTC"
    assert utc(TS + 0.9) == utc(TS)  # whole seconds
    assert utc_minute(TS + 59) == "2027-01-15 08:00 UTC"
    assert hhmm(TS) == "08:00 UTC"
    assert re.fullmatch(r"\d\d:\d\d UTC", hhmm(TS))


def test_a_moment_carries_its_date_only_on_another_day() -> None:
    assert moment(TS, TS + 3600) == "08:00 UTC"
    assert moment(TS, TS + 3 * 86400) == "2027-01-15 08:00 UTC"
    assert moment(TS) == "2027-01-15 08:00 UTC"  # no "now": always dated


def test_durations() -> None:
    assert duration(0) == "0 s"
    assert duration(40) == "40 s"
    assert duration(310) == "5 min 10 s"
    assert duration(2 * 86400 + 3 * 3600 + 59) == "2 d 3 h"  # the two largest units
    assert duration(-90) == "1 min 30 s ago"
    assert seconds_exact(86400) == "86,400 s (1 day)"
    assert seconds_exact(120) == "120 s (2 minutes)"
    assert seconds_exact(61) == "61 s"
    assert seconds_exact(0) == "0 s"
