"""Home: a participant who committed sees the reveal due; its transactions are listed (issue 12)."""

from __future__ import annotations

from actions import submissions
from actions.session import get_backend
from tests.actions import scenario
from tests.pages.harness import click, errors, open_page, texts


def test_home_lists_a_reveal_due_and_the_accounts_transactions() -> None:
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    alice, bob = b.dev_senders()[1], b.dev_senders()[2]
    assert submissions.plan_commit(b, alice, bounty_id, scenario.HP_A).execute().ok
    at = open_page("home", account=bob.address)
    assert not errors(at), errors(at)
    assert any(f"Join bounty #{bounty_id}" in button.label for button in at.button)
    b.chain.advance_time(601)
    at = open_page("home", account=alice.address)
    assert not errors(at), errors(at)
    reveal = [button for button in at.button if f"Reveal on bounty #{bounty_id}" in button.label]
    assert reveal and alice.address in texts(at)
    activity = next(frame.value for frame in at.dataframe if "function" in frame.value)
    assert list(activity["function"]) == ["commit"] and list(activity["status"]) == ["mined"]
    assert list(activity["value"]) == ["0.01 ETH"] and int(activity["gas used"][0]) > 0
    click(at, reveal[0].key)
    assert not errors(at), errors(at)
