"""A whole bounty between three parties, each a separate OS process on its own data folder.

The world: one anvil node and one js-ipfs daemon on loopback, started here. The parties: an owner
and two participants, each with its own data folder, its own keystore account funded once from a
dev account of the node, and only the per-role commands (``python -m cli ...``). The owner
publishes to the daemon's RPC API; the participants have no IPFS node and read through the
daemon's HTTP gateway, every byte checked against its CID. Chain time is the world's clock: this
test moves it (``evm_increaseTime`` + ``evm_mine``), no party does. Balances are checked to the
wei against the receipts each command printed with ``--json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.anvil import AnvilProcess, anvil_binary, free_port
from settings import Settings
from storage.jsipfs import JsIpfsDaemon, jsipfs_available
from tests.tooling import require

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.ipfsd]

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
FUNDING = 50 * 10**18
REWARD = 10**18
BOND = 10**16
# two small, different submissions: the tiny protocol trains each in seconds
SUBMISSIONS = {
    "p1": ("--lstm-units", "8", "--dense-layers", "0", "--learning-rate-micro", "5000"),
    "p2": ("--lstm-units", "16", "--dense-layers", "1", "--dropout-permille", "100"),
}


@dataclass
class World:
    """The node and the daemon every party shares, and the folder the parties live in."""

    url: str
    w3: Web3
    ipfs_api: str
    gateway: str
    folder: Path

    def advance(self, seconds: int) -> None:
        """Move chain time forward and mine a block there (the world's clock, not a party's)."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])

    def balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(Web3.to_checksum_address(address)))


