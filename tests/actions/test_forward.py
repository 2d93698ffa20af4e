"""Forward-test bounties on the embedded chain: created with a zero commitment, the test file built
by the manifest's rule after the reveal deadline, revealed, scored, and rebuilt by a verifier."""

from __future__ import annotations

from dataclasses import replace

import pytest

import storage
from actions import bounties, datasets, evaluation, tasks, verify_data
from actions.errors import ActionError
from chain.blocks import first_block_at_or_after
from ml import forward, preprocess, scoring
from ml.data import SETTLE_S
from tests.actions import scenario
from tests.ml import fake_paprika


def test_forward_test_flow_end_to_end_and_a_verifier_rebuilds_the_file_and_a_score():
    b = scenario.backend()
    built = scenario.tiny_dataset()
    assert built.manifest.test.kind == "forward" and built.manifest.test.rehearsal  # bundled: a rehearsal
    bounty_id = scenario.create_bounty(b, built)
    bounty = b.client.bounty(bounty_id)
    assert bounty.forward_test and bounty.test_data_commitment == bytes(32)
    with pytest.raises(ActionError, match="has not revealed its test data yet"):
        verify_data.check_test_data(b, bounty_id)
    scenario.commit_two(b, bounty_id)
    scenario.reveal_two(b, bounty_id)
    # still in the reveal window: the contract refuses the test data until the reveal deadline
    early = evaluation.plan_reveal_test_data(b, b.dev_senders()[0], bounty_id).execute()
    assert not early.ok and not b.client.bounty(bounty_id).test_data_revealed

    b.chain.advance_time(601)  # past the reveal deadline: the owner builds the file by rule, reveals it
    scenario.reveal_test_data(b, bounty_id)
    by_rule = evaluation.build_forward_test_file(b, bounty_id)
    bounty = b.client.bounty(bounty_id)
    assert bounty.test_data_digest == storage.cid_to_digest(storage.ipfs_cid(by_rule))
    assert b.store.cat(storage.ipfs_cid(by_rule)) == by_rule
    assert by_rule == built.files["test"]  # the rehearsal's window is exactly the bundled test split

    report = scenario.evaluate(b, bounty_id)
    # the seeds come from the first block at or after the reveal deadline, read from the chain
    block = first_block_at_or_after(b.client.w3, bounty.reveal_deadline)
    expected = scoring.derive_seeds(block.hash, built.manifest.evaluation.seeds)
    assert report.seeds["values"] == expected and report.seeds["block_number"] == block.number
    assert tasks.training_seeds(b, bounty_id, built.manifest)[0] == expected  # what a verifier uses
    assert {c["seed"] for c in report.submissions[0].cells} == set(expected)
    posted = evaluation.plan_post_scores(b, b.dev_senders()[0], bounty_id, report).execute()
    assert posted.ok, posted.error

    # a verifier: the test file rebuilt from the public source matches the revealed CID ...
    check = verify_data.check_test_data(b, bounty_id)
    assert check.matches and check.rebuilt_cid == check.revealed_cid == storage.ipfs_cid(by_rule)
    assert check.first_difference is None and check.summary().startswith("Matches")
    # ... and a posted score is re-run on it and reproduced
    who = b.dev_senders()[1].address
    evaluation.start_verify(b, bounty_id, who)
    view = b.jobs.wait(f"verify:{bounty_id}:{who}", timeout=600)
    assert view.state == "done", view.error
    assert view.result["reproduced"], view.result["summary"]


def test_a_tampered_test_file_is_detected_and_its_first_differing_row_named():
    b = scenario.backend()
    built = scenario.tiny_dataset()
    tampered_id, missing_id = scenario.create_bounty(b, built), scenario.create_bounty(b, built)
    b.chain.advance_time(1201)  # past both reveal deadlines
    honest = evaluation.build_forward_test_file(b, tampered_id)
    lines = honest.decode().splitlines(keepends=True)
    time, first, rest = lines[5].split(",", 2)
    lines[5] = f"{time},{float(first) * 1.01:.2f},{rest}"  # one close price nudged by 1 %
    tampered = "".join(lines).encode()
    owner_sender = b.dev_senders()[0]
    cid = b.store.add(tampered)
    b.client.reveal_test_data(owner_sender, tampered_id, test_data_digest=storage.cid_to_digest(cid))

    check = verify_data.check_test_data(b, tampered_id)
    assert not check.matches
    assert check.revealed_cid == cid and check.rebuilt_cid == storage.ipfs_cid(honest)
    assert check.first_difference.startswith(f"First difference at row 5 (time {time})")
    assert "Does NOT match" in check.summary() and f"row 5 (time {time})" in check.summary()

    # a revealed digest whose file is in no store: still a mismatch, and it says why no row is named
    absent = storage.cid_to_digest(storage.ipfs_cid(b"not the test file\n"))
    b.client.reveal_test_data(owner_sender, missing_id, test_data_digest=absent)
    check = verify_data.check_test_data(b, missing_id)
    assert not check.matches and "could not be fetched" in check.first_difference


