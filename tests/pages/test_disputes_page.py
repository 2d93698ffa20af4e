"""Disputes page and Initialize's Disputes expander, driven through AppTest on the embedded chain."""

from __future__ import annotations

from actions import disputes
from actions.session import get_backend
from tests.actions import scenario
from tests.actions.test_disputes import POSTED_HIGH, arbitrated_bounty
from tests.pages.harness import click, errors, open_page, tables_text, texts


def _fake_verify(b, bounty_id: int, participant: str, recomputed: int) -> None:
    """A finished verify job under the key the Explorer uses, without training anything."""

    def job(progress):
        return {
            "participant": participant,
            "posted": POSTED_HIGH,
            "recomputed": recomputed,
            "reproduced": False,
            "error": None,
            "summary": "re-run differs",
            "curves": {},
        }

    b.jobs.start(disputes.verify_key(bounty_id, participant), "Verify", job)
    view = b.jobs.wait(disputes.verify_key(bounty_id, participant), timeout=60)
    assert view.state == "done", view.error


def test_a_bounty_without_arbitrator_says_so():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    at = open_page("disputes", bounty_id=bounty_id)
    assert not errors(at), errors(at)
    assert "has no arbitrator" in texts(at)


def test_challenge_prefilled_from_the_rerun_then_the_arbiter_rules_for_the_challenger():
    b = get_backend()
    p1, p2 = b.dev_senders()[1:3]
    bounty_id = arbitrated_bounty(b)
    _fake_verify(b, bounty_id, p2.address, 512_345)

    at = open_page("disputes", account=p1.address, bounty_id=bounty_id)
    assert not errors(at), errors(at)
    assert "Challenge bond" in tables_text(at) and "Challenges accepted until" in texts(at)
    at.selectbox(key="dis_participant").set_value(p2.address).run()
    assert at.number_input(key="dis_claimed").value == 51.2345, "pre-filled from this machine's re-run"
    assert "Pre-filled from this machine's re-run" in texts(at)
    assert at.selectbox(key="dis_participant").help and at.number_input(key="dis_claimed").help
    assert at.button(key="dis_rerun").help and at.button(key="dis_challenge").help
    click(at, "dis_challenge")
    assert "challengeScore" in tables_text(at)
    cost = b.client.challenge_cost(bounty_id)
    assert f"{cost / 10**18:g}" in tables_text(at), "the value is shown in the confirmation"
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    click(at, "tx_close")
    (dispute,) = disputes.disputes(b, bounty_id)
    assert dispute.claimed_accuracy_ppm == 512_345 and not dispute.ruled
    assert "Participant 1" in tables_text(at)

    # a participant may click Rule, but the arbitrator refuses it: the reason, Confirm disabled
    click(at, f"dis_rule1_{dispute.dispute_id}")
    assert errors(at) and at.button(key="tx_confirm").disabled
    click(at, "tx_cancel")

    arbiter = b.arbiter()
    assert arbiter is not None
    at = open_page("disputes", account=arbiter.address, bounty_id=bounty_id)
    assert not errors(at), errors(at)
    click(at, f"dis_rule1_{dispute.dispute_id}")
    assert "giveRuling" in tables_text(at)
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    click(at, "tx_close")
    assert disputes.arbitration_of(b, bounty_id).voided
    assert "the challenger is right" in tables_text(at)


def test_initialize_sets_the_arbitration_after_the_bounty_is_created():
    built = scenario.tiny_dataset()
    b = get_backend()
    at = open_page("initialize", dataset_id=built.dataset_id)
    at.checkbox(key="init_disputes").check().run()
    assert not errors(at), errors(at)
    dev = disputes.dev_arbitrator(b).address
    assert at.text_input(key="init_arbitrator").value == dev, "the dev arbitrator is pre-filled"
    for key in ("init_arbitrator", "init_owner_bond", "init_challenge_bond"):
        assert at.text_input(key=key).help
    assert at.number_input(key="init_challenge_min").help and at.checkbox(key="init_disputes").help
    at.text_input(key="init_owner_bond").input("0.2").run()
    at.number_input(key="init_challenge_min").set_value(15).run()
    click(at, "init_create")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    click(at, "tx_close")
    assert "Bounty #1 is open" in texts(at)
    click(at, "init_set_arbitration")
    assert "setArbitration" in tables_text(at)
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    click(at, "tx_close")
    arbitration = b.client.arbitration(1)
    assert arbitration is not None and arbitration.arbitrator == dev
    assert arbitration.owner_bond == 2 * 10**17 and arbitration.challenge_period == 15 * 60
    assert arbitration.challenge_bond == disputes.DEFAULT_CHALLENGE_BOND
