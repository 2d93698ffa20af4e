"""Forward tests: the live coinpaprika option of build_dataset, and test files rebuilt by rule.

The live path runs offline against a local HTTP server that answers like coinpaprika and, like
the real API, only has ticks up to its own clock: a window's candles exist once it has passed.
"""

from __future__ import annotations

import pytest

import storage
from ml import forward, preprocess
from ml.data import SETTLE_S, CoinpaprikaClient, DataError
from tests.ml import fake_paprika

STEP = fake_paprika.STEP


@pytest.fixture
def world(monkeypatch):
    with fake_paprika.serve(monkeypatch) as state:
        yield state


def _live_params(**changes):
    from dataclasses import replace

    params = replace(
        preprocess.tiny_parameters(), source="coinpaprika", description="coinpaprika BTC LTC 15m"
    )
    return replace(params, **changes)


@pytest.fixture(scope="module")
def live_task(tmp_path_factory):
    """(manifest, files) of a live forward test: history up to 1_700_000_000, a 12-hour window."""
    from tests.ml.conftest import data_dir

    with data_dir(tmp_path_factory.mktemp("live-task-data")):
        params = _live_params(forward_duration_s=12 * 3600)
        return preprocess.build_dataset(fake_paprika.history(1_700_000_000), params)


# --------------------------------------------------------------------------- build_dataset


def test_live_forward_publishes_train_and_validation_and_a_window_rule(live_task):
    manifest, files = live_task
    assert sorted(files) == ["train", "validation"]  # no test file exists at creation
    rule = manifest.test
    assert (rule.kind, rule.source, rule.start_time, rule.duration_s, rule.rehearsal) == (
        "forward",
        "coinpaprika",
        None,
        12 * 3600,
        False,
    )
    rows = manifest.data.rows
    assert rows["test"] == 12 * 3600 // STEP  # nominal: the window's candles
    # the history is cut into train and validation in the ratio of their permille (800 : 100)
    assert rows["train"] + rows["validation"] == 1500 and rows["train"] == 1500 * 800 // 900
    assert storage.ipfs_cid(files["train"]) == manifest.data.train_cid
    assert manifest.data.last_time == 1_700_000_000 // STEP * STEP


def test_private_choice_and_uploads_keep_the_committed_test_split():
    history = fake_paprika.history(1_700_000_000)
    private, files = preprocess.build_dataset(history, _live_params(test_kind="private"))
    assert private.test.kind == "private" and sorted(files) == ["test", "train", "validation"]
    assert sum(private.data.rows.values()) == 1500
    upload, files = preprocess.build_dataset(history, _live_params(source="upload"))
    assert upload.test.kind == "private" and "test" in files


def test_bundled_data_stays_a_rehearsal_over_its_test_split(tiny_task):
    manifest, files = tiny_task
    rule = manifest.test
    assert rule.kind == "forward" and rule.source == "bundled" and rule.rehearsal
    test_times = preprocess.parse_split(files["test"], manifest, "test").index
    assert rule.start_time == int(test_times[0]) and "test" in files


def test_a_window_too_short_for_the_eras_or_off_the_interval_is_refused():
    history = fake_paprika.history(1_700_000_000)
    with pytest.raises(DataError, match=r"too short.*at least 6 hours"):
        preprocess.build_dataset(history, _live_params(forward_duration_s=3 * 3600))
    with pytest.raises(DataError, match="whole number of 15m intervals"):
        preprocess.build_dataset(history, _live_params(forward_duration_s=24 * 3600 + 60))
    with pytest.raises(DataError, match="no 1m ticks"):
        preprocess.build_dataset(history, _live_params(interval="1m"))


def test_test_window_starts_at_the_first_boundary_at_or_after_the_reveal_deadline(live_task):
    manifest, _ = live_task
    boundary = 1_700_002_800  # a multiple of 15 minutes
    assert forward.test_window(manifest, boundary) == (boundary, boundary + 12 * 3600)
    assert forward.test_window(manifest, boundary + 1) == (boundary + STEP, boundary + STEP + 12 * 3600)


# --------------------------------------------------------------------------- the live path, offline


