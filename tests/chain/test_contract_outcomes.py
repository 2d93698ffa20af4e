"""Every outcome of finalize, the tie-break, bonds, the stall split and cancel rules."""

from __future__ import annotations

from tests.chain.conftest import (
    BELOW_BAR,
    CANCELLED,
    ETH,
    FINALIZED,
    HP,
    NO_REVEALS,
    STALL_SPLIT,
    WINNER_PAID,
)


def _full_round(board, b, people, scores=None, reveal=None):
    """Commit everyone, reveal `reveal` (default everyone), reveal test data at the reveal deadline,
    post `scores`."""
    for p in people:
        board.commit(b, p)
    revealers = people if reveal is None else reveal
    for i, p in enumerate(revealers):
        board.reveal(b, p, at=b.sub if i == 0 else None)
    board.reveal_test_data(b, at=b.rev)  # the evaluation window opens at the reveal deadline
    if scores:
        board.post_scores(b, scores)


def _finalized_event(board, receipt):
    (event,) = board.contract.events.Finalized().process_receipt(receipt)
    return event["args"]


def test_winner_is_credited_and_withdraws_the_reward(board):
    b = board.create(reward=3 * ETH)
    a, c = board.people[:2]
    _full_round(board, b, [a, c], scores={a: 600_000, c: 900_000})
    before = board.balance()
    args = _finalized_event(board, board.finalize(b))
    assert (args["outcome"], args["recipient"], args["amount"]) == (WINNER_PAID, c, 3 * ETH)
    view = board.bounty(b)
    assert (view["phase"], view["outcome"], view["leader"], view["bestAccuracyPpm"]) == (
        FINALIZED,
        WINNER_PAID,
        c,
        900_000,
    )
    assert board.pending(c) == 3 * ETH and board.pending(a) == 0
    wallet = board.balance(c)
    receipt = board.send(board.fn.withdraw(), c)
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert board.balance(c) == wallet + 3 * ETH - gas_cost
    assert board.balance() == before - 3 * ETH
    assert board.pending(c) == 0
    board.expect("NothingToWithdraw", board.fn.withdraw(), c)
    board.expect("BountyClosed", board.fn.finalize(b.id), a)


def test_best_score_below_the_bar_refunds_the_owner(board):
    b = board.create(reward=2 * ETH, min_accuracy=950_000)
    a, c = board.people[:2]
    _full_round(board, b, [a, c], scores={a: 949_999, c: 100_000})
    args = _finalized_event(board, board.finalize(b))
    assert (args["outcome"], args["recipient"]) == (BELOW_BAR, b.owner)
    assert board.pending(b.owner) == 2 * ETH and board.pending(a) == 0


def test_score_exactly_at_the_bar_wins(board):
    b = board.create(min_accuracy=700_000)
    a = board.people[0]
    _full_round(board, b, [a], scores={a: 700_000})
    assert _finalized_event(board, board.finalize(b))["outcome"] == WINNER_PAID


def test_no_reveals_refunds_the_owner(board):
    b = board.create(reward=ETH)
    board.commit(b, board.people[0])
    args = _finalized_event(board, board.finalize(b, at=b.rev))
    assert (args["outcome"], args["recipient"], args["amount"]) == (NO_REVEALS, b.owner, ETH)
    assert board.pending(b.owner) == ETH


def test_stall_splits_the_reward_with_the_remainder_to_the_first_revealer(board):
    reward = 10 * ETH + 2  # not divisible by 3: a remainder of 1 wei is left over
    b = board.create(reward=reward)
    first, second, third = board.people[:3]
    _full_round(board, b, [third, second, first], reveal=[second, first, third])
    board.post_scores(b, {first: 990_000})  # the owner scores one and then stalls
    args = _finalized_event(board, board.finalize(b, at=b.ev))
    share, remainder = divmod(reward, 3)
    assert (args["outcome"], args["recipient"], args["amount"]) == (STALL_SPLIT, second, remainder)
    assert board.pending(second) == remainder
    for p in (first, second, third):
        board.send(board.fn.claimShare(b.id), p)
    assert board.pending(first) == share and board.pending(third) == share
    assert board.pending(second) == share + remainder
    assert share * 3 + remainder == reward
    board.expect("ShareAlreadyClaimed", board.fn.claimShare(b.id), first)


def test_claim_share_only_for_revealers_after_a_stall(board):
    b = board.create()
    revealer, silent, stranger = board.people[:3]
    _full_round(board, b, [revealer, silent], reveal=[revealer])
    board.expect("NotAStallSplit", board.fn.claimShare(b.id), revealer)  # not finalized yet
    board.finalize(b, at=b.ev)
    board.expect("NotARevealer", board.fn.claimShare(b.id), silent)
    board.expect("NotARevealer", board.fn.claimShare(b.id), stranger)
    board.send(board.fn.claimShare(b.id), revealer)
    assert board.pending(revealer) == ETH  # the only revealer: the whole reward


