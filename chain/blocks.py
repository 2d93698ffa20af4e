"""Finding blocks by time: the block whose hash seeds a bounty's evaluation.

The evaluation's training seeds come from the hash of the first block at or after the reveal
deadline (see ml/scoring.py): nobody can know it while commitments can still change, nobody
can pick it afterwards, and any node answers the same. Block timestamps never decrease, so a
binary search over block numbers finds it in about log2(height) calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3


@dataclass(frozen=True)
class BlockRef:
    number: int
    hash: bytes
    timestamp: int


def first_block_at_or_after(w3: Web3, timestamp: int) -> BlockRef | None:
    """The first mined block with ``block.timestamp >= timestamp``, or None if none is mined yet."""
    latest = w3.eth.get_block("latest")
    if int(latest["timestamp"]) < timestamp:
        return None
    low, high = 0, int(latest["number"])
    while low < high:
        middle = (low + high) // 2
        if int(w3.eth.get_block(middle)["timestamp"]) >= timestamp:
            high = middle
        else:
            low = middle + 1
    block = w3.eth.get_block(low)
    return BlockRef(int(block["number"]), bytes(block["hash"]), int(block["timestamp"]))
