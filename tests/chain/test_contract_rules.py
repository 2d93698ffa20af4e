"""The rules a participant or owner can break: bindings, salts, ranges, test data, scoring, roles."""

from __future__ import annotations

from dataclasses import fields

import pytest
from eth_utils import keccak

from chain.compile import load_artifact
from protocol import RANGES, Hyperparameters
from tests.chain.conftest import HP, salt_for


def _solidity_name(field: str) -> str:
    """``lstm_units`` -> ``lstmUnits``: the Solidity struct's name for a Python field."""
    first, *rest = field.split("_")
    return first + "".join(part.title() for part in rest)


# (field index in the Hyperparameters tuple, solidity name, lowest allowed, highest allowed), read from
# protocol.RANGES, the one Python source of the ranges: the tests below fail if the contract disagrees.
RANGE_CASES = [
    (index, _solidity_name(field.name), *RANGES[field.name][:2])
    for index, field in enumerate(fields(Hyperparameters))
]


def _with(index, value):
    hp = list(HP)
    hp[index] = value
    return tuple(hp)


def test_commitment_binds_participant_chain_and_contract(board):
    b = board.create()
    a, c = board.people[:2]
    salt = salt_for(a)
    expected = keccak(
        board.w3.codec.encode(
            [
                "uint256",
                "address",
                "uint256",
                "address",
                "(uint8,uint16,uint8,uint8,uint8,uint16,uint32)",
                "bytes32",
            ],
            [board.w3.eth.chain_id, board.address, b.id, a, HP, salt],
        )
    )
    assert board.fn.commitmentOf(b.id, a, HP, salt).call() == expected
    assert board.fn.commitmentOf(b.id, c, HP, salt).call() != expected


def test_copied_commitment_cannot_be_revealed_by_the_copier(board):
    b = board.create()
    honest, copier = board.people[:2]
    commitment = board.commitment(b, honest)
    board.send(board.fn.commit(b.id, commitment), honest)
    board.send(board.fn.commit(b.id, commitment), copier)  # the copy is accepted as an opaque hash...
    # ...but it opens only for the honest participant
    err = board.expect("CommitmentMismatch", board.fn.reveal(b.id, HP, salt_for(honest)), copier, at=b.sub)
    assert err.args["participant"] == copier
    board.reveal(b, honest)


def test_copied_reveal_from_another_address_fails(board):
    b = board.create()
    honest, copier = board.people[:2]
    board.commit(b, honest)
    board.reveal(b, honest, at=b.sub)
    # the copier saw the reveal in the mempool / logs, but never committed
    board.expect("NoCommitment", board.fn.reveal(b.id, HP, salt_for(honest)), copier)


def test_wrong_salt_or_other_hyperparameters_do_not_open_a_commitment(board):
    b = board.create()
    p = board.people[0]
    board.commit(b, p)
    board.expect("CommitmentMismatch", board.fn.reveal(b.id, HP, b"\x01" * 32), p, at=b.sub)
    board.expect("CommitmentMismatch", board.fn.reveal(b.id, _with(1, 65), salt_for(p)), p)
    board.reveal(b, p)
    board.expect("AlreadyRevealed", board.fn.reveal(b.id, HP, salt_for(p)), p)


def test_every_range_names_a_field_of_the_contract_struct():
    """protocol.RANGES covers exactly the struct's fields, in the ABI's order and spelling."""
    reveal = next(e for e in load_artifact()["abi"] if e.get("name") == "reveal")
    components = [c["name"] for c in reveal["inputs"][1]["components"]]
    assert [name for _, name, _, _ in RANGE_CASES] == components
    assert set(RANGES) == {field.name for field in fields(Hyperparameters)}


@pytest.mark.parametrize(("index", "name", "low", "high"), RANGE_CASES, ids=[r[1] for r in RANGE_CASES])
def test_each_out_of_range_hyperparameter_is_refused_at_reveal(board, index, name, low, high):
    """One past each end of protocol.RANGES is refused, and the error carries the contract's own bounds."""
    b = board.create()
    outside = [high + 1] + ([low - 1] if low > 0 else [])  # a uint cannot go below 0
    cases = [(p, _with(index, v)) for p, v in zip(board.people, outside, strict=False)]
    for p, hp in cases:
        board.commit(b, p, hp=hp)  # commitmentOf hashes any values; the range check is at reveal
    for i, (p, hp) in enumerate(cases):
        err = board.expect(
            "HyperparameterOutOfRange",
            board.fn.reveal(b.id, hp, salt_for(p)),
            p,
            at=b.sub if i == 0 else None,
        )
        assert err.args["name"] == name and err.args["value"] == hp[index]
        assert (err.args["min"], err.args["max"]) == (low, high), "protocol.RANGES and the contract disagree"


