"""Finalize's balances: a bond waiting is listed; a withdrawal moves the credit, less the gas, to the wei."""

from __future__ import annotations

from actions import submissions
from actions.session import get_backend
from formatting import eth_exact
from tests.actions import scenario
from tests.pages.harness import click, errors, open_page
from ui import tx


def _balances(at):
    return next(frame.value for frame in at.dataframe if "to withdraw" in frame.value)


def test_a_withdrawal_on_finalize_shows_credit_minus_gas_to_the_wei() -> None:
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    alice, bob = b.dev_senders()[1], b.dev_senders()[2]
    assert submissions.plan_commit(b, alice, bounty_id, scenario.HP_A).execute().ok
    b.chain.advance_time(601)
    assert submissions.plan_reveal(b, alice, bounty_id).execute().ok
    seen_by_bob = _balances(open_page("finalize", account=bob.address))
    assert alice.address in list(seen_by_bob["address"])  # her bond waits in withdraw
    at = open_page("finalize", account=alice.address)
    click(at, "fin_withdraw")
    click(at, "tx_confirm")
    assert not errors(at), errors(at)
    outcome = next(o for o in at.session_state[tx.RESULTS].values() if o.title.startswith("Withdraw"))
    assert outcome.ok and outcome.change == scenario.BOND - outcome.fee
    click(at, "tx_close")
    row = _balances(at).set_index("address").loc[alice.address]
    assert row["change"] == "−" + eth_exact(outcome.fee)  # balance + waiting: only the gas is gone
    assert row["of which gas"] == "−" + eth_exact(outcome.fee)
    assert row["to withdraw after"] == "0 ETH"
