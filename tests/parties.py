"""The world several parties share in a test, and the parties: one anvil node and one js-ipfs daemon on
loopback, and per person a data folder, an environment and the per-role commands (``python -m cli``).

Used by the three-party command test (tests/cli/test_roles.py) and the two-dashboard browser test
(tests/e2e/test_two_parties.py), so both build the market the same way. Chain time is the world's
clock: :meth:`World.advance` moves it, no party does. Missing tools go through
``tests.tooling.require``: a skip locally, a failure under ``CI=true``.
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

REPO_ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
FUNDING = 10 * 10**18  # dev accounts hold 100 ETH each


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
        for tx in transactions(data):
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


def transactions(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(data.get("transactions") or [])
    if data.get("transaction"):
        found.append(data["transaction"])
    return found


def base_env() -> dict[str, str]:
    """This process's environment without any HyperBounty setting (each party sets its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERBOUNTY_")}
    return {**env, "COLUMNS": "120"}


@pytest.fixture(scope="module", name="world")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
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


def make_party(world: World, name: str, *, owner: bool = False) -> Party:
    data_dir = world.folder / name
    data_dir.mkdir()
    password_file = world.folder / f"{name}.password"
    password_file.write_text(PASSWORD + "\n")
    env = {
        **base_env(),
        "HYPERBOUNTY_DATA_DIR": str(data_dir),
        "HYPERBOUNTY_CHAIN": world.url,
        "HYPERBOUNTY_PASSWORD_FILE": str(password_file),
    }
    if owner:
        env["HYPERBOUNTY_IPFS_API"] = world.ipfs_api  # publishes to the daemon
    else:
        env["HYPERBOUNTY_IPFS_GATEWAY"] = world.gateway  # reads through its HTTP gateway, no node
    return Party(name, data_dir, env)


def new_funded_account(world: World, party: Party) -> None:
    party.address = party.json("account", "new", "--label", party.name)["address"]
    funded = party.run("account", "fund", "--amount", str(FUNDING // 10**18), "--yes", "--json")
    assert funded.returncode == 0, funded.stderr
    assert json.loads(funded.stdout)["balance_wei"] == FUNDING == world.balance(party.address)
