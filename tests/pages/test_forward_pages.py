"""Forward tests on the pages: Preprocess builds a live coinpaprika forward test (no test file),
and Explorer's "Rebuild test data" says "Matches" or names a tampered file's first differing row."""

from __future__ import annotations

import time

import storage
from actions import datasets, evaluation
from actions.session import get_backend
from ml import data as ml_data
from tests.actions import scenario
from tests.ml import fake_paprika
from tests.pages.harness import click, errors, open_page, tables_text, texts


def test_preprocess_builds_a_live_forward_test_from_coinpaprika(monkeypatch):
    with fake_paprika.serve(monkeypatch, clock=int(time.time())) as world:
        monkeypatch.setattr(ml_data, "FREE_API", world.base_url)
        monkeypatch.setattr(ml_data, "PRO_API", world.base_url)
        at = open_page("preprocess")
        at.selectbox(key="pp_protocol").select("tiny").run()
        at.radio(key="pp_source").set_value("coinpaprika").run()
        assert at.radio(key="pp_test_kind").value == "forward"
        at.number_input(key="pp_forward_hours").set_value(12).run()
        click(at, "pp_load")
        assert not errors(at), errors(at)
        click(at, "pp_build")
        assert not errors(at), errors(at)
    built = datasets.saved(get_backend().settings)[0]
    rule = built.manifest.test
    assert (rule.kind, rule.source, rule.start_time) == ("forward", "coinpaprika", None)
    assert rule.duration_s == 12 * 3600
    assert built.test_cid is None and sorted(built.files) == ["train", "validation"]
    assert built.manifest.data.rows["test"] == 12 * 4
    assert "No test file yet" in texts(at) and "built after the window" in tables_text(at)


def test_rebuild_test_data_shows_matches_or_the_first_differing_row():
    b = get_backend()
    built = scenario.tiny_dataset()
    honest, tampered = scenario.create_bounty(b, built), scenario.create_bounty(b, built)
    at = open_page("explorer", bounty_id=honest)
    assert "has not revealed the test data" in texts(at)
    b.chain.advance_time(1201)
    scenario.reveal_test_data(b, honest)
    lines = evaluation.build_forward_test_file(b, tampered).splitlines(keepends=True)
    lines[3] = lines[3].replace(b",", b",9", 1)
    cid = b.store.add(b"".join(lines))
    b.client.reveal_test_data(b.dev_senders()[0], tampered, test_data_digest=storage.cid_to_digest(cid))

    at = open_page("explorer", bounty_id=honest)
    click(at, "exp_rebuild_test")
    assert not errors(at), errors(at)
    assert any(s.value.startswith("Matches") for s in at.success)

    at.selectbox(key="exp_bounty").set_value(tampered).run()
    click(at, "exp_rebuild_test")
    shown = " ".join(errors(at))
    assert "Does NOT match" in shown and "First difference at row 3 (time " in shown