@dataclass
class Party:
    """One person: a data folder, an environment, and the commands they run."""

    name: str
    data_dir: Path
    env: dict[str, str]
    address: str = ""
    spent: list[dict[str, Any]] = field(default_factory=list)  # every mined transaction it sent

    def run(
        self, *args: str, stdin: int | None = subprocess.DEVNULL, **env: str
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            cwd=REPO_ROOT,
            env={**self.env, **env},
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def json(self, *args: str) -> dict[str, Any]:
        """Run with ``--json``; exit 0 and JSON alone on stdout; its transactions are recorded."""
        result = self.run(*args, "--json")
        assert result.returncode == 0, (
            f"{self.name}: {' '.join(args)}\n{result.stdout}\n{result.stderr[-3000:]}"
        )
        data = json.loads(result.stdout)  # nothing but JSON there
        for tx in _transactions(data):
            assert tx["sender"].lower() == self.address.lower(), tx
            self.spent.append(tx)
        return data

    def refused(self, *args: str, **env: str) -> str:
        """Run, expecting a refusal: non-zero, one sentence on stderr, no traceback, nothing on stdout."""
        result = self.run(*args, **env)
        assert result.returncode != 0, f"{self.name}: {' '.join(args)} was not refused\n{result.stdout}"
        sentence = result.stderr.strip()
        assert sentence and "Traceback" not in result.stderr, result.stderr
        assert len(sentence.splitlines()) == 1, sentence
        return sentence

    def expected_balance(self, funded: int, received: int = 0) -> int:
        """What the account must hold: funded, minus every fee and value it sent, plus what it withdrew."""
        return funded + received - sum(tx["fee_wei"] + tx["value_wei"] for tx in self.spent)


def _transactions(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(data.get("transactions") or [])
    if data.get("transaction"):
        found.append(data["transaction"])
    return found


def _base_env() -> dict[str, str]:
    """This process's environment without any HyperBounty setting (each party sets its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERBOUNTY_")}
    return {**env, "COLUMNS": "120"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings()
    binary = anvil_binary(settings)
    require(binary is not None, "anvil (npm @foundry-rs/anvil-linux-amd64 in tools/node)")
    require(jsipfs_available(), "the js-ipfs daemon (npm `ipfs` in tools/node)")
    assert binary is not None
    folder = tmp_path_factory.mktemp("roles")
    node = AnvilProcess(binary, folder / "anvil", free_port(), accounts=3)
    node.start()
    try:
        with JsIpfsDaemon(folder / "ipfs" / "repo") as daemon:
            w3 = Web3(Web3.HTTPProvider(node.url))
            yield World(node.url, w3, daemon.api_multiaddr, daemon.gateway_url, folder)
    finally:
        node.stop()


def _party(world: World, name: str, *, owner: bool = False) -> Party:
    data_dir = world.folder / name
    data_dir.mkdir()
    password_file = world.folder / f"{name}.password"
    password_file.write_text(PASSWORD + "\n")
    env = {
        **_base_env(),
        "HYPERBOUNTY_DATA_DIR": str(data_dir),
        "HYPERBOUNTY_CHAIN": world.url,
        "HYPERBOUNTY_PASSWORD_FILE": str(password_file),
    }
    if owner:
        env["HYPERBOUNTY_IPFS_API"] = world.ipfs_api  # publishes to the daemon
    else:
        env["HYPERBOUNTY_IPFS_GATEWAY"] = world.gateway  # reads through its HTTP gateway, no node
    return Party(name, data_dir, env)


def _new_funded_account(world: World, party: Party) -> None:
    party.address = party.json("account", "new", "--label", party.name)["address"]
    funded = party.run("account", "fund", "--amount", str(FUNDING // 10**18), "--yes", "--json")
    assert funded.returncode == 0, funded.stderr
    assert json.loads(funded.stdout)["balance_wei"] == FUNDING == world.balance(party.address)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_bounty_between_three_parties_through_the_per_role_commands(world: World) -> None:
    owner = _party(world, "owner", owner=True)
    p1, p2 = _party(world, "p1"), _party(world, "p2")
    for party in (owner, p1, p2):
        _new_funded_account(world, party)

    board = owner.json("board", "deploy", "--yes")["board"]["address"]
    for participant in (p1, p2):
        assert participant.json("board", "join", board)["board"]["address"].lower() == board.lower()

    dataset = owner.json("dataset", "build", "--protocol", "tiny")["dataset"]
    published = owner.json("dataset", "publish", dataset)
    assert {f["name"] for f in published["files"]} >= {"manifest", "train", "validation"}
    created = owner.json("bounty", "create", "--dataset", dataset, "--reward", "1", "--bond", "0.01", "--yes")
    bounty = str(created["bounty"])

    for participant in (p1, p2):
        fetched = participant.json("submit", "fetch", bounty)
        assert set(fetched["cids"]) == {"manifest", "train", "validation"}
        participant.json("submit", "commit", bounty, *SUBMISSIONS[participant.name], "--yes")

    # A refused transaction leaves nothing half-written: no salt for a commit nobody may send now.
    world.advance(601)  # past the submission deadline
    secrets_before = _files(p1.data_dir / "secrets")
    p1.refused("submit", "commit", bounty, "--lstm-units", "4", "--yes")
    assert _files(p1.data_dir / "secrets") == secrets_before
    # no terminal and no --yes: refused in words, nothing sent
    assert "--yes" in p1.refused("submit", "reveal", bounty)

    for participant in (p1, p2):
        participant.json("submit", "reveal", bounty, "--yes")
    world.advance(601)  # past the reveal deadline

    evaluated = owner.json("evaluate", "run", bounty, "--workers", "0", "--yes")
    assert len(evaluated["leaderboard"]) == 2
    assert all(row["score_ppm"] is not None for row in evaluated["leaderboard"])
    posted = owner.json("evaluate", "post", bounty, "--yes")
    assert posted["report"] == evaluated["report"]

    finalized = p2.json("finalize", bounty, "--yes")
    winner = next(p for p in (p1, p2) if p.address.lower() == finalized["leader"].lower())
    loser = p2 if winner is p1 else p1
    best = max(row["score_ppm"] for row in evaluated["leaderboard"])
    assert {r["participant"].lower(): r["score_ppm"] for r in evaluated["leaderboard"]}[
        winner.address.lower()
    ] == best

    withdrawn = winner.json("withdraw", "--yes")
    assert withdrawn["withdrawn_wei"] == REWARD + BOND  # the reward, and the bond credited back at reveal

    # to the wei: funded, minus every fee and value sent, plus what was withdrawn
    assert (
        world.balance(winner.address)
        == withdrawn["balance_wei"]
        == winner.expected_balance(FUNDING, REWARD + BOND)
    )
    assert world.balance(loser.address) == loser.expected_balance(FUNDING)
    assert world.balance(owner.address) == owner.expected_balance(FUNDING)
    assert sum(tx["value_wei"] for tx in owner.spent) == REWARD
    listed = {a["address"]: a for a in loser.json("account", "list")["accounts"]}
    assert listed[loser.address]["balance_wei"] == world.balance(loser.address)


def test_joining_an_address_that_holds_another_contract_is_refused(world: World) -> None:
    stranger = _party(world, "stranger")
    dev = world.w3.eth.accounts[0]
    # init code PUSH1 1 PUSH1 0 RETURN: a contract whose runtime code is one STOP byte
    tx = world.w3.eth.send_transaction({"from": dev, "data": "0x60016000f3"})
    other = world.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    before = _files(stranger.data_dir)
    sentence = stranger.refused("board", "join", other)
    assert other.lower() in sentence.lower() and "BountyBoard" in sentence, sentence
    assert _files(stranger.data_dir) == before  # nothing remembered


def test_a_node_on_another_chain_than_expected_is_refused(world: World) -> None:
    wrong = _party(world, "wrong-chain")
    before = _files(wrong.data_dir)
    sentence = wrong.refused("bounty", "list", HYPERBOUNTY_CHAIN_ID="1")
    assert "not chain 1" in sentence, sentence
    assert _files(wrong.data_dir) == before