def test_the_live_window_is_refused_before_it_closed_and_built_after(live_task, world, tmp_path):
    manifest, _ = live_task
    reveal_deadline = 1_700_010_000
    start, end = forward.test_window(manifest, reveal_deadline)
    owner_source = forward.coinpaprika_candles(api_key="", base_url=world.base_url)

    # during the window, by the chain's clock: refused before anything is asked of the source
    world.clock = start + 3600
    with pytest.raises(DataError, match="closes at"):
        forward.rebuild_test_file(manifest, reveal_deadline, start + 3600, owner_source)
    assert world.historical == []
    # the API itself has only the ticks up to its clock: a partial answer (or none at all)
    partial = CoinpaprikaClient(api_key="", base_url=world.base_url, cache_dir=tmp_path / "c1")
    assert len(partial.historical("btc-bitcoin", start, end, "15m")) == 3600 // STEP + 1
    with pytest.raises(DataError, match="HTTP 400"):
        partial.historical("btc-bitcoin", end, end + 3600, "15m")
    # ... and an unsettled range is never cached: asked again, it is fetched again
    before = len(world.historical)
    partial.historical("btc-bitcoin", start, end, "15m")
    assert len(world.historical) == before + 1

    # a dev chain's clock can run ahead of the world's: past the window by the chain, not yet here
    world.clock = end + SETTLE_S - 1
    fetched = len(world.historical)
    with pytest.raises(DataError, match="final only from"):
        forward.rebuild_test_file(manifest, reveal_deadline, end + 7200, owner_source)
    assert len(world.historical) == fetched

    # once the window has passed (and settled): the file is built, one row per interval
    world.clock = end + SETTLE_S
    built = forward.rebuild_test_file(manifest, reveal_deadline, end + 7200, owner_source)
    frame = preprocess.parse_split(built, manifest, "test")
    assert len(frame) == manifest.data.rows["test"] == 48
    assert int(frame.index[0]) == start and int(frame.index[-1]) == end - STEP
    assert built.splitlines()[0] == b"time,BTC_close,BTC_volume,LTC_close,LTC_volume"

    # a verifier elsewhere, later, with its own cache, gets the same bytes
    world.clock = end + 30 * 86_400
    verifier = CoinpaprikaClient(api_key="", base_url=world.base_url, cache_dir=tmp_path / "verifier")

    def verifier_source(m, lo, hi):
        return verifier.load(m.coins, lo, hi, m.interval, settled=True)

    again = forward.rebuild_test_file(manifest, reveal_deadline, end + 30 * 86_400, verifier_source)
    check = forward.compare_test_files(again, built, storage.ipfs_cid(built))
    assert again == built and check.matches and "Matches" in check.summary()


def test_the_built_live_test_file_scores_with_the_published_files(live_task, world):
    """The window's file is a valid test split for the manifest: every era yields sequences."""
    manifest, files = live_task
    reveal_deadline = 1_700_010_000
    _, end = forward.test_window(manifest, reveal_deadline)
    world.clock = end + SETTLE_S
    test = forward.rebuild_test_file(
        manifest, reveal_deadline, end, forward.coinpaprika_candles(api_key="", base_url=world.base_url)
    )
    paths = preprocess.prepare_eras(
        manifest, {**files, "test": test}, expected_test_cid=storage.ipfs_cid(test)
    )
    assert len(paths) == manifest.evaluation.eras
    eras = [preprocess.Prepared.load(p) for p in paths]
    assert all(e.has_test and len(e.y_test) > 0 for e in eras)


# --------------------------------------------------------------------------- comparing files


def test_first_difference_names_the_row_and_its_time():
    good = b"time,A_close,A_volume\n100,1,2\n200,3,4\n300,5,6\n"
    bad = b"time,A_close,A_volume\n100,1,2\n200,3.5,4\n300,5,6\n"
    check = forward.compare_test_files(good, bad, storage.ipfs_cid(bad))
    assert not check.matches and check.rebuilt_cid == storage.ipfs_cid(good)
    assert (
        check.first_difference
        == "First difference at row 2 (time 200): expected '200,3,4', revealed '200,3.5,4'."
    )
    assert "Does NOT match" in check.summary() and "row 2 (time 200)" in check.summary()
    shorter = forward.first_difference(good, good.rsplit(b"\n", 2)[0] + b"\n")
    assert shorter == "The rebuilt file has 3 rows, the revealed one 2."
    unknown = forward.compare_test_files(good, None, storage.ipfs_cid(bad))
    assert not unknown.matches and unknown.first_difference is None