@pytest.mark.parametrize(("index", "name", "low", "high"), RANGE_CASES, ids=[r[1] for r in RANGE_CASES])
def test_range_edges_are_accepted(board, index, name, low, high):
    """Both ends of protocol.RANGES are accepted at reveal."""
    del name
    b = board.create()
    edges = [high, low]  # the largest and smallest allowed values
    for p, value in zip(board.people, edges, strict=False):
        board.commit(b, p, hp=_with(index, value))
    for i, (p, value) in enumerate(zip(board.people, edges, strict=False)):
        board.reveal(b, p, hp=_with(index, value), at=b.sub if i == 0 else None)
        assert board.submission(b, p)["hp"][index] == value


def test_test_data_must_match_its_commitment_and_is_revealed_once(board):
    b = board.create()
    call = board.fn.revealTestData(b.id, b.test_digest, b"\x00" * 32)
    board.expect("TestDataMismatch", call, b.owner, at=b.rev)
    board.expect("TestDataMismatch", board.fn.revealTestData(b.id, b"\x01" * 32, b.test_salt), b.owner)
    # the forward-test rules do not apply to a committed bounty: a zero digest just fails to open it
    board.expect("TestDataMismatch", board.fn.revealTestData(b.id, b"\x00" * 32, b.test_salt), b.owner)
    board.expect("NotBountyOwner", board.fn.revealTestData(b.id, b.test_digest, b.test_salt), board.people[0])
    board.reveal_test_data(b)
    board.expect(
        "TestDataAlreadyRevealed", board.fn.revealTestData(b.id, b.test_digest, b.test_salt), b.owner
    )


def test_scores_need_the_test_data_first(board):
    b = board.create()
    p = board.people[0]
    board.commit(b, p)
    board.reveal(b, p, at=b.sub)
    call = board.fn.postScores(b.id, [p], [1], b"\x01" * 32)
    board.expect("TestDataNotRevealed", call, b.owner, at=b.rev)


def test_scores_only_for_revealed_unscored_participants_and_only_by_the_owner(board):
    b = board.create()
    revealed, silent, stranger = board.people[:3]
    board.commit(b, revealed)
    board.commit(b, silent)
    board.reveal(b, revealed, at=b.sub)
    board.reveal_test_data(b, at=b.rev)

    def scores(who, acc):
        return board.fn.postScores(b.id, who, acc, b"\x01" * 32)

    board.expect("NotBountyOwner", scores([revealed], [1]), stranger)
    assert board.expect("NotRevealed", scores([silent], [1]), b.owner).args["participant"] == silent
    board.expect("NotRevealed", scores([stranger], [1]), b.owner)
    err = board.expect("AccuracyOutOfRange", scores([revealed], [1_000_001]), b.owner)
    assert err.args["accuracyPpm"] == 1_000_001
    board.expect("LengthMismatch", scores([revealed], [1, 2]), b.owner)
    # a batch with the same participant twice fails as a whole: nothing is half-written
    board.expect("AlreadyScored", scores([revealed, revealed], [1, 2]), b.owner)
    assert not board.submission(b, revealed)["scored"]
    board.post_scores(b, {revealed: 1_000_000})
    board.expect("AlreadyScored", scores([revealed], [5]), b.owner)
    assert board.submission(b, revealed)["accuracyPpm"] == 1_000_000


