"""Pull payments: a re-entrant receiver gets its credit once; a reverting one blocks only itself."""

from __future__ import annotations

from tests.chain.conftest import ETH, HP, STALL_SPLIT, salt_for


def _enter(board, b, participant_contract, funder, bond=0):
    """A contract participant commits through its own `commit`."""
    commitment = board.fn.commitmentOf(
        b.id, participant_contract.address, HP, salt_for(participant_contract.address)
    )
    board.send(participant_contract.functions.commit(b.id, commitment.call()), funder, value=bond)


def _reveal(board, participant_contract, b, funder, at=None):
    call = participant_contract.functions.reveal(b.id, HP, salt_for(participant_contract.address))
    board.send(call, funder, at=at)


def test_reentrant_withdraw_gets_its_credit_exactly_once(board, test_artifacts):
    attacker = board.deploy(test_artifacts["ReentrantAttacker"], board.address)
    funder = board.people[0]
    # fill the board with other people's money so a drain would have something to take
    rich = board.create(reward=5 * ETH)
    b = board.create(reward=ETH)
    _enter(board, b, attacker, funder)
    _reveal(board, attacker, b, funder, at=b.sub)
    board.reveal_test_data(b, at=b.rev)
    board.post_scores(b, {attacker.address: 999_000})
    board.finalize(b)
    assert board.pending(attacker.address) == ETH

    board_before = board.balance()
    board.send(attacker.functions.withdraw(), funder)
    assert board.balance(attacker.address) == ETH
    assert board.balance() == board_before - ETH
    assert attacker.functions.reentryAttempts().call() == 1
    assert not attacker.functions.reentrySucceeded().call()
    reentry = board.selectors  # decode what the nested withdraw reverted with
    from tests.chain.conftest import decode_revert

    err = decode_revert(attacker.functions.reentryError().call(), reentry)
    assert err.name == "NothingToWithdraw" and err.args["account"] == attacker.address
    assert board.pending(attacker.address) == 0
    assert board.bounty(rich)["reward"] == 5 * ETH and board.balance() >= 5 * ETH


def test_reverting_winner_blocks_no_one_else(board, test_artifacts):
    refuser = board.deploy(test_artifacts["RevertingReceiver"], board.address)
    funder, other = board.people[:2]
    bond = 10**15
    b = board.create(reward=2 * ETH, bond=bond)
    _enter(board, b, refuser, funder, bond=bond)
    board.commit(b, other)  # never reveals: its bond goes to the owner
    _reveal(board, refuser, b, funder, at=b.sub)
    board.reveal_test_data(b, at=b.rev)
    board.post_scores(b, {refuser.address: 900_000})
    board.finalize(b, sender=other)  # finalize credits, it sends nothing, so it cannot be blocked
    assert board.pending(refuser.address) == 2 * ETH + bond

    err = board.expect("WithdrawFailed", refuser.functions.withdraw(), funder)
    assert err.args == {"account": refuser.address, "amount": 2 * ETH + bond}
    assert board.pending(refuser.address) == 2 * ETH + bond  # kept, not lost
    board.send(refuser.functions.setBurnGas(True), funder)
    board.expect("WithdrawFailed", refuser.functions.withdraw(), funder)

    # everyone else is paid as usual
    assert board.pending(b.owner) == bond
    owner_before = board.balance(b.owner)
    receipt = board.send(board.fn.withdraw(), b.owner)
    assert board.balance(b.owner) == owner_before + bond - receipt["gasUsed"] * receipt["effectiveGasPrice"]
    later = board.create(reward=ETH)
    board.commit(later, other)
    assert board.bounty(later)["commitCount"] == 1


def test_reverting_revealer_in_a_stall_split_does_not_block_the_others(board, test_artifacts):
    refuser = board.deploy(test_artifacts["RevertingReceiver"], board.address)
    funder, other = board.people[:2]
    b = board.create(reward=3 * ETH)
    _enter(board, b, refuser, funder)
    board.commit(b, other)
    _reveal(board, refuser, b, funder, at=b.sub)
    board.reveal(b, other)
    receipt = board.finalize(b, at=b.ev)  # the owner never revealed the test data: stall
    (event,) = board.contract.events.Finalized().process_receipt(receipt)
    assert event["args"]["outcome"] == STALL_SPLIT
    board.send(refuser.functions.claimShare(b.id), funder)
    board.send(board.fn.claimShare(b.id), other)
    board.expect("WithdrawFailed", refuser.functions.withdraw(), funder)
    board.send(board.fn.withdraw(), other)
    assert board.pending(other) == 0
    assert board.pending(refuser.address) == 3 * ETH // 2 + 3 * ETH % 2
