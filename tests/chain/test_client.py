"""The typed BountyBoard client against the real contract on the embedded chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain import connect
from chain.accounts import Keystore
from chain.anvil import anvil_binary, free_port
from chain.client import MAX_BOUNTY_DURATION, MIN_WINDOW_SECONDS, Outcome, Phase
from chain.errors import ChainError, ContractRevert, InsufficientFunds, SecretsError
from chain.providers import DevChain
from chain.secrets import test_data_commitment
from protocol import Hyperparameters
from settings import Settings
from tests.chain.fixtures_chain import BOND, REWARD, Board, deployed, digest, go_to, index_of, new_bounty
from tests.tooling import require

HP_A = Hyperparameters(lstm_layers=1, lstm_units=32, learning_rate_micro=500)
HP_B = Hyperparameters(lstm_layers=3, lstm_units=128, dense_layers=2, activation=1)


@pytest.fixture(params=["embedded", "anvil"])
def board(request, isolated_data_dir) -> Iterator[Board]:
    """The same tests against the in-process chain and a real anvil node."""
    settings = Settings(data_dir=isolated_data_dir, chain=request.param, anvil_port=free_port())
    if request.param == "anvil":
        require(anvil_binary(settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64)")
    conn = connect(settings)
    assert isinstance(conn, DevChain)
    yield deployed(conn)
    conn.close()


def test_create_bounty_reads_back_every_field(board: Board) -> None:
    before = board.client.now()
    bounty_id = new_bounty(board)
    bounty = board.client.bounty(bounty_id)
    assert bounty.id == bounty_id == 1 and board.client.bounty_count() == 1
    assert bounty.owner == board.owner.address
    assert bounty.reward == REWARD and bounty.commit_bond == BOND
    assert bounty.manifest_digest == digest("manifest")
    stored = board.client.secrets.test_data(
        board.client.chain_id, board.client.address, bounty.test_data_commitment
    )
    assert stored.bounty_id == bounty_id and stored.test_data_cid == "QmTestSplit"
    assert bounty.test_data_commitment == test_data_commitment(digest("test split"), stored.salt)
    # deadlines come from the chain's clock, not the wall clock
    assert before < bounty.submission_deadline <= board.client.now() + 600
    assert bounty.reveal_deadline == bounty.submission_deadline + 600
    assert bounty.phase is Phase.SUBMISSION and bounty.outcome is Outcome.NONE
    assert board.client.phase(bounty_id) is Phase.SUBMISSION
    assert [b.id for b in board.client.bounties()] == [bounty_id]


def test_local_commitment_equals_the_contracts(board: Board) -> None:
    bounty_id = new_bounty(board)
    salt = bytes(range(32))
    for person in board.people[:2]:
        local = board.client.commitment(bounty_id, person.address, HP_B, salt)
        assert (
            local
            == board.client.contract.functions.commitmentOf(
                bounty_id, person.address, HP_B.as_tuple(), salt
            ).call()
        )  # the contract's own commitmentOf
    # bound to the participant: another address gives another commitment
    a, b = board.people[0].address, board.people[1].address
    assert board.client.commitment(bounty_id, a, HP_B, salt) != board.client.commitment(
        bounty_id, b, HP_B, salt
    )


def test_full_flow_winner_paid(board: Board, tmp_path) -> None:
    client, p1, p2, p3 = board.client, *board.people[:3]
    index = index_of(board, tmp_path)
    bounty_id = new_bounty(board)
    secret, receipt = client.commit(p1, bounty_id, HP_A)
    assert receipt.status == 1 and receipt.gas_used > 0 and receipt.block > 0
    assert receipt.event("Committed").args["commitment"] == secret.commitment
    client.commit(p2, bounty_id, HP_B)
    client.commit(p3, bounty_id, HP_B)
    assert client.bounty(bounty_id).commit_count == 3

    go_to(board, bounty_id, "submission")
    client.reveal(p1, bounty_id)  # hyperparameters and salt from the secret store
    client.reveal(p2, bounty_id)
    with pytest.raises(ContractRevert, match="when the reveal window closes") as info:
        client.reveal_test_data(board.owner, bounty_id)  # participants may still choose to reveal
    assert info.value.error_name == "TestDataRevealNotOpen"

    go_to(board, bounty_id, "reveal")
    assert client.phase(bounty_id) is Phase.EVALUATION
    client.reveal_test_data(board.owner, bounty_id)
    assert client.bounty(bounty_id).test_data_digest == digest("test split")
    client.post_scores(board.owner, bounty_id, {p1.address: 810_000, p2.address: 800_000}, digest("report"))
    assert tuple(client.contract.functions.leaderOf(bounty_id).call()) == (p1.address, 810_000)
    # the leaderboard: the index's scored rows, best first, ties to the earlier first commit
    bar = client.bounty(bounty_id).min_accuracy_ppm
    scored = [r for r in index.submissions(bounty_id) if r.scored and r.accuracy_ppm is not None]
    board_rows = sorted(scored, key=lambda r: (-(r.accuracy_ppm or 0), r.commit_order))
    assert [
        (n, r.participant, r.accuracy_ppm, r.accuracy_ppm >= bar) for n, r in enumerate(board_rows, 1)
    ] == [
        (1, p1.address, 810_000, True),
        (2, p2.address, 800_000, True),
    ]
    assert board_rows[0].hyperparameters == HP_A

    rows = index.submissions(bounty_id)
    assert [r.participant for r in rows] == [p1.address, p2.address, p3.address]
    assert [r.commit_order for r in rows] == [1, 2, 3]
    assert rows[1].hyperparameters == HP_B and rows[1].accuracy_ppm == 800_000
    assert not rows[2].revealed and rows[2].accuracy_ppm is None
    # the log-built rows agree with the contract's own view
    for row in rows:
        view = client.submission_view(bounty_id, row.participant)
        assert (view["revealed"], view["scored"], view["accuracy_ppm"]) == (
            row.revealed,
            row.scored,
            row.accuracy_ppm,
        )

    receipt = client.finalize(p3, bounty_id)  # anyone may finalize
    assert receipt.event("Finalized").args["recipient"] == p1.address
    bounty = client.bounty(bounty_id)
    assert bounty.phase is Phase.FINALIZED and bounty.outcome is Outcome.WINNER_PAID
    # the winner's credit: reward + its bond back; the unrevealed bond went to the owner
    assert client.pending_withdrawal(p1.address) == REWARD + BOND
    assert client.pending_withdrawal(board.owner.address) == BOND
    balance = client.balance(p1.address)
    receipt = client.withdraw(p1)
    assert client.balance(p1.address) == balance + REWARD + BOND - receipt.fee
    assert client.pending_withdrawal(p1.address) == 0

    names = [e.name for e in index.events(bounty_id)]
    assert names == [
        "BountyCreated", "Committed", "Committed", "Committed", "Revealed", "Revealed",
        "TestDataRevealed", "ScoresPosted", "Finalized",
    ]  # fmt: skip
    stamps = [e.timestamp for e in index.events(bounty_id)]
    assert stamps == sorted(stamps) and all(stamps)


def test_replacement_commit_reveals_the_one_on_chain(board: Board, tmp_path) -> None:
    client, p1 = board.client, board.people[0]
    bounty_id = new_bounty(board)
    client.commit(p1, bounty_id, HP_A)
    _, receipt = client.commit(p1, bounty_id, HP_B)  # a replacement carries no bond
    assert receipt.event("Committed").args["commitOrder"] == 1
    assert len(client.secrets.submissions(client.chain_id, client.address, bounty_id, p1.address)) == 2
    rows = index_of(board, tmp_path).submissions(bounty_id)
    assert len(rows) == 1 and rows[0].commit_count == 2
    go_to(board, bounty_id, "submission")
    client.reveal(p1, bounty_id)
    assert client.submission_view(bounty_id, p1.address)["hyperparameters"] == HP_B


def test_refusals_become_sentences_and_send_nothing(board: Board) -> None:
    client, p1 = board.client, board.people[0]
    bounty_id = new_bounty(board)
    block = board.conn.latest_block()
    with pytest.raises(
        ContractRevert, match=r"^Reveals for bounty #1 open at (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC"
    ) as info:
        client.reveal(p1, bounty_id, HP_A, b"\1" * 32)
    assert info.value.error_name == "RevealWindowNotOpen"
    assert board.conn.latest_block() == block  # estimated, refused, never sent
    go_to(board, bounty_id, "submission")
    with pytest.raises(ContractRevert) as info:
        client.commit(p1, bounty_id, HP_A)
    message = str(info.value)
    assert message.startswith("The submission window closed at ")
    assert "this bounty is now in its reveal window" in message
    # a refused commit stores no secret
    assert client.secrets.submissions(client.chain_id, client.address, bounty_id, p1.address) == []
    with pytest.raises(SecretsError, match="No salt"):
        client.reveal(p1, bounty_id)
    with pytest.raises(ContractRevert, match="Only the owner of bounty #1"):
        client.reveal_test_data(p1, bounty_id)
    with pytest.raises(ContractRevert, match="There is no bounty #99"):
        client.bounty(99)
    with pytest.raises(ContractRevert, match="Nothing is credited"):
        client.withdraw(p1)


def test_preview_for_a_wallet_dialog(board: Board) -> None:
    client, p1 = board.client, board.people[0]
    bounty_id = new_bounty(board)
    commitment = client.commitment(bounty_id, p1.address, HP_A, b"\2" * 32)
    preview = client.preview("commit", (bounty_id, commitment), BOND, p1.address)
    assert preview.sender == p1.address and preview.to == client.address
    assert preview.function == "commit" and preview.value == BOND
    assert preview.gas >= client.estimate_gas("commit", (bounty_id, commitment), BOND, p1.address)
    assert preview.max_fee == preview.gas * preview.max_fee_per_gas > 0
    assert preview.total == BOND + preview.max_fee and preview.affordable
    with pytest.raises(ContractRevert, match=r"expects 0\.001 ETH with this commit but 0 ETH was sent"):
        client.preview("commit", (bounty_id, commitment), 0, p1.address)


def test_keystore_account_signs_locally(board: Board, tmp_path) -> None:
    keystore = Keystore(tmp_path / "keys", kdf_iterations=2**4)
    address = keystore.create("correct horse battery", label="Alice")
    signer = keystore.unlock(address, "correct horse battery")
    bounty_id = new_bounty(board)
    with pytest.raises(InsufficientFunds, match="holds only 0 ETH"):
        board.client.commit(signer, bounty_id, HP_A)
    board.owner.send(board.conn, {"to": address, "value": 10**17})
    board.client.commit(signer, bounty_id, HP_A)
    go_to(board, bounty_id, "submission")
    board.client.reveal(signer, bounty_id)
    assert board.client.submission_view(bounty_id, address)["revealed"]
    assert board.client.pending_withdrawal(address) == BOND


def test_deployment_is_remembered_reused_and_never_silently_replaced(isolated_data_dir, tmp_path) -> None:
    from chain.accounts import dev_accounts
    from chain.deployments import DeploymentRegistry, deploy_board, open_board
    from chain.errors import ContractNotDeployed

    with connect() as conn:
        owner = dev_accounts(conn, 1)[0]
        with pytest.raises(ContractNotDeployed, match=r"not deployed on chain .* yet"):
            open_board(conn)
        first = open_board(conn, owner, deploy_if_never_deployed=True)
        block = conn.latest_block()
        again = open_board(conn, owner, deploy_if_never_deployed=True)
        assert again.address == first.address and conn.latest_block() == block  # reused, nothing sent
        remembered = DeploymentRegistry.open().get(conn.chain_id)
        assert remembered is not None and remembered.address == first.address and remembered.block >= 1

    # the chain is reset (its state deleted) but the registry remembers the old address
    for path in (isolated_data_dir / "chain" / "embedded").iterdir():
        path.unlink()
    with connect() as conn:
        with pytest.raises(ContractNotDeployed, match=f"remembered at {first.address} .* has no code"):
            open_board(conn, owner, deploy_if_never_deployed=True)
        assert conn.latest_block() == 0  # nothing was deployed behind the user's back
        replacement = deploy_board(conn, owner)  # the explicit way
        assert open_board(conn).address == replacement.address


def test_owner_stalls_reward_is_split_and_claimed(board: Board, tmp_path) -> None:
    client, p1, p2 = board.client, *board.people[:2]
    bounty_id = new_bounty(board, reward=10**18 + 1)  # an odd reward leaves a remainder of 1 wei
    client.commit(p1, bounty_id, HP_A)
    client.commit(p2, bounty_id, HP_B)
    go_to(board, bounty_id, "submission")
    client.reveal(p2, bounty_id)  # p2 reveals first: it gets the remainder
    client.reveal(p1, bounty_id)
    go_to(board, bounty_id, "evaluation")  # the owner never revealed the test data
    client.finalize(p1, bounty_id)
    assert client.bounty(bounty_id).outcome is Outcome.STALL_SPLIT
    share = (10**18 + 1) // 2
    assert client.claim_share(p1, bounty_id).event("ShareClaimed").args["amount"] == share
    client.claim_share(p2, bounty_id)
    assert client.pending_withdrawal(p1.address) == share + BOND
    assert client.pending_withdrawal(p2.address) == share + 1 + BOND
    assert all(row.share_claimed for row in index_of(board, tmp_path).submissions(bounty_id))
    with pytest.raises(ContractRevert, match="already claimed its share"):
        client.claim_share(p1, bounty_id)


def test_cancel_before_any_commit_refunds_the_owner(board: Board) -> None:
    client = board.client
    bounty_id = new_bounty(board)
    receipt = client.cancel(board.owner, bounty_id)
    assert receipt.event("Cancelled").args["refund"] == REWARD
    assert client.phase(bounty_id) is Phase.CANCELLED
    assert client.pending_withdrawal(board.owner.address) == REWARD
    other = new_bounty(board)
    client.commit(board.people[0], other, HP_A)
    with pytest.raises(ContractRevert, match=r"cannot be cancelled: 1 participant\(s\) already committed"):
        client.cancel(board.owner, other)


def test_a_salt_from_elsewhere_is_named_not_sent(board: Board) -> None:
    import shutil

    from chain.secrets import SubmissionSecret, new_salt

    client, p1 = board.client, board.people[0]
    bounty_id = new_bounty(board)
    client.commit(p1, bounty_id, HP_A)
    for folder in (client.secrets.folder, client.secrets.backup):  # both copies of the salt
        shutil.rmtree(folder / str(client.chain_id) / client.address / "submissions")
    client.secrets.save(
        SubmissionSecret(client.chain_id, client.address, bounty_id, p1.address, HP_A, new_salt())
    )
    go_to(board, bounty_id, "submission")
    block = board.conn.latest_block()
    with pytest.raises(SecretsError, match="do not match the commitment on chain"):
        client.reveal(p1, bounty_id)
    assert board.conn.latest_block() == block


def _create(board: Board, deadlines: tuple[int, int, int], **changes) -> int:
    s, r, e = deadlines
    args = {
        "manifest_digest": digest("manifest"),
        "reward": REWARD,
        "min_accuracy_ppm": 500_000,
        "sequence_length": 60,
        "future_period": 3,
        "submission_deadline": s,
        "reveal_deadline": r,
        "evaluation_deadline": e,
        "commit_bond": BOND,
        **changes,
    }
    bounty_id, _ = board.client.create_bounty(board.owner, **args)
    return bounty_id


def test_forward_test_bounty_commits_to_nothing_and_reveals_the_built_digest(board: Board) -> None:
    client, p1 = board.client, board.people[0]
    secrets_before = sorted(client.secrets.folder.rglob("*.json"))
    bounty_id = _create(board, client.deadlines_from_now(600, 600, 600), test_data_digest=None)
    bounty = client.bounty(bounty_id)
    assert bounty.forward_test and bounty.test_data_commitment == bytes(32) == bounty.test_data_digest
    assert sorted(client.secrets.folder.rglob("*.json")) == secrets_before  # no salt to keep
    committed = new_bounty(board)
    assert client.bounty(committed).forward_test is False
    client.commit(p1, bounty_id, HP_A)
    go_to(board, bounty_id, "submission")
    client.reveal(p1, bounty_id)
    built = digest("test file built by the manifest's rule")
    with pytest.raises(ContractRevert, match="when the reveal window closes"):
        client.reveal_test_data(board.owner, bounty_id, built)
    go_to(board, bounty_id, "reveal")
    with pytest.raises(ChainError, match="is a forward test: build its test file"):
        client.reveal_test_data(board.owner, bounty_id)  # nothing stored to reveal: the caller builds it
    with pytest.raises(ContractRevert, match="revealed with salt 0") as info:
        client.reveal_test_data(board.owner, bounty_id, built, b"\1" * 32)
    assert info.value.error_name == "ForwardTestSaltNotZero"
    with pytest.raises(ContractRevert, match=r"empty \(all-zero\) digest"):
        client.reveal_test_data(board.owner, bounty_id, bytes(32))
    receipt = client.reveal_test_data(board.owner, bounty_id, built)
    assert receipt.event("TestDataRevealed").args == {
        "bountyId": bounty_id,
        "testDataDigest": built,
        "salt": bytes(32),
    }
    bounty = client.bounty(bounty_id)
    assert bounty.test_data_revealed and bounty.test_data_digest == built and bounty.forward_test
    client.post_scores(board.owner, bounty_id, {p1.address: 600_000}, digest("report"))
    client.finalize(p1, bounty_id)
    assert client.bounty(bounty_id).outcome is Outcome.WINNER_PAID


def test_forward_test_takes_no_salt_or_test_file(board: Board) -> None:
    deadlines = board.client.deadlines_from_now(600, 600, 600)
    block = board.conn.latest_block()
    for extra in ({"salt": b"\1" * 32}, {"test_data_cid": "QmTestSplit"}):
        with pytest.raises(ChainError, match="forward-test bounty commits to no test file"):
            _create(board, deadlines, test_data_digest=None, **extra)
    assert board.conn.latest_block() == block


def test_window_bounds_match_the_contract_and_are_checked_before_sending(board: Board) -> None:
    client = board.client
    assert client.contract.functions.MIN_WINDOW_SECONDS().call() == MIN_WINDOW_SECONDS == 300
    assert client.contract.functions.MAX_BOUNTY_DURATION().call() == MAX_BOUNTY_DURATION == 365 * 86400
    with pytest.raises(ChainError, match=r"reveal window would last 299 s.*at least 5 minutes"):
        client.deadlines_from_now(600, 299, 600)
    with pytest.raises(ChainError, match="must end within 365 days"):
        client.deadlines_from_now(600, 600, MAX_BOUNTY_DURATION - 1199)
    s, r, e = client.deadlines_from_now(300, 300, MAX_BOUNTY_DURATION - 600)
    assert (r - s, e - s) == (300, MAX_BOUNTY_DURATION - 300) and s >= client.now() + 300


def test_window_refusals_of_the_contract_are_sentences(board: Board) -> None:
    client = board.client
    start = client.next_block_time()
    block = board.conn.latest_block()
    with pytest.raises(
        ContractRevert, match=r"The evaluation window would last only 60 s \(1 minute\)"
    ) as info:
        _create(board, (start + 600, start + 1200, start + 1260), test_data_digest=digest("test split"))
    assert info.value.error_name == "WindowTooShort"
    assert "at least 300 s (5 minutes)" in str(info.value)
    late = start + 10 * MAX_BOUNTY_DURATION
    with pytest.raises(ContractRevert, match="too far ahead: a bounty must end by") as info:
        _create(board, (start + 600, start + 1200, late), test_data_digest=digest("test split"))
    assert info.value.error_name == "DeadlineTooLate" and info.value.error_args["deadline"] == late
    # an error whose first argument is a string keeps its arguments through the embedded chain's estimate
    with pytest.raises(ContractRevert, match="minAccuracyPpm = 0 is out of range"):
        _create(board, (start + 600, start + 1200, start + 1800), min_accuracy_ppm=0)
    assert board.conn.latest_block() == block  # refused at the estimate, nothing sent or stored


def test_deadlines_count_from_the_next_block_on_an_idle_chain(board: Board, tmp_path) -> None:
    """An idle dev chain's next block comes later than its latest one: a 5-minute window still fits."""
    board.conn.set_next_timestamp(board.client.now() + 3600)  # the next block is an hour away
    s, _, _ = board.client.deadlines_from_now(300, 300, 300)
    assert s == board.client.now() + 3600 + 300
    bounty_id = _create(board, board.client.deadlines_from_now(300, 300, 300), test_data_digest=None)
    bounty = board.client.bounty(bounty_id)
    created = index_of(board, tmp_path).events(bounty_id)[0].timestamp
    assert bounty.submission_deadline - created == 300