def test_report_digest_is_logged_with_every_batch(board):
    b = board.create()
    p = board.people[0]
    board.commit(b, p)
    board.reveal(b, p, at=b.sub)
    board.reveal_test_data(b, at=b.rev)
    receipt = board.post_scores(b, {p: 5}, report=b"\x42" * 32)
    (event,) = board.contract.events.ScoresPosted().process_receipt(receipt)
    assert event["args"]["reportDigest"] == b"\x42" * 32 and event["args"]["bountyId"] == b.id


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("reward", {"value": 0}),
        ("minAccuracyPpm", {"min_accuracy": 0}),
        ("minAccuracyPpm", {"min_accuracy": 1_000_001}),
        ("sequenceLength", {"sequence_length": 0}),
        ("futurePeriod", {"future_period": 1025}),
        ("commitBond", {"bond": 2**80}),
    ],
)
def test_create_refuses_bad_parameters(board, field, kwargs):
    now = board.now() + 1
    args = {
        "manifest": b"\x01" * 32, "test_commitment": b"\x02" * 32, "min_accuracy": 500_000,
        "sequence_length": 60, "future_period": 3, "bond": 0, "value": 1,
    }  # fmt: skip
    args.update(kwargs)
    call = board.fn.createBounty(
        args["manifest"], args["test_commitment"], args["min_accuracy"], args["sequence_length"],
        args["future_period"], now + 300, now + 600, now + 900, args["bond"],
    )  # fmt: skip
    err = board.expect("InvalidBountyParameter", call, board.owner, value=args["value"], at=now)
    assert err.args["name"] == field


def test_create_refuses_deadlines_out_of_order(board):
    now = board.now() + 1

    def create(sub, rev, ev):
        return board.fn.createBounty(b"\x01" * 32, b"\x02" * 32, 1, 1, 1, sub, rev, ev, 0)

    err = board.expect("DeadlineTooEarly", create(now, now + 20, now + 30), board.owner, value=1, at=now)
    assert err.args["name"] == "submissionDeadline"
    assert (
        board.expect("DeadlineTooEarly", create(now + 50, now + 50, now + 90), board.owner, value=1).args[
            "name"
        ]
        == "revealDeadline"
    )
    assert (
        board.expect("DeadlineTooEarly", create(now + 50, now + 60, now + 60), board.owner, value=1).args[
            "name"
        ]
        == "evaluationDeadline"
    )


def test_empty_commitment_is_refused(board):
    b = board.create()
    board.expect("EmptyCommitment", board.fn.commit(b.id, b"\x00" * 32), board.people[0])


# ---------------------------------------------------------------- forward-test bounties


def test_zero_commitment_creates_a_forward_test_bounty(board):
    committed, forward = board.create(), board.create(forward=True)
    assert board.bounty(committed)["forwardTest"] is False
    view = board.bounty(forward)
    assert view["forwardTest"] is True and not view["testDataRevealed"]
    assert view["testDataCommitment"] == view["testDataDigest"] == b"\x00" * 32
    (event,) = board.contract.events.BountyCreated().get_logs(
        from_block=0, argument_filters={"bountyId": forward.id}
    )
    assert event["args"]["owner"] == forward.owner


def test_forward_test_data_is_any_non_zero_digest_with_salt_zero(board):
    b = board.create(forward=True)
    zero, digest = b"\x00" * 32, keccak(text="test file built after the reveal deadline")
    err = board.expect("EmptyTestDataDigest", board.fn.revealTestData(b.id, zero, zero), b.owner, at=b.rev)
    assert err.args == {"bountyId": b.id}
    err = board.expect("ForwardTestSaltNotZero", board.fn.revealTestData(b.id, digest, b"\x01" * 32), b.owner)
    assert err.args == {"bountyId": b.id, "salt": b"\x01" * 32}
    board.expect("NotBountyOwner", board.fn.revealTestData(b.id, digest, zero), board.people[0])
    receipt = board.send(board.fn.revealTestData(b.id, digest, zero), b.owner)
    (event,) = board.contract.events.TestDataRevealed().process_receipt(receipt)
    assert event["args"]["testDataDigest"] == digest and event["args"]["salt"] == zero
    view = board.bounty(b)
    assert view["testDataRevealed"] and view["testDataDigest"] == digest and view["forwardTest"] is True
    board.expect("TestDataAlreadyRevealed", board.fn.revealTestData(b.id, digest, zero), b.owner)


def test_forward_test_bounty_pays_its_winner(board):
    b = board.create(forward=True, min_accuracy=600_000)
    p, q = board.people[:2]
    board.commit(b, p)
    board.commit(b, q)
    board.reveal(b, p, at=b.sub)
    board.reveal(b, q)
    board.expect("TestDataNotRevealed", board.fn.postScores(b.id, [p], [1], b"\x01" * 32), b.owner, at=b.rev)
    board.send(board.fn.revealTestData(b.id, keccak(text="built"), b"\x00" * 32), b.owner)
    board.post_scores(b, {p: 700_000, q: 650_000})
    board.finalize(b)
    assert board.pending(p) == b.reward
