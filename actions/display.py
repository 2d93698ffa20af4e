"""Transitional: the formatting functions now live in the top-level ``formatting`` module.

Kept only so that imports of ``actions.display`` keep working while they are redirected to
``formatting``; it defines nothing of its own.
"""

from formatting import (
    WEI_PER_ETH,
    duration,
    eth,
    eth_exact,
    eth_to_wei,
    percent_ppm,
    short_address,
    short_hash,
    utc,
    wei_to_eth,
)

__all__ = [
    "WEI_PER_ETH",
    "duration",
    "eth",
    "eth_exact",
    "eth_to_wei",
    "percent_ppm",
    "short_address",
    "short_hash",
    "utc",
    "wei_to_eth",
]
