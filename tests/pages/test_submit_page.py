"""Submit: fetch the data by CID, commit through the dialog, reveal from the stored salt, salts in and out."""

from __future__ import annotations

import pytest

from actions import submissions, tasks
from actions.errors import plain_error
from actions.session import get_backend
from chain.secrets import SubmissionSecret
from formatting import short_address
from protocol import Hyperparameters
from tests.actions import scenario
from tests.pages.harness import click, errors, open_page, tables_text, texts


def _participant_page(**state):
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    who = b.accounts()[1].address
    return b, bounty_id, who, open_page("submit", account=who, **state)


def test_fetch_checks_every_file_against_its_cid():
    b, bounty_id, _, at = _participant_page()
    assert "Submission" in tables_text(at)
    click(at, "submit_fetch")
    assert not errors(at), errors(at)
    assert "every file matches its CID" in texts(at)
    manifest, _ = tasks.fetch_task(b, bounty_id)
    assert manifest.data.train_cid in tables_text(at)


def test_commit_with_form_values_then_reveal_in_the_reveal_window():
    b, bounty_id, who, at = _participant_page()
    at.number_input(key="hp_lstm_units").set_value(12).run()
    at.selectbox(key="hp_activation").set_value(1).run()
    click(at, "submit_commit")
    assert "Bond" in tables_text(at) and "0.01 ETH" in tables_text(at)
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    view = b.client.submission_view(bounty_id, who)
    assert view["commit_order"] == 1
    secret = b.client.stored_secret(bounty_id, who)
    assert secret.hyperparameters.lstm_units == 12 and secret.hyperparameters.activation_name == "tanh"
    click(at, "tx_close")
    # too early: Reveal is disabled with the time reveals open (issue 12), and the contract agrees:
    # its estimate fails with that reason
    assert at.button(key="submit_reveal").disabled
    assert "Reveals open at" in texts(at)
    with pytest.raises(Exception) as refused:
        submissions.plan_reveal(b, b.sender(who), bounty_id).preview()
    assert "open at" in plain_error(refused.value), plain_error(refused.value)
    b.chain.advance_time(601)
    at.run()
    click(at, "submit_reveal")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.submission_view(bounty_id, who)["revealed"]


def test_commit_by_the_owner_is_a_plain_contract_decision_and_bad_salt_file_is_refused():
    b, bounty_id, who, at = _participant_page()
    click(at, "submit_import")
    assert any("Choose a salt file" in e for e in errors(at))
    b.chain.advance_time(700)
    at.run()
    click(at, "submit_commit")
    assert any("submission" in e.lower() and "closed" in e.lower() for e in errors(at)), errors(at)
    assert b.client.submission_view(bounty_id, who)["commit_order"] == 0


def test_trial_run_trains_in_a_worker_and_shows_curves():
    b, bounty_id, who, at = _participant_page()
    click(at, "submit_trial")
    assert not errors(at), errors(at)
    view = b.jobs.wait(submissions.trial_key(bounty_id, who), timeout=600)
    assert view.state == "done", view.error
    at.run()
    assert "Validation accuracy" in texts(at)
    assert 0 <= view.result["val_accuracy_ppm"] <= 1_000_000 and view.curves["trial"]


def test_two_sessions_see_each_others_transactions_after_a_rerun():
    """An owner's tab and a participant's tab on one server: the chain is the single source of truth."""
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    owner_tab = open_page("evaluate", account=b.accounts()[0].address, bounty_id=bounty_id)
    assert [m.value for m in owner_tab.metric if m.label == "Committed"] == ["0"]
    participant_tab = open_page("submit", account=b.accounts()[1].address, bounty_id=bounty_id)
    click(participant_tab, "submit_commit")
    click(participant_tab, "tx_confirm")
    assert not errors(participant_tab), errors(participant_tab)
    owner_tab.run()
    assert [m.value for m in owner_tab.metric if m.label == "Committed"] == ["1"]


def _download_buttons(at) -> dict[str, object]:
    """Download buttons by label (AppTest has no typed element for them)."""
    return {element.proto.label: element.proto for element in at.get("download_button")}


def test_after_a_mined_commit_the_page_prompts_to_keep_the_salts_file():
    _, _, who, at = _participant_page()
    assert "Download your salts" not in _download_buttons(at)
    click(at, "submit_commit")
    click(at, "tx_confirm")
    click(at, "tx_close")
    assert not errors(at), errors(at)
    assert "Keep this file: without the salt you cannot reveal and you lose your bond" in texts(at)
    assert f"It holds 1 salt(s) of {short_address(who)}" in texts(at)
    prompt = _download_buttons(at)["Download your salts"]
    assert not prompt.disabled and prompt.id.endswith("submit_commit_export")


def test_a_damaged_salt_file_is_named_and_the_export_still_works():
    b, bounty_id, who, at = _participant_page()
    click(at, "submit_commit")
    click(at, "tx_confirm")
    click(at, "tx_close")
    store = b.client.secrets
    stale = store.save(
        SubmissionSecret(b.client.chain_id, b.client.address, bounty_id, who, Hyperparameters(), b"\1" * 32)
    )
    for path in (stale, store.backup / stale.relative_to(store.folder)):
        path.write_text("{ damaged")
    at.run()
    assert not errors(at), errors(at)
    assert f"The salt file {stale} is damaged" in texts(at)
    assert not _download_buttons(at)["Export salts"].disabled


def test_a_model_over_the_compute_budget_is_warned_about_before_the_commit_which_stays_possible():
    b, bounty_id, who, at = _participant_page()
    assert "Would be scored 0" not in texts(at)
    at.number_input(key="hp_lstm_layers").set_value(4).run()
    at.number_input(key="hp_lstm_units").set_value(512).run()
    warning = [w.value for w in at.warning if "Would be scored 0" in w.value]
    manifest = submissions.task_manifest(b, bounty_id)
    budget = manifest.evaluation.max_parameters
    assert len(warning) == 1 and f"{budget:,}" in warning[0] and "trainable parameters" in warning[0]
    assert not at.button(key="submit_commit").disabled
    click(at, "submit_commit")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.submission_view(bounty_id, who)["commit_order"] == 1
