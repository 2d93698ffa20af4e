"""Preprocess and Initialize: build and publish a dataset, create a bounty through the confirmation dialog."""

from __future__ import annotations

import pytest
import streamlit as st

from actions import bounties, datasets, evaluation
from actions.errors import ActionError
from actions.session import get_backend
from tests.actions import scenario
from tests.pages.harness import click, errors, open_page, tables_text, texts


def test_preprocess_builds_and_publishes_a_tiny_dataset():
    at = open_page("preprocess")
    assert "rehearsal, not a secret" in "\n".join(i.value for i in at.info), "the bundled data is public"
    at.selectbox(key="pp_protocol").select("tiny").run()
    assert at.multiselect(key="pp_coins").value == ["BTC", "LTC"]
    click(at, "pp_load")
    assert not errors(at), errors(at)
    assert "merged 15m rows" in texts(at)
    assert len(at.get("plotly_chart")) >= 1
    click(at, "pp_build")
    assert not errors(at), errors(at)
    built = datasets.saved(get_backend().settings)[0]
    assert at.session_state["dataset_id"] == built.dataset_id
    shown = tables_text(at)
    assert built.manifest.cid() in shown and built.test_cid in shown
    click(at, "pp_publish")
    assert not errors(at), errors(at)
    store = get_backend().store
    assert store.has(built.manifest.cid()) and store.has(built.manifest.data.train_cid)
    assert not store.has(built.test_cid), "the test file must stay private until revealed"
    assert "Published to" in texts(at)


def test_preprocess_refuses_a_split_that_does_not_add_up_and_a_missing_upload():
    at = open_page("preprocess")
    at.number_input(key="pp_train").set_value(50).run()
    assert any("add up to 100" in e for e in errors(at))
    assert at.button(key="pp_build").disabled
    at.number_input(key="pp_train").set_value(80).run()
    at.radio(key="pp_source").set_value("upload").run()
    assert "rehearsal, not a secret" not in texts(at), "the notice is about the bundled candles only"
    click(at, "pp_load")
    assert any("Choose a CSV file" in e for e in errors(at))
    assert datasets.saved(get_backend().settings) == []


def test_initialize_creates_a_bounty_after_confirmation():
    built = scenario.tiny_dataset()
    b = get_backend()
    at = open_page("initialize", dataset_id=built.dataset_id)
    assert not errors(at), errors(at)
    at.text_input(key="init_reward").input("2.5").run()
    at.number_input(key="init_min_acc").set_value(45.0).run()
    at.number_input(key="init_epochs").set_value(1).run()
    click(at, "init_create")
    assert "createBounty" in tables_text(at) and "Estimated gas" in tables_text(at)
    assert b.client.bounty_count() == 0, "nothing is sent before Confirm"
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.bounty_count() == 1
    bounty = b.client.bounty(1)
    assert bounty.reward == 25 * 10**17 and bounty.min_accuracy_ppm == 450_000
    assert "Mined" in texts(at)
    click(at, "tx_close")
    assert "Bounty #1 is open" in texts(at) and at.session_state["bounty_id"] == 1


def test_initialize_suggests_a_bar_from_the_baselines_and_the_button_sets_it():
    built = scenario.tiny_dataset()
    expected = evaluation.suggest_min_accuracy(built)
    suggested = expected.min_accuracy_ppm / 10_000
    b = get_backend()
    at = open_page("initialize", dataset_id=built.dataset_id)
    assert not errors(at), errors(at)
    shown = texts(at)
    assert f"Suggested minimum accuracy: {suggested:.2f} %" in shown
    assert expected.explanation() in shown
    assert at.number_input(key="init_min_acc").value == suggested, "the input starts at the suggestion"
    baselines = tables_text(at)
    for label, _score, _stderr in expected.baselines:
        assert label in baselines
    notice = "\n".join(i.value for i in at.info)
    assert bounties.test_data_kind(built.manifest) in notice and "live coinpaprika source" in notice
    assert at.button(key="init_use_suggested").disabled, "already the suggestion"
    at.number_input(key="init_min_acc").set_value(45.0).run()
    assert at.number_input(key="init_min_acc").value == 45.0, "a typed value stays"
    click(at, "init_use_suggested")
    assert at.number_input(key="init_min_acc").value == suggested
    at.number_input(key="init_epochs").set_value(1).run()
    click(at, "init_create")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.bounty(1).min_accuracy_ppm == expected.min_accuracy_ppm


