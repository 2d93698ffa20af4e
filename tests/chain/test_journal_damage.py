"""A damaged journal record is refused with the block named, never cut off in silence; recover-chain
keeps a copy and reopens at the last intact block; a format 1 journal (no checksums) still opens."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chain import embedded
from chain.embedded import EmbeddedChain, JournalDamaged, recover_journal
from cli.__main__ import main as cli_main

BLOCKS = 16


def _chain_with_blocks(folder: Path, blocks: int = BLOCKS) -> list[int]:
    """A chain whose head is ``blocks`` (one transfer per block); the balances of account 1 after each."""
    conn = EmbeddedChain(folder)
    a = conn.accounts()
    balances = []
    for _ in range(blocks):
        conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 5})
        balances.append(conn.w3.eth.get_balance(a[1]))
    assert conn.latest_block() == blocks
    conn.close()
    return balances


def _records(data: bytes) -> list[tuple[int, bytes, int, int | None]]:
    """(offset, type, end, block of a C record) of every format 2 record."""
    out, pos = [], len(embedded._MAGIC)
    while pos < len(data):
        kind, _, value, end = embedded._parse_v2(data, pos)
        out.append((pos, kind, end, embedded._BLOCK.unpack(value)[0] if kind == b"C" else None))
        pos = end
    return out


def _first_record_after_block(data: bytes, block: int) -> tuple[int, int]:
    """(offset, end) of the first record of the request after the one that closed at ``block``."""
    records = _records(data)
    closing = max(n for n, r in enumerate(records) if r[1] == b"C" and r[3] == block)
    offset, kind, end, _ = records[closing + 1]
    assert kind == b"S"
    return offset, end


def _flip(path: Path, offset: int) -> bytes:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.mark.parametrize("where", ["header", "body"])
def test_a_flipped_byte_is_refused_with_the_block_named_and_recovered(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "chain" / "embedded"
    balances = _chain_with_blocks(folder)
    journal = folder / "state.journal"
    offset, end = _first_record_after_block(journal.read_bytes(), BLOCKS - 1)
    # the header's key length (the byte that made a reopen roll back 13 blocks), or a byte of the value
    damaged = _flip(journal, offset + 2 if where == "header" else end - 3)

    with pytest.raises(JournalDamaged) as refused:
        EmbeddedChain(folder)
    sentence = str(refused.value)
    assert f"Block {BLOCKS} is damaged in {journal}" in sentence
    assert f"blocks 1..{BLOCKS - 1} are intact" in sentence
    assert f"python -m cli recover-chain --data-dir {tmp_path}" in sentence
    assert isinstance(refused.value, embedded.ChainError)
    assert journal.read_bytes() == damaged  # refused, not truncated
    with pytest.raises(JournalDamaged):
        EmbeddedChain(folder, read_only=True)  # a viewer refuses too

    recovery = recover_journal(folder)
    assert recovery.copy is not None and recovery.copy.name.startswith("state.journal.damaged-")
    assert recovery.copy.read_bytes() == damaged  # the damaged file, kept as it was
    assert recovery.block == BLOCKS - 1 and journal.stat().st_size == recovery.kept_bytes
    assert "reopens at block 15" in recovery.summary()
    conn = EmbeddedChain(folder)
    a = conn.accounts()
    assert conn.latest_block() == BLOCKS - 1
    assert conn.w3.eth.get_balance(a[1]) == balances[BLOCKS - 2]
    conn.w3.eth.send_transaction({"from": a[0], "to": a[1], "value": 1})  # and it goes on from there
    conn.close()
    assert EmbeddedChain(folder, read_only=True).latest_block() == BLOCKS


def test_recover_chain_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "chain" / "embedded"
    _chain_with_blocks(folder, 4)
    journal = folder / "state.journal"
    assert cli_main(["recover-chain", "--data-dir", str(tmp_path)]) == 0
    assert "is intact" in capsys.readouterr().out and not list(folder.glob("*.damaged-*"))

    offset, _ = _first_record_after_block(journal.read_bytes(), 2)
    _flip(journal, offset + 5)
    assert cli_main(["recover-chain", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    (copy,) = folder.glob("state.journal.damaged-*")
    assert f"Kept a copy of the damaged journal as {copy}" in out and "reopens at block 2" in out
    with EmbeddedChain(folder) as conn:
        assert conn.latest_block() == 2

    holder = EmbeddedChain(folder)
    try:
        assert cli_main(["recover-chain", "--data-dir", str(tmp_path)]) == 2
        assert "close that dashboard or script" in capsys.readouterr().err
    finally:
        holder.close()


def test_damage_in_the_first_line_is_named_and_repaired_without_loss(tmp_path: Path) -> None:
    folder = tmp_path / "chain" / "embedded"
    _chain_with_blocks(folder, 3)
    journal = folder / "state.journal"
    _flip(journal, 3)
    with pytest.raises(JournalDamaged, match=r"first line .* is damaged"):
        EmbeddedChain(folder)
    recovery = recover_journal(folder)
    assert recovery.dropped_bytes == 0 and recovery.block == 3
    with EmbeddedChain(folder) as conn:
        assert conn.latest_block() == 3


def test_a_torn_tail_is_still_dropped_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "embedded"
    _chain_with_blocks(folder, 2)
    journal = folder / "state.journal"
    size = journal.stat().st_size
    with open(journal, "ab") as handle:  # a crash mid-write: a record with its body cut short
        handle.write(embedded._record(b"S", b"k" * 32, b"v" * 256)[:100])
    with caplog.at_level("WARNING", logger="chain.embedded"):
        conn = EmbeddedChain(folder)
    assert conn.latest_block() == 2 and journal.stat().st_size == size
    assert "unfinished request" in caplog.text
    conn.close()


def _as_format_1(data: bytes) -> bytes:
    """The same requests in format 1: no first line, no CRC, empty C records."""
    out = []
    for offset, kind, end, _ in _records(data):
        _, klen, vlen, _ = embedded._HEADER.unpack_from(data, offset)
        body = data[offset + embedded._HEADER.size : end]
        out.append(
            struct.pack(">cII", kind, 0, 0) if kind == b"C" else struct.pack(">cII", kind, klen, vlen) + body
        )
    return b"".join(out)


def test_a_format_1_journal_opens_and_is_rewritten_with_checksums(tmp_path: Path) -> None:
    folder = tmp_path / "embedded"
    balances = _chain_with_blocks(folder, 3)
    journal = folder / "state.journal"
    journal.write_bytes(_as_format_1(journal.read_bytes()))
    viewer = EmbeddedChain(folder, read_only=True)
    assert viewer.latest_block() == 3 and viewer.db.format == 1
    viewer.close()
    conn = EmbeddedChain(folder)
    assert conn.db.format == 2 and journal.read_bytes().startswith(embedded._MAGIC)
    assert conn.w3.eth.get_balance(conn.accounts()[1]) == balances[-1]
    conn.close()
    with EmbeddedChain(folder) as again:
        assert again.latest_block() == 3
