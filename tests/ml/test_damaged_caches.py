"""Caches are rebuilt when unreadable, never an error forever: the preprocessed arrays (.npz) and the
coinpaprika answers (JSON)."""

from __future__ import annotations

import numpy as np
import pytest

from ml import preprocess
from tests.ml.test_coinpaprika import _client, api  # noqa: F401 (api: a fixture)


def _flip_middle(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "empty"])
def test_a_damaged_preprocessed_cache_is_rebuilt(tiny_task, tmp_path, damage):
    manifest, files = tiny_task
    first = preprocess.prepare(manifest, files, cache_dir=tmp_path)
    path = preprocess.cache_path(manifest, files["test"], cache_dir=tmp_path)
    {
        "flipped byte": lambda: _flip_middle(path),
        "truncated": lambda: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        "empty": lambda: path.write_bytes(b""),
    }[damage]()
    with pytest.raises(Exception):  # noqa: B017 (whatever numpy or zipfile raises: it is damaged)
        preprocess.Prepared.load(path)
    again = preprocess.prepare(manifest, files, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.x_test, first.x_test)
    np.testing.assert_array_equal(preprocess.Prepared.load(path).x_train, first.x_train)  # rewritten


def test_a_damaged_coinpaprika_cache_file_is_fetched_again(api, tmp_path):  # noqa: F811
    client, _ = _client(api, tmp_path)
    first = client.historical("btc-bitcoin", 1_600_000_000, 1_600_003_600, "5m")
    cached = sorted((tmp_path / "cache").iterdir())
    assert cached
    for path in cached:
        path.write_bytes(b"\x00{ damaged")
    before = len(api.requests)
    again, _ = _client(api, tmp_path)
    frame = again.historical("btc-bitcoin", 1_600_000_000, 1_600_003_600, "5m")
    assert frame.equals(first) and len(api.requests) > before  # fetched again...
    before = len(api.requests)
    third, _ = _client(api, tmp_path)
    assert third.historical("btc-bitcoin", 1_600_000_000, 1_600_003_600, "5m").equals(first)
    assert len(api.requests) == before  # ...and cached again
