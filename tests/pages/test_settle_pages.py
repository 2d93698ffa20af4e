"""Evaluate, Finalize and Explorer: reveal test data, evaluate, post scores, settle, withdraw, verify."""

from __future__ import annotations

from actions import evaluation
from actions.session import get_backend
from chain.client import Phase
from tests.actions import scenario
from tests.pages.harness import click, errors, open_page, tables_text, texts


def _revealed_bounty():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    scenario.reveal_two(b, bounty_id)
    return b, bounty_id


def test_evaluate_page_reveals_test_data_runs_the_evaluation_and_posts_scores():
    b, bounty_id = _revealed_bounty()
    owner_address = b.accounts()[0].address
    # a participant cannot reveal the owner's test data: the contract's reason is shown, Confirm disabled
    at = open_page("evaluate", account=b.accounts()[1].address, bounty_id=bounty_id)
    click(at, "eval_reveal_test")
    assert any("Only the owner" in e for e in errors(at)), errors(at)
    assert at.button(key="tx_confirm").disabled
    click(at, "tx_cancel")
    # running the evaluation before the test data is revealed is refused in plain words
    click(at, "eval_run")
    assert any("Reveal the test data first" in e for e in errors(at))

    at = open_page("evaluate", account=owner_address, bounty_id=bounty_id)
    # revealing the test data before the reveal deadline: the contract refuses and says when
    click(at, "eval_reveal_test")
    assert any("when the reveal window closes" in e for e in errors(at)), errors(at)
    click(at, "tx_cancel")
    b.chain.advance_time(601)
    at.run()
    click(at, "eval_reveal_test")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.bounty(bounty_id).test_data_revealed
    click(at, "tx_close")
    at.number_input(key="eval_workers").set_value(1).run()
    click(at, "eval_run")
    assert not errors(at), errors(at)
    view = b.jobs.wait(evaluation.evaluation_key(bounty_id), timeout=600)
    assert view.state == "done", view.error
    at.run()
    assert "Leaderboard" in texts(at)
    for who in b.accounts()[1:3]:
        assert who.address in tables_text(at)
    # the real report: each score with its 95 % interval, the baselines, every cell counted
    board = next(d.value for d in at.dataframe if "tied with leader" in d.value.columns)
    assert board["95 % interval"].str.endswith(" %").all() and board["tied with leader"].iloc[0]
    assert "Always the majority class" in tables_text(at)
    cells = view.result.protocol["seeds"] * view.result.protocol["eras"]
    progress = next(d.value for d in at.dataframe if "cells" in d.value.columns)
    assert list(progress["cells"]) == [f"{cells}/{cells}"] * 2
    click(at, "eval_post")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    bounty = b.client.bounty(bounty_id)
    assert bounty.scored_count == 2 and bounty.phase == Phase.FINALIZABLE
    posted = {  # who committed (the index), each score from the contract's view
        s.participant: b.client.submission_view(bounty_id, s.participant)["accuracy_ppm"]
        for s in b.index.submissions(bounty_id)
    }
    assert posted == {r.participant: r.score_ppm for r in view.result.submissions}


def test_finalize_too_early_is_refused_then_anyone_finalizes_and_the_winner_withdraws():
    b = get_backend()
    early = scenario.create_bounty(b)
    at = open_page("finalize", account=b.accounts()[4].address, bounty_id=early)
    assert "Too early" in texts(at)
    click(at, "fin_finalize")
    assert any("finalize" in e.lower() for e in errors(at)), errors(at)
    click(at, "tx_cancel")

    bounty_id, _report = scenario.scored_bounty(b)
    at = open_page("finalize", account=b.accounts()[4].address, bounty_id=bounty_id)
    at.selectbox(key="fin_bounty").set_value(bounty_id).run()
    assert "Every revealed submission is scored" in texts(at)
    leader = b.client.bounty(bounty_id).leader
    label = b.label_of(leader)
    assert label.startswith("Participant "), label
    assert f"winner {label} with " in texts(at), "the preview names the winner by its label"
    click(at, "fin_finalize")
    assert not errors(at), errors(at)
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.bounty(bounty_id).phase == Phase.FINALIZED
    click(at, "tx_close")
    assert f"winner {label} with " in texts(at) and "was credited" in texts(at), "so does the settled text"
    credited = b.client.pending_withdrawal(leader)
    assert credited > 0
    before = b.balance(leader)
    at = open_page("finalize", account=leader, bounty_id=bounty_id)
    assert "has **" in "\n".join(m.value for m in at.markdown)
    click(at, "fin_withdraw")
    assert not errors(at), errors(at)
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.pending_withdrawal(leader) == 0 and b.balance(leader) > before
    click(at, "tx_close")
    assert "balance after" in tables_text(at)


def test_explorer_shows_events_and_leaderboard_and_verifies_a_posted_score():
    b = get_backend()
    bounty_id, report = scenario.scored_bounty(b)
    at = open_page("explorer", bounty_id=bounty_id)
    assert not errors(at), errors(at)
    shown = tables_text(at)
    for name in ("BountyCreated", "Committed", "Revealed", "TestDataRevealed", "ScoresPosted"):
        assert name in shown
    assert "Evaluation report" in texts(at) and report.cid() in texts(at)
    board = next(d.value for d in at.dataframe if "tied with leader" in d.value.columns)
    assert board["95 % interval"].str.endswith(" %").all()
    posted = {  # who committed (the index), each score from the contract's view
        s.participant: b.client.submission_view(bounty_id, s.participant)["accuracy_ppm"] / 10_000
        for s in b.index.submissions(bounty_id)
    }
    assert dict(zip(board["address"], board["posted %"], strict=True)) == posted
    who = b.accounts()[1].address
    at.selectbox(key="exp_participant").set_value(who).run()
    click(at, "exp_verify")
    assert not errors(at), errors(at)
    view = b.jobs.wait(f"verify:{bounty_id}:{who}", timeout=600)
    assert view.state == "done", view.error
    at.run()
    assert view.result["reproduced"], view.result["summary"]
    assert any("Reproduced" in s.value for s in at.success)


def test_stalled_owner_splits_the_reward_and_each_revealer_claims_a_share():
    b, bounty_id = _revealed_bounty()
    b.chain.advance_time(600 + 3600 + 1)  # past the evaluation deadline with nothing scored
    revealer = b.accounts()[1].address
    at = open_page("finalize", account=revealer, bounty_id=bounty_id)
    assert "owner stalled" in texts(at)
    click(at, "fin_finalize")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    click(at, "tx_close")
    before = b.client.pending_withdrawal(revealer)
    click(at, "fin_claim")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    assert b.client.pending_withdrawal(revealer) == before + scenario.REWARD // 2
    click(at, "tx_close")
    click(at, "fin_claim")  # a second claim is refused by the contract, in words
    assert any("already" in e.lower() for e in errors(at)), errors(at)
