"""Every money-moving action says what it did to its sender's balance, exact to the wei (issue 12)."""

from __future__ import annotations

from actions import bounties, settlement, submissions
from actions.tx import TxOutcome
from chain.accounts import DEV_BALANCE_WEI
from formatting import eth_exact
from tests.actions import scenario


def _exact(outcome: TxOutcome, paid_in: int, received: int = 0) -> None:
    """The outcome's figures agree with the receipt and with what the contract moved."""
    assert outcome.ok, outcome.error
    assert outcome.receipt is not None and outcome.fee == outcome.receipt.fee > 0
    assert outcome.balance_before is not None and outcome.balance_after is not None
    assert outcome.change == outcome.balance_after - outcome.balance_before
    assert outcome.change == received - paid_in - outcome.fee
    lines = dict(outcome.money_lines())
    assert set(lines) == {"Balance before", "Balance after", "Change", "of which gas"}
    assert lines["of which gas"].startswith("−") and lines["of which gas"].endswith(" ETH")


def test_dev_accounts_start_with_an_amount_a_person_reads():
    b = scenario.backend()
    assert all(b.balance(account.address) == DEV_BALANCE_WEI for account in b.accounts()[1:4])


def test_create_commit_reveal_withdraw_deltas_to_the_wei():
    b = scenario.backend()
    owner, participant = b.dev_senders()[0], b.dev_senders()[1]
    built = scenario.tiny_dataset()
    create = bounties.plan_create_bounty(b, owner, built, built.manifest, scenario.terms()).execute()
    _exact(create, paid_in=scenario.REWARD)
    bounty_id = int(create.extra["bounty_id"])
    commit = submissions.plan_commit(b, participant, bounty_id, scenario.HP_A).execute()
    _exact(commit, paid_in=scenario.BOND)
    b.chain.advance_time(601)
    reveal = submissions.plan_reveal(b, participant, bounty_id).execute()
    _exact(reveal, paid_in=0)  # the bond is credited back, not paid: the balance moves by the gas only
    credit = b.client.pending_withdrawal(participant.address)
    assert credit == scenario.BOND
    withdrawal = settlement.plan_withdraw(b, participant).execute()
    _exact(withdrawal, paid_in=0, received=credit)
    assert withdrawal.change == credit - withdrawal.fee
    assert dict(withdrawal.money_lines())["Change"] == "+" + eth_exact(credit - withdrawal.fee)


def test_a_failed_transaction_says_nothing_about_balances():
    b = scenario.backend()
    outcome = settlement.plan_withdraw(b, b.dev_senders()[5]).execute()  # nothing to withdraw
    assert not outcome.ok and outcome.change is None and outcome.money_lines() == []
