"""A damaged index file on disk means a full scan, never wrong rows or an error: binary garbage, valid
JSON with a flipped byte (caught by the file's digest), a truncated file."""

from __future__ import annotations

import pytest

from tests.chain.test_index import Story, _comparable, _index, typed  # noqa: F401 (typed: a fixture)


def _flip_a_digit(text: str) -> str:
    """The same JSON with one digit of an event's block number changed: still parses, now wrong."""
    at = text.index('"events":')
    digit = next(i for i in range(at, len(text)) if text[i].isdigit())
    return text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1 :]


@pytest.mark.parametrize("damage", ["garbage", "flipped digit", "truncated"])
def test_a_damaged_index_file_means_a_full_scan(typed, tmp_path, monkeypatch, damage):  # noqa: F811
    story = Story(typed)
    story.commit_two()
    story.reveal_two()
    index = _index(typed, tmp_path)
    truth = _comparable(index.submissions(story.bounty_id))
    text = index.path.read_text()
    damaged = {
        "garbage": lambda: index.path.write_bytes(b"\x00\xff" * 100),
        "flipped digit": lambda: index.path.write_text(_flip_a_digit(text)),
        "truncated": lambda: index.path.write_text(text[: len(text) // 2]),
    }
    damaged[damage]()

    scans = []
    eth = typed.conn.w3.eth
    real_get_logs = eth.get_logs
    monkeypatch.setattr(eth, "get_logs", lambda f: scans.append(dict(f)) or real_get_logs(f))
    rebuilt = _index(typed, tmp_path)
    assert _comparable(rebuilt.submissions(story.bounty_id)) == truth
    assert scans and scans[0]["fromBlock"] == int(typed.client.from_block)  # from the start
    scans.clear()
    again = _index(typed, tmp_path)  # ...and the file is good again
    assert _comparable(again.submissions(story.bounty_id)) == truth and scans == []