def test_private_data_has_no_public_rule_and_errors_are_sentences():
    b = scenario.backend()
    params = replace(datasets.default_parameters("tiny"), test_kind="private")
    built = datasets.build(
        b.settings, datasets.load_candles(b.settings, "bundled", list(params.coins)), params
    )
    assert built.manifest.test.kind == "private"
    bounty_id = scenario.create_bounty(b, built)
    with pytest.raises(verify_data.NoPublicRule, match=r"no public rule.*commitment"):
        verify_data.check_test_data(b, bounty_id)
    with pytest.raises(ActionError, match="There is no bounty #99"):
        verify_data.check_test_data(b, 99)


def test_live_coinpaprika_forward_test_on_chain(monkeypatch):
    """The real path, offline: history from coinpaprika, no test file at creation, the window's
    candles revealed once they exist, and a verifier's rebuild matching."""
    b = scenario.backend()
    with fake_paprika.serve(monkeypatch, clock=b.now()) as world:
        source = forward.coinpaprika_candles(api_key="", base_url=world.base_url)
        params = replace(
            datasets.default_parameters("tiny"),
            source="coinpaprika",
            description="coinpaprika BTC LTC 15m",
            forward_duration_s=6 * 3600,
        )
        built = datasets.build(b.settings, fake_paprika.history(b.now()), params)
        assert "test" not in built.files and built.test_cid is None
        assert built.manifest.test.source == "coinpaprika" and built.manifest.test.start_time is None
        kept = next(d for d in datasets.saved(b.settings) if d.dataset_id == built.dataset_id)
        assert kept.files == built.files and kept.manifest.cid() == built.manifest.cid()
        assert datasets.class_balance(kept)["split"].tolist() == ["train", "validation"]

        short = scenario.terms(evaluation_s=3600)  # ends before the window's candles even exist
        with pytest.raises(ActionError, match="evaluation window must outlast them"):
            bounties.plan_create_bounty(b, b.dev_senders()[0], built, built.manifest, short)
        terms = scenario.terms(evaluation_s=6 * 3600 + 7200)  # room for the window, then the scoring
        bounty_id, _ = bounties.create_bounty(b, b.dev_senders()[0], built, built.manifest, terms)
        bounty = b.client.bounty(bounty_id)
        assert bounty.forward_test and bounty.test_data_commitment == bytes(32)
        start, end = forward.test_window(built.manifest, bounty.reveal_deadline)
        assert start >= bounty.reveal_deadline and end - start == 6 * 3600

        b.chain.advance_time(1201)  # the evaluation window opened; the test window has just begun
        with pytest.raises(ActionError, match="closes at"):
            evaluation.plan_reveal_test_data(b, b.dev_senders()[0], bounty_id, source=source)
        b.chain.advance_time(end - b.now() + 60)  # past the window by the chain's clock, not the world's
        with pytest.raises(ActionError, match="final only from"):
            evaluation.plan_reveal_test_data(b, b.dev_senders()[0], bounty_id, source=source)
        world.clock = b.now() + SETTLE_S
        revealed = evaluation.plan_reveal_test_data(b, b.dev_senders()[0], bounty_id, source=source).execute()
        assert revealed.ok, revealed.error

        check = verify_data.check_test_data(b, bounty_id, source=source)
        assert check.matches, check.summary()
        manifest, files = tasks.fetch_task(b, bounty_id, with_test=True)
        test_rows = len(preprocess.parse_split(files["test"], manifest, "test"))
        assert test_rows == manifest.data.rows["test"] == 24
        paths = preprocess.prepare_eras(manifest, files, expected_test_cid=check.revealed_cid)
        assert len(paths) == manifest.evaluation.eras  # every era has test sequences to score on
