"""The event index agrees with the contract's own views, on both chains, and follows a chain that went back.

The truth it is checked against is independent of logs: ``submissionOf`` per participant (through
``BountyBoardClient.submission_view``), what the test itself sent (commitments), and the events of
the receipts it got back. :func:`chain.index.fold_submissions`, the pure part, is tested on
hand-made events, without a chain.
"""

from __future__ import annotations

from typing import Any

import pytest

from chain.accounts import NodeAccount, dev_accounts
from chain.client import BountyBoardClient, Event, TxReceipt
from chain.index import BoardIndex, fold_submissions
from chain.secrets import SecretStore
from protocol import Hyperparameters
from tests.chain.fixtures_chain import Board, create_bounty, digest, go_to

HP_A = Hyperparameters(
    lstm_layers=1, lstm_units=8, dense_layers=0, dropout_permille=0, learning_rate_micro=5000
)
HP_B = Hyperparameters(
    lstm_layers=1, lstm_units=16, dense_layers=1, dropout_permille=100, learning_rate_micro=2000
)


def _comparable(rows) -> list[tuple[Any, ...]]:
    return [
        (
            s.participant,
            s.commit_order,
            s.commitment,
            s.commit_count,
            s.revealed,
            s.hyperparameters,
            s.scored,
            s.accuracy_ppm,
            s.share_claimed,
        )
        for s in rows
    ]


class Story:
    """One bounty driven through the typed client, remembering what was sent and what came back."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.client = board.client
        self.bounty_id, receipt = create_bounty(board)
        self.receipts: list[TxReceipt] = [receipt]
        self.commitments: dict[str, list[bytes]] = {}

    def commit_two(self) -> None:
        for person, hp in zip(self.board.people[:2], (HP_A, HP_B), strict=True):
            secret, receipt = self.client.commit(person, self.bounty_id, hp)
            self.commitments.setdefault(person.address, []).append(secret.commitment)
            self.receipts.append(receipt)

    def reveal_two(self) -> None:
        go_to(self.board, self.bounty_id, "submission")
        for person in self.board.people[:2]:
            self.receipts.append(self.client.reveal(person, self.bounty_id))

    def post_scores(self) -> None:
        go_to(self.board, self.bounty_id, "reveal")
        self.receipts.append(self.client.reveal_test_data(self.board.owner, self.bounty_id))
        scores = {who: 400_000 + n for n, who in enumerate(self.commitments)}
        self.receipts.append(
            self.client.post_scores(self.board.owner, self.bounty_id, scores, digest("report"))
        )

    def truth(self) -> list[tuple[Any, ...]]:
        """The rows as the contract's ``submissionOf`` and the commitments sent tell them, in commit order."""
        rows = []
        for who, sent in self.commitments.items():
            view = self.client.submission_view(self.bounty_id, who)
            rows.append(
                (
                    who,
                    view["commit_order"],
                    sent[-1],
                    len(sent),
                    view["revealed"],
                    view["hyperparameters"],
                    view["scored"],
                    view["accuracy_ppm"],
                    view["share_claimed"],
                )
            )
        return sorted(rows, key=lambda row: row[1])

    def sent_events(self) -> list[tuple[str, int, str]]:
        """This bounty's events as the receipts of the transactions sent carried them."""
        return [
            (e.name, e.block, e.tx_hash)
            for r in self.receipts
            for e in r.events
            if e.args.get("bountyId") == self.bounty_id
        ]


@pytest.fixture
def typed(board, isolated_data_dir) -> Board:
    """The session's deployed board (reverted after the test) behind the typed client and dev senders."""
    accounts: list[NodeAccount] = dev_accounts(board.chain, 5)
    client = BountyBoardClient(board.chain, board.address, secrets=SecretStore.open())
    return Board(board.chain, client, accounts[0], accounts[1:])


def _index(typed: Board, tmp_path) -> BoardIndex:
    return BoardIndex(typed.conn, typed.client, tmp_path / "index" / "board.json")