@pytest.fixture
def fresh_caches():
    """The suggestion is cached per dataset for the whole process: start and leave it empty."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_initialize_shows_a_warning_when_no_bar_can_be_suggested(monkeypatch, fresh_caches):
    def refuse(built, manifest=None):
        raise ActionError("Could not score the baselines on the validation data: too few rows.")

    monkeypatch.setattr(evaluation, "suggest_min_accuracy", refuse)
    built = scenario.tiny_dataset()
    at = open_page("initialize", dataset_id=built.dataset_id)
    assert not at.exception, at.exception
    warnings = "\n".join(w.value for w in at.warning)
    assert "No suggested minimum accuracy" in warnings and "too few rows" in warnings
    assert at.number_input(key="init_min_acc").value == 50.0
    assert "init_use_suggested" not in [w.key for w in at.button]


def test_initialize_rejects_bad_amounts_and_reject_sends_nothing():
    built = scenario.tiny_dataset()
    b = get_backend()
    at = open_page("initialize", dataset_id=built.dataset_id)
    at.text_input(key="init_reward").input("lots").run()
    click(at, "init_create")
    assert any("not an amount of ETH" in e for e in errors(at))
    at.text_input(key="init_reward").input("1").run()
    click(at, "init_create")
    click(at, "tx_cancel")
    assert b.client.bounty_count() == 0
    assert "tx_confirm" not in [w.key for w in at.button]


def test_initialize_as_a_participant_is_allowed_by_the_contract_and_labelled_in_the_dialog():
    """Anyone may post a bounty: the dialog shows who signs, and the chain records that account as owner."""
    built = scenario.tiny_dataset()
    b = get_backend()
    participant = b.accounts()[1].address
    at = open_page("initialize", account=participant, dataset_id=built.dataset_id)
    click(at, "init_create")
    assert "Participant 1" in tables_text(at)
    click(at, "tx_confirm")
    assert b.client.bounty(1).owner == participant


def _csv(rows: int, start: int = 1_530_000_000, step: int = 60) -> bytes:
    lines = ["time,BTC_close,BTC_volume,LTC_close,LTC_volume"]
    for n in range(rows):
        lines.append(f"{start + n * step},{6000 + (n * 7) % 50},{1 + n % 5},{80 + (n * 3) % 9},{2 + n % 3}")
    return ("\n".join(lines) + "\n").encode()


def test_preprocess_upload_reports_the_bad_row_then_accepts_a_good_file():
    at = open_page("preprocess")
    at.radio(key="pp_source").set_value("upload").run()
    bad = _csv(200).replace(b"\n1530000120,", b"\n1530000120x,", 1)
    at.file_uploader(key="pp_upload").upload("prices.csv", bad, "text/csv").run()
    click(at, "pp_load")
    assert any("Row 4, column time" in e for e in errors(at)), errors(at)
    at.file_uploader(key="pp_upload").upload("prices.csv", _csv(3000), "text/csv").run()
    click(at, "pp_load")
    assert not errors(at), errors(at)
    assert at.session_state["pp_available"] == ["BTC", "LTC"]
    assert "merged" in texts(at)


def test_preprocess_states_the_upload_limit_and_config_matches_it():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == datasets.MAX_UPLOAD_MB
    at = open_page("preprocess")
    at.radio(key="pp_source").set_value("upload").run()
    assert f"up to {datasets.MAX_UPLOAD_MB} MB" in texts(at)


def test_preprocess_upload_errors_are_sentences_not_python_messages(monkeypatch):
    from ml import data as ml_data

    at = open_page("preprocess")
    at.radio(key="pp_source").set_value("upload").run()
    garbage = bytes((n * 151 + 7) % 256 for n in range(5000))
    at.file_uploader(key="pp_upload").upload("prices.csv", garbage, "text/csv").run()
    click(at, "pp_load")
    assert any("not a CSV of candles" in e and "time,close,volume" in e for e in errors(at)), errors(at)
    assert not any("Unexpected error" in e or "new-line" in e for e in errors(at)), errors(at)
    far = _csv(200).replace(b"\n1530000120,", b"\n1000000000000000,", 1)
    at.file_uploader(key="pp_upload").upload("prices.csv", far, "text/csv").run()
    click(at, "pp_load")
    assert any("Row 4, column time" in e and "year 33658" in e and "2100-01-01" in e for e in errors(at)), (
        errors(at)
    )
    monkeypatch.setattr(ml_data, "MAX_UPLOAD_BYTES", 4096)
    at.file_uploader(key="pp_upload").upload("prices.csv", _csv(300), "text/csv").run()
    click(at, "pp_load")
    assert any("price CSVs are limited to" in e for e in errors(at)), errors(at)