def test_claim_share_refused_after_a_winner(board):
    b = board.create()
    a = board.people[0]
    _full_round(board, b, [a], scores={a: 800_000})
    board.finalize(b)
    err = board.expect("NotAStallSplit", board.fn.claimShare(b.id), a)
    assert err.args["outcome"] == WINNER_PAID


def test_tie_goes_to_the_first_commit_even_after_a_replacement(board):
    b = board.create()
    early, late = board.people[:2]
    board.commit(b, early, hp=(1, 8, 0, 0, 0, 0, 10))
    board.commit(b, late)
    board.commit(b, early)  # replaces its commitment, keeps its place
    assert board.submission(b, early)["commitOrder"] == 1
    assert board.submission(b, late)["commitOrder"] == 2
    board.reveal(b, late, at=b.sub)
    board.reveal(b, early)
    board.reveal_test_data(b, at=b.rev)
    board.post_scores(b, {late: 800_000, early: 800_000})  # late is scored first
    assert tuple(board.fn.leaderOf(b.id).call()) == (early, 800_000)
    assert _finalized_event(board, board.finalize(b))["recipient"] == early


def test_tie_across_batches_keeps_the_earlier_committer(board):
    b = board.create()
    early, late = board.people[:2]
    _full_round(board, b, [early, late])
    board.post_scores(b, {early: 700_000})
    board.post_scores(b, {late: 700_000})
    assert tuple(board.fn.leaderOf(b.id).call()) == (early, 700_000)


def test_bonds_first_commit_exact_replacement_free(board):
    bond = 10**16
    b = board.create(bond=bond)
    p = board.people[0]
    call = board.fn.commit(b.id, board.commitment(b, p))
    err = board.expect("WrongBond", call, p, value=bond - 1)
    assert (err.args["expected"], err.args["sent"]) == (bond, bond - 1)
    board.expect("WrongBond", call, p, value=bond + 1)
    board.expect("WrongBond", call, p, value=0)
    board.commit(b, p)  # exactly the bond
    err = board.expect("WrongBond", call, p, value=bond)
    assert err.args["expected"] == 0
    board.commit(b, p, value=0)  # a replacement carries nothing
    assert board.bounty(b)["commitCount"] == 1


def test_bonds_back_at_reveal_and_unrevealed_to_the_owner(board):
    bond = 10**16
    b = board.create(bond=bond, reward=ETH)
    revealer, silent1, silent2 = board.people[:3]
    start = board.balance()
    for p in (revealer, silent1, silent2):
        board.commit(b, p)
    assert board.balance() == start + 3 * bond
    board.reveal(b, revealer, at=b.sub)
    assert board.pending(revealer) == bond
    board.reveal_test_data(b, at=b.rev)
    board.post_scores(b, {revealer: 900_000})
    args = _finalized_event(board, board.finalize(b))
    assert args["unrevealedBonds"] == 2 * bond
    assert board.pending(b.owner) == 2 * bond
    assert board.pending(revealer) == bond + ETH


def test_cancel_rules(board):
    b = board.create(reward=ETH)
    stranger = board.people[0]
    board.expect("NotBountyOwner", board.fn.cancel(b.id), stranger)
    receipt = board.send(board.fn.cancel(b.id), b.owner)
    (event,) = board.contract.events.Cancelled().process_receipt(receipt)
    assert event["args"]["refund"] == ETH
    assert board.pending(b.owner) == ETH
    assert board.phase(b) == CANCELLED
    board.expect("BountyClosed", board.fn.cancel(b.id), b.owner)
    board.expect("BountyClosed", board.fn.commit(b.id, board.commitment(b, stranger)), stranger)
    board.expect("BountyClosed", board.fn.finalize(b.id), stranger)

    committed = board.create()
    board.commit(committed, stranger)
    err = board.expect("CancelNotAllowed", board.fn.cancel(committed.id), committed.owner)
    assert err.args["commitCount"] == 1


def test_views_describe_a_fresh_bounty(board):
    b = board.create(reward=5 * ETH, bond=123, min_accuracy=654_321)
    view = board.bounty(b)
    assert view["owner"] == b.owner and view["reward"] == 5 * ETH and view["commitBond"] == 123
    assert view["minAccuracyPpm"] == 654_321 and view["sequenceLength"] == 60 and view["futurePeriod"] == 3
    assert (view["submissionDeadline"], view["revealDeadline"], view["evaluationDeadline"]) == (
        b.sub,
        b.rev,
        b.ev,
    )
    assert view["testDataDigest"] == b"\x00" * 32 and view["testDataCommitment"] != b"\x00" * 32
    assert board.fn.bountyCount().call() == b.id
    p = board.people[0]
    board.commit(b, p, value=123)
    sub = board.submission(b, p)
    assert sub["commitOrder"] == 1 and not sub["revealed"]
    assert sub["commitmentPrefix"] == board.commitment(b, p)[:22]
    board.reveal(b, p, at=b.sub)
    sub = board.submission(b, p)
    assert sub["revealed"] and tuple(sub["hp"]) == HP and sub["commitmentPrefix"] == b"\x00" * 22
    assert board.bounty(b)["firstRevealer"] == p
    board.expect("UnknownBounty", board.fn.finalize(b.id + 1), p)
