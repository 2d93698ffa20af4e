"""durable.py: a replaced file is the old one or the new one, never half, and no temp file stays behind."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import durable


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_a_new_file_and_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    durable.atomic_write(target, b"hello")
    assert target.read_bytes() == b"hello"
    assert _leftovers(target.parent) == []


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("old content that is longer than the new one")
    durable.atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_pieces_are_written_in_order_without_joining(tmp_path: Path) -> None:
    target = tmp_path / "pieces"
    source = bytearray(b"0123456789")
    durable.atomic_write(target, [memoryview(source)[:4], b"-", bytearray(b"xy"), memoryview(source)[8:]])
    assert target.read_bytes() == b"0123-xy89"
    durable.atomic_write(target, ())
    assert target.read_bytes() == b""


def test_a_generator_of_pieces_is_consumed(tmp_path: Path) -> None:
    target = tmp_path / "gen"
    durable.atomic_write(target, (bytes([i]) * 3 for i in range(3)))
    assert target.read_bytes() == b"\x00\x00\x00\x01\x01\x01\x02\x02\x02"


def test_mode_is_set_exactly_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    old = os.umask(0o077)
    try:
        durable.atomic_write(target, b"{}", mode=0o640)
    finally:
        os.umask(old)
    assert _mode(target) == 0o640
    durable.atomic_write(target, b"{}", mode=0o600)  # a replacement gets the mode asked for
    assert _mode(target) == 0o600


def test_without_mode_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "plain"
    old = os.umask(0o022)
    try:
        durable.atomic_write(target, b"x")
    finally:
        os.umask(old)
    assert _mode(target) == 0o644


def test_failure_mid_write_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"the old, complete content")

    def pieces():
        yield b"half of the new "
        raise RuntimeError("disk pulled out")

    with pytest.raises(RuntimeError, match="disk pulled out"):
        durable.atomic_write(target, pieces())
    assert target.read_bytes() == b"the old, complete content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_failure_inside_atomic_open_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "cache.npz"
    target.write_bytes(b"old")
    with pytest.raises(ValueError), durable.atomic_open(target) as handle:
        handle.write(b"partial")
        raise ValueError("serialiser failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.npz"]


def test_failed_rename_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a_folder"
    (target / "inside").mkdir(parents=True)  # a non-empty folder cannot be replaced by a file
    with pytest.raises(OSError):
        durable.atomic_write(target, b"data")
    assert _leftovers(tmp_path) == []
    assert (target / "inside").is_dir()


def test_temp_file_goes_in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    target = tmp_path / "blocks" / "ab"
    target.parent.mkdir()
    seen: list[str] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(str(src))
        real_replace(src, dst)

    monkeypatch.setattr(durable.os, "replace", spy)
    durable.atomic_write(target, b"block", tmp_dir=tmp_dir, sync_dir=False)
    assert target.read_bytes() == b"block"
    assert len(seen) == 1 and Path(seen[0]).parent == tmp_dir
    assert list(tmp_dir.iterdir()) == []


def test_missing_tmp_dir_is_an_error_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        durable.atomic_write(tmp_path / "x", b"1", tmp_dir=tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
    assert not (tmp_path / "x").exists()


def test_json_formatting_is_stable(tmp_path: Path) -> None:
    target = tmp_path / "obj.json"
    durable.atomic_write_json(target, {"b": 1, "a": [1, 2]})
    assert target.read_text() == json.dumps({"a": [1, 2], "b": 1}, indent=2)
    durable.atomic_write_json(target, {"b": 1, "a": 2}, indent=1, sort_keys=False, newline=True)
    assert target.read_text() == '{\n "b": 1,\n "a": 2\n}\n'
    durable.atomic_write_json(target, {"offset": 3}, indent=None)
    assert target.read_text() == '{"offset": 3}'


def test_fsync_dir_is_called_once_per_write_unless_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durable, "fsync_dir", lambda folder: synced.append(Path(folder)))
    durable.atomic_write(tmp_path / "one", b"1")
    durable.atomic_write(tmp_path / "two", b"2", sync_dir=False)
    assert synced == [tmp_path]


def test_fsync_dir_really_syncs_a_folder(tmp_path: Path) -> None:
    durable.fsync_dir(tmp_path)  # no error on a real folder
    with pytest.raises(FileNotFoundError):
        durable.fsync_dir(tmp_path / "missing")


def test_imports_nothing_heavy() -> None:
    source = Path(durable.__file__).read_text()
    for heavy in ("streamlit", "web3", "keras", "numpy"):
        assert f"import {heavy}" not in source and f"from {heavy}" not in source
