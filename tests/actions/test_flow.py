"""The actions layer end to end on the embedded chain, with a tiny protocol, and its refusals."""

from __future__ import annotations

import pytest

from actions import bounties, datasets, evaluation, settlement, submissions, tasks, views
from actions.errors import ActionError
from chain.client import Phase
from tests.actions import scenario


def test_a_forward_test_bounty_commits_to_no_test_file():
    b = scenario.backend()
    built = scenario.tiny_dataset()
    assert built.manifest.forward_test and built.manifest.test.rehearsal
    bounty_id = scenario.create_bounty(b, built)
    bounty = b.client.bounty(bounty_id)
    assert bounty.forward_test and bounty.test_data_commitment == b"\x00" * 32
    assert not b.store.has(built.test_cid)
    assert "rehearsal" in bounties.test_data_kind(built.manifest)


def test_create_bounty_publishes_files_and_keeps_the_test_secret():
    b = scenario.backend()
    built = scenario.tiny_dataset("private")
    assert not built.manifest.forward_test
    bounty_id = scenario.create_bounty(b, built)
    bounty = b.client.bounty(bounty_id)
    assert not bounty.forward_test
    assert bounty.reward == scenario.REWARD and bounty.commit_bond == scenario.BOND
    assert bounty.phase == Phase.SUBMISSION
    assert tasks.manifest_cid(bounty) == built.manifest.cid()
    # the published files come back by CID; the test file is not in the store before the reveal
    manifest, files = tasks.fetch_task(b, bounty_id)
    assert files["train"] == built.files["train"] and manifest.cid() == built.manifest.cid()
    assert not b.store.has(built.test_cid)
    assert evaluation.test_dataset_for(b, bounty_id).test_cid == built.test_cid
    # deadlines come from chain time
    assert bounty.submission_deadline - b.now() <= 600


def test_bad_terms_are_refused_before_anything_is_sent():
    b = scenario.backend()
    built = scenario.tiny_dataset()
    with pytest.raises(ActionError, match="reward must be more than 0"):
        bounties.plan_create_bounty(b, b.dev_senders()[0], built, built.manifest, scenario.terms(reward=0))
    with pytest.raises(ActionError, match="at least five minutes"):
        bounties.plan_create_bounty(b, b.dev_senders()[0], built, built.manifest, scenario.terms(reveal_s=5))
    with pytest.raises(ActionError, match="percentage"):
        bounties.accuracy_to_ppm("120")
    assert bounties.accuracy_to_ppm("55.5") == 555_000
    assert b.client.bounty_count() == 0


def test_wrong_phase_and_wrong_role_are_refused_by_the_contract_in_plain_words():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    early = submissions.plan_reveal(b, b.dev_senders()[1], bounty_id).execute()
    assert not early.ok and "open at" in early.error
    stranger = b.dev_senders()[3]
    with pytest.raises(Exception, match="Only the owner"):
        evaluation.plan_reveal_test_data(b, stranger, bounty_id).preview()
    assert b.client.bounty(bounty_id).test_data_revealed is False


def test_salt_export_and_import_let_another_machine_reveal(tmp_path, monkeypatch):
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    p1 = b.dev_senders()[1]
    exported = submissions.export_salts(b, p1.address)
    # lose the stored salts (both copies): the reveal cannot be made and says how to fix it
    for folder in (b.client.secrets.folder, b.client.secrets.backup):
        for path in folder.rglob("*.json"):
            if p1.address.lower() in str(path).lower():
                path.unlink()
    b.chain.advance_time(601)
    with pytest.raises(ActionError, match="import the salt file"):
        submissions.plan_reveal(b, p1, bounty_id)
    assert submissions.import_salts(b, exported) >= 1
    assert submissions.plan_reveal(b, p1, bounty_id).execute().ok
    with pytest.raises(Exception, match=r"(?i)json|secrets file"):
        submissions.import_salts(b, b"not json")


def test_whole_flow_pays_the_best_revealed_submission():
    b = scenario.backend()
    bounty_id, report = scenario.scored_bounty(b)
    scores = {r.participant: r.score_ppm for r in report.submissions}
    assert len(scores) == 2 and all(isinstance(s, int) for s in scores.values())
    posted = evaluation.load_report(b, bounty_id)
    assert posted is not None and posted.cid == report.cid()
    assert posted.report.to_dict() == report.to_dict()
    with pytest.raises(ActionError, match="Nothing to post"):
        evaluation.plan_post_scores(b, b.dev_senders()[0], bounty_id, report)
    preview = settlement.outcome_preview(b, bounty_id)
    assert preview.possible
    winner = max(scores, key=lambda who: (scores[who], who != b.dev_senders()[1].address))
    if max(scores.values()) >= 300_000:
        assert preview.credits[winner] == scenario.REWARD
    finalized = settlement.plan_finalize(b, b.dev_senders()[4], bounty_id).execute()
    assert finalized.ok, finalized.error
    assert b.client.bounty(bounty_id).phase == Phase.FINALIZED
    credited = settlement.pending_withdrawal(b, winner)
    before = b.balance(winner)
    sender = b.sender(winner)
    withdrawn = settlement.plan_withdraw(b, sender).execute()
    assert withdrawn.ok and settlement.pending_withdrawal(b, winner) == 0
    assert b.balance(winner) > before and credited >= scenario.BOND
    names = [row["event"] for row in views.event_rows(b, bounty_id)]
    assert names[0] == "BountyCreated" and "Finalized" in names and names.count("Committed") == 2


def test_evaluation_refuses_before_test_data_and_without_reveals():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    with pytest.raises(ActionError, match="Reveal the test data first"):
        evaluation.start_evaluation(b, bounty_id, workers=0)
    b.chain.advance_time(1201)  # past the reveal deadline: the test data opens the evaluation window
    scenario.reveal_test_data(b, bounty_id)
    with pytest.raises(ActionError, match="no revealed submissions"):
        evaluation.start_evaluation(b, bounty_id, workers=0)


def test_dataset_drafts_survive_and_load_back():
    built = scenario.tiny_dataset()
    settings = scenario.backend().settings
    again = datasets.saved(settings)
    assert [d.dataset_id for d in again] == [built.dataset_id]
    assert again[0].files == built.files and datasets.find_by_test_cid(settings, built.test_cid) is not None
    spans = datasets.split_spans(
        datasets.preview_frame(
            datasets.load_candles(settings, "bundled", ["BTC", "LTC"]), "15m", 1500, ["BTC", "LTC"]
        ),
        (800, 100, 100),
    )
    assert [s[0] for s in spans] == ["train", "validation", "test"] and spans[0][2] < spans[1][1]
    balance = datasets.class_balance(built)
    assert list(balance["split"]) == ["train", "validation", "test"] and balance["up"].sum() > 0
    with pytest.raises(ActionError, match="Choose a CSV"):
        datasets.load_candles(settings, "upload")
