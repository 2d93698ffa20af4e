"""The seed block: the first block at or after a time, found the same way on both chain kinds."""

from __future__ import annotations

from chain.blocks import first_block_at_or_after


def test_first_block_at_or_after_a_time(board):
    w3, dev = board.w3, board.chain
    dev.mine(3)
    start = int(w3.eth.get_block("latest")["timestamp"])
    dev.advance_time(600)  # mines the first block of the new time
    after = w3.eth.get_block("latest")
    dev.mine(2)

    found = first_block_at_or_after(w3, start + 300)
    assert found is not None
    assert found.number == after["number"] and found.hash == bytes(after["hash"])
    previous = w3.eth.get_block(found.number - 1)
    assert int(previous["timestamp"]) < start + 300 <= found.timestamp
    assert first_block_at_or_after(w3, 0).number == 0
    assert first_block_at_or_after(w3, found.timestamp + 10**6) is None  # not mined yet