def test_index_matches_the_contract_through_a_whole_bounty(typed, tmp_path):
    story = Story(typed)
    index = _index(typed, tmp_path)
    assert index.submissions(story.bounty_id) == []
    story.commit_two()
    assert _comparable(index.submissions(story.bounty_id)) == story.truth()
    story.reveal_two()
    rows = index.submissions(story.bounty_id)
    assert all(s.revealed and s.hyperparameters is not None for s in rows)
    assert [s.hyperparameters for s in rows] == [HP_A, HP_B]
    assert _comparable(rows) == story.truth()
    story.post_scores()  # scores come from postScores calldata
    rows = index.submissions(story.bounty_id)
    assert [s.accuracy_ppm for s in rows] == [400_000, 400_001]
    assert _comparable(rows) == story.truth()
    events = index.events(story.bounty_id)
    assert [(e.name, e.block, e.tx_hash) for e in events] == story.sent_events()
    created = typed.conn.w3.eth.get_block(story.receipts[0].block)["timestamp"]
    assert events[0].name == "BountyCreated" and events[0].timestamp == created
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


def test_index_starts_again_after_a_revert(typed, tmp_path):
    story = Story(typed)
    index = _index(typed, tmp_path)
    snapshot = typed.conn.snapshot()
    story.commit_two()
    assert len(index.submissions(story.bounty_id)) == 2
    typed.conn.revert(snapshot)
    typed.conn.mine(3)  # the chain grows past the old height with other blocks
    assert index.submissions(story.bounty_id) == []
    assert [e.name for e in index.events(story.bounty_id)] == ["BountyCreated"]


def test_index_reads_revealed_hyperparameters_from_calldata_not_the_view(typed, tmp_path, monkeypatch):
    """web3 8 decodes the ``hp`` struct as a dict; the index must read it, not ask ``submissionOf``."""
    story = Story(typed)
    story.commit_two()
    story.reveal_two()
    expected = story.truth()
    views = []
    real_view = typed.client.submission_view

    def counting_view(*args, **kwargs):
        views.append(args)
        return real_view(*args, **kwargs)

    monkeypatch.setattr(typed.client, "submission_view", counting_view)
    rows = _index(typed, tmp_path).submissions(story.bounty_id)
    assert all(s.revealed and s.hyperparameters is not None for s in rows)
    assert _comparable(rows) == expected
    assert views == []


def test_a_reveal_without_readable_calldata_is_read_from_the_view(typed, tmp_path, monkeypatch):
    """A transaction sent through another contract (a multisig) carries no board calldata."""
    story = Story(typed)
    story.commit_two()
    story.reveal_two()
    story.post_scores()
    monkeypatch.setattr(typed.client, "decode_call", lambda tx: None)
    rows = _index(typed, tmp_path).submissions(story.bounty_id)
    assert [s.hyperparameters for s in rows] == [HP_A, HP_B]
    assert _comparable(rows) == story.truth()


def test_a_restarted_index_reads_only_new_blocks_and_survives_a_broken_file(typed, tmp_path, monkeypatch):
    story = Story(typed)
    story.commit_two()
    index = _index(typed, tmp_path)
    before = _comparable(index.submissions(story.bounty_id))
    assert index.path.is_file()

    scans = []
    eth = typed.conn.w3.eth
    real_get_logs = eth.get_logs
    monkeypatch.setattr(eth, "get_logs", lambda f: scans.append(dict(f)) or real_get_logs(f))
    restarted = _index(typed, tmp_path)  # what a restarted dashboard builds
    assert _comparable(restarted.submissions(story.bounty_id)) == before
    assert scans == []  # nothing mined since: no log scan at all
    story.reveal_two()
    rows = restarted.submissions(story.bounty_id)
    assert _comparable(rows) == story.truth()
    assert scans and scans[0]["fromBlock"] > int(typed.client.from_block)  # only the new blocks

    index.path.write_text("{ not json")
    scans.clear()
    rebuilt = _index(typed, tmp_path)
    assert _comparable(rebuilt.submissions(story.bounty_id)) == _comparable(rows)
    assert scans[0]["fromBlock"] == int(typed.client.from_block)  # a broken file means a full scan
    assert _index(typed, tmp_path)._next_block == rebuilt._next_block  # ...and a good file again


