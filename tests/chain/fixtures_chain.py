"""Helpers shared by the chain layer's tests: a deployed BountyBoard and a bounty in any window."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from chain.accounts import NodeAccount, dev_accounts
from chain.client import BountyBoardClient, TxReceipt
from chain.deployments import DeploymentRegistry, deploy_board, open_board
from chain.index import BoardIndex
from chain.providers import DevChain
from chain.secrets import SecretStore
from settings import get_settings

WINDOW = 600
REWARD = 10**18
BOND = 10**15


@dataclass
class Board:
    conn: DevChain
    client: BountyBoardClient
    owner: NodeAccount
    people: list[NodeAccount]


def deployed(conn: DevChain) -> Board:
    """A fresh BountyBoard on ``conn`` with the data dir's registry and secret store."""
    accounts = dev_accounts(conn, 5)
    registry = DeploymentRegistry.open()
    deploy_board(conn, accounts[0], registry)
    client = open_board(conn, registry=registry, secrets=SecretStore.open(get_settings()))
    return Board(conn, client, accounts[0], accounts[1:])


def index_of(board: Board, folder: Path) -> BoardIndex:
    """The board's event index, kept in ``folder``: the one reader of submissions and events."""
    return BoardIndex(board.conn, board.client, folder / "index.json")


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def new_bounty(board: Board, bond: int = BOND, reward: int = REWARD) -> int:
    return create_bounty(board, bond, reward)[0]


def create_bounty(board: Board, bond: int = BOND, reward: int = REWARD) -> tuple[int, TxReceipt]:
    """A bounty with three windows of WINDOW seconds from now: its id and the creating receipt."""
    s, r, e = board.client.deadlines_from_now(WINDOW, WINDOW, WINDOW)
    return board.client.create_bounty(
        board.owner,
        manifest_digest=digest("manifest"),
        test_data_digest=digest("test split"),
        reward=reward,
        min_accuracy_ppm=500_000,
        sequence_length=60,
        future_period=3,
        submission_deadline=s,
        reveal_deadline=r,
        evaluation_deadline=e,
        commit_bond=bond,
        test_data_cid="QmTestSplit",
    )


def go_to(board: Board, bounty_id: int, deadline: str) -> None:
    """Move the chain's clock to a bounty's deadline ("submission", "reveal" or "evaluation")."""
    bounty = board.client.bounty(bounty_id)
    board.conn.set_next_timestamp(getattr(bounty, f"{deadline}_deadline"))
    board.conn.mine()