# ---------------------------------------------------------------- the pure fold, no chain

ALICE = "0x" + "A1" * 20
BOB = "0x" + "B0" * 20
CAROL = "0x" + "C0" * 20


def _event(name: str, tx: str, **args: Any) -> Event:
    return Event(name, {"bountyId": 7, **args}, block=1, tx_hash=tx, log_index=0)


def _hp_struct(hp: Hyperparameters) -> dict[str, int]:
    """The struct as web3 8 decodes it: keyed by the Solidity field names."""
    names = (
        "lstmLayers",
        "lstmUnits",
        "denseLayers",
        "activation",
        "loss",
        "dropoutPermille",
        "learningRateMicro",
    )
    return dict(zip(names, hp.as_tuple(), strict=True))


def test_fold_builds_rows_from_events_and_calldata():
    from eth_utils import to_checksum_address

    alice, bob, carol = (to_checksum_address(a) for a in (ALICE, BOB, CAROL))
    events = [
        _event("Committed", "0x01", participant=alice, commitOrder=1, commitment=b"a1"),
        _event("Committed", "0x02", participant=bob, commitOrder=2, commitment=b"b1"),
        _event("Committed", "0x03", participant=alice, commitOrder=1, commitment=b"a2"),  # a replacement
        _event("Committed", "0x04", participant=carol, commitOrder=3, commitment=b"c1"),
        _event("Revealed", "0x05", participant=bob),
        _event("Revealed", "0x06", participant=alice),
        _event("ScoresPosted", "0x07", count=2),
        _event("ShareClaimed", "0x08", participant=bob, amount=1),
    ]
    calls = {
        "0x05": ("reveal", {"bountyId": 7, "hp": _hp_struct(HP_B), "salt": b"s"}),
        "0x06": ("reveal", {"bountyId": 7, "hp": HP_A.as_tuple(), "salt": b"s"}),  # older web3: a tuple
        "0x07": ("postScores", {"participants": (ALICE.lower(), bob), "accuraciesPpm": (810_000, 0)}),
    }
    rows, unread = fold_submissions(events, calls)
    assert unread == set()
    assert _comparable(rows) == [
        (alice, 1, b"a2", 2, True, HP_A, True, 810_000, False),
        (bob, 2, b"b1", 1, True, HP_B, True, 0, True),
        (carol, 3, b"c1", 1, False, None, False, None, False),
    ]


def test_fold_names_what_only_the_view_can_tell():
    events = [
        _event("Committed", "0x01", participant=ALICE, commitOrder=1, commitment=b"a"),
        _event("Committed", "0x02", participant=BOB, commitOrder=2, commitment=b"b"),
        _event("Revealed", "0x03", participant=ALICE),  # through a multisig: no reveal calldata
    ]
    rows, unread = fold_submissions(events, {"0x03": None})
    assert unread == {ALICE}
    assert rows[0].revealed and rows[0].hyperparameters is None and not rows[1].revealed
    # a score batch that cannot be read: every revealer so far must be read from the view
    events += [
        _event("Revealed", "0x04", participant=BOB),
        _event("ScoresPosted", "0x05", count=2),
    ]
    calls = {"0x03": None, "0x04": ("reveal", {"hp": HP_B.as_tuple()}), "0x05": ("commit", {})}
    rows, unread = fold_submissions(events, calls)
    assert unread == {ALICE, BOB}
    assert rows[1].hyperparameters == HP_B and not rows[1].scored
    assert fold_submissions([], {}) == ([], set())
