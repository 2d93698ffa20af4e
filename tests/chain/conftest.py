"""Fixtures for the BountyBoard contract suite, run against the embedded chain AND a real anvil.

Like web3.py's provider-agnostic module tests: one chain per kind per session, the contract deployed
once, and a snapshot taken before each test and reverted after it, so tests are independent and fast.

Transactions are sent with explicit gas, so each is mined at exactly the chain time a test asks for
(``at=``), without a gas estimate that would run at another time. A reverted transaction is mined
with status 0; its custom error is recovered by replaying the call at that block (same state, same
timestamp) and decoded here by selector from the ABI, independent of ``chain/errors.py``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from web3 import Web3

from chain import connect
from chain.anvil import anvil_binary, free_port
from chain.compile import REPO_ROOT, compile_contract, compiler_available, load_artifact
from chain.providers import DevChain
from settings import Settings
from tests.tooling import require

GAS = 3_000_000
ETH = 10**18
HP = (2, 64, 1, 0, 0, 200, 1000)  # a valid Hyperparameters tuple
TEST_CONTRACTS = REPO_ROOT / "contracts" / "test"

# Phase and Outcome enums, in the contract's order.
SUBMISSION, REVEAL, EVALUATION, FINALIZABLE, FINALIZED, CANCELLED = range(6)
NO_OUTCOME, WINNER_PAID, BELOW_BAR, NO_REVEALS, STALL_SPLIT = range(5)


# ---------------------------------------------------------------- revert decoding


def _canonical_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return item["type"]


def error_selectors(abi: list[dict[str, Any]]) -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector -> (error name, argument names, argument types), plus the two built-in errors."""
    table: dict[bytes, tuple[str, list[str], list[str]]] = {
        keccak(text="Error(string)")[:4]: ("Error", ["message"], ["string"]),
        keccak(text="Panic(uint256)")[:4]: ("Panic", ["code"], ["uint256"]),
    }
    for item in abi:
        if item.get("type") == "error":
            types = [_canonical_type(i) for i in item["inputs"]]
            signature = f"{item['name']}({','.join(types)})"
            table[keccak(text=signature)[:4]] = (item["name"], [i["name"] for i in item["inputs"]], types)
    return table


@dataclass
class Reverted:
    """A decoded revert: the custom error's name and its arguments by name."""

    name: str
    args: dict[str, Any]


def decode_revert(data: bytes, selectors: dict[bytes, tuple[str, list[str], list[str]]]) -> Reverted:
    if len(data) < 4:
        return Reverted("<empty revert>", {})
    if data[:4] not in selectors:
        return Reverted(f"<unknown selector 0x{data[:4].hex()}>", {})
    name, names, types = selectors[data[:4]]
    values = [
        Web3.to_checksum_address(v) if t == "address" else v
        for v, t in zip(Web3().codec.decode(types, data[4:]), types, strict=True)
    ]
    return Reverted(name, dict(zip(names, values, strict=True)))


def _revert_bytes(exc: BaseException) -> bytes:
    """Revert data from whatever web3 raised for a failed eth_call (custom error or plain revert)."""
    for candidate in (getattr(exc, "data", None), *getattr(exc, "args", ())):
        if isinstance(candidate, dict):
            candidate = candidate.get("data")
        if isinstance(candidate, bytes | bytearray):
            return bytes(candidate)
        if isinstance(candidate, str):
            text = candidate.removeprefix("execution reverted").lstrip(": ")
            if text.startswith("0x"):
                return bytes.fromhex(text[2:])
            if text.startswith(("b'", 'b"')):  # eth-tester puts the bytes' repr in the message
                return ast.literal_eval(text)
    raise AssertionError(f"no revert data in {exc!r}")


# ---------------------------------------------------------------- the board under test


class Board:
    """The deployed BountyBoard on one chain, with helpers that say what a test means."""

    def __init__(self, chain: DevChain, address: str, abi: list[dict[str, Any]]) -> None:
        self.chain = chain
        self.w3 = chain.w3
        self.contract = self.w3.eth.contract(address=address, abi=abi)
        self.address = address
        self.selectors = error_selectors(abi)
        self.accounts = chain.accounts()
        self.owner = self.accounts[0]
        self.people = self.accounts[1:]

    @property
    def fn(self) -> Any:
        return self.contract.functions

    # -- time -------------------------------------------------------------------------------
    def now(self) -> int:
        return self.chain.latest_timestamp()

    def _at(self, at: int | None) -> None:
        if at is not None:
            self.chain.set_next_timestamp(at)

    # -- transactions -----------------------------------------------------------------------
    def send(self, call: Any, sender: str, value: int = 0, at: int | None = None) -> dict[str, Any]:
        """Send and expect success; on a revert, fail with the decoded custom error."""
        receipt = self._mine(call, sender, value, at)
        if receipt["status"] != 1:
            reverted = self._replay(call, sender, value, receipt["blockNumber"])
            raise AssertionError(f"transaction reverted with {reverted.name}{reverted.args}")
        return receipt

    def reverts(self, call: Any, sender: str, value: int = 0, at: int | None = None) -> Reverted:
        """Send and expect a revert (mined with status 0); return the decoded error."""
        receipt = self._mine(call, sender, value, at)
        assert receipt["status"] == 0, "expected the transaction to revert, but it succeeded"
        return self._replay(call, sender, value, receipt["blockNumber"])

    def expect(self, name: str, call: Any, sender: str, value: int = 0, at: int | None = None) -> Reverted:
        reverted = self.reverts(call, sender, value, at)
        assert reverted.name == name, f"expected {name}, got {reverted.name}{reverted.args}"
        return reverted

    def _mine(self, call: Any, sender: str, value: int, at: int | None) -> dict[str, Any]:
        self._at(at)
        tx = call.build_transaction(
            {"from": sender, "value": value, "gas": GAS, "nonce": self._nonce(sender)}
        )
        tx_hash = self.w3.eth.send_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if at is not None:
            mined_at = self.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
            assert mined_at == at, f"mined at {mined_at}, wanted {at}"
        return receipt

    def _nonce(self, sender: str) -> int:
        return self.w3.eth.get_transaction_count(sender, "latest")

    def _replay(self, call: Any, sender: str, value: int, block: int) -> Reverted:
        tx = {
            "from": sender,
            "to": call.address,
            "value": value,
            "gas": GAS,
            "data": call._encode_transaction_data(),
        }
        try:
            self.w3.eth.call(tx, block)
        except Exception as exc:  # web3 raises a different class per provider and error kind
            return decode_revert(_revert_bytes(exc), self.selectors)
        raise AssertionError("the transaction reverted but its replay at the same block did not")

    # -- protocol helpers -------------------------------------------------------------------
    def create(
        self,
        reward: int = ETH,
        bond: int = 0,
        min_accuracy: int = 500_000,
        windows: tuple[int, int, int] = (1000, 1000, 1000),
        owner: str | None = None,
        test_salt: bytes = b"\x5a" * 32,
        forward: bool = False,
    ) -> Bounty:
        """A bounty whose windows start a little after now; returns its id and deadlines.

        ``forward``: a forward-test bounty (zero commitment); its test data opens with salt 0.
        """
        owner = owner or self.owner
        start = self.now() + 1  # pinned: after a revert the dev chain's clock may run ahead of its head
        sub = start + windows[0]
        rev = sub + windows[1]
        ev = rev + windows[2]
        test_digest = keccak(text=f"test data {start}")
        if forward:
            test_salt = commitment = bytes(32)
        else:
            commitment = keccak(Web3().codec.encode(["bytes32", "bytes32"], [test_digest, test_salt]))
        call = self.fn.createBounty(
            keccak(text="manifest"), commitment, min_accuracy, 60, 3, sub, rev, ev, bond
        )
        self.send(call, owner, value=reward, at=start)
        bounty_id = self.fn.bountyCount().call()
        return Bounty(bounty_id, owner, reward, bond, sub, rev, ev, test_digest, test_salt, forward)

    def commitment(self, bounty: Bounty, who: str, hp: tuple[int, ...] = HP, salt: bytes = b"") -> bytes:
        return self.fn.commitmentOf(bounty.id, who, hp, salt or salt_for(who)).call()

    def commit(self, bounty: Bounty, who: str, hp=HP, salt: bytes = b"", value: int | None = None, at=None):
        value = bounty.bond if value is None else value
        return self.send(self.fn.commit(bounty.id, self.commitment(bounty, who, hp, salt)), who, value, at)

    def reveal(self, bounty: Bounty, who: str, hp=HP, salt: bytes = b"", at=None):
        return self.send(self.fn.reveal(bounty.id, hp, salt or salt_for(who)), who, at=at)

    def reveal_test_data(self, bounty: Bounty, at=None):
        return self.send(
            self.fn.revealTestData(bounty.id, bounty.test_digest, bounty.test_salt), bounty.owner, at=at
        )

    def post_scores(self, bounty: Bounty, scores: dict[str, int], at=None, report: bytes = b"\x77" * 32):
        call = self.fn.postScores(bounty.id, list(scores), list(scores.values()), report)
        return self.send(call, bounty.owner, at=at)

    def finalize(self, bounty: Bounty, sender: str | None = None, at=None):
        return self.send(self.fn.finalize(bounty.id), sender or self.people[-1], at=at)

    def bounty(self, bounty: Bounty) -> dict[str, Any]:
        view = self.fn.getBounty(bounty.id).call()
        names = [
            o["name"] for o in self.contract.get_function_by_name("getBounty").abi["outputs"][0]["components"]
        ]
        return dict(zip(names, view, strict=True))

    def submission(self, bounty: Bounty, who: str) -> dict[str, Any]:
        view = self.fn.submissionOf(bounty.id, who).call()
        names = [
            o["name"]
            for o in self.contract.get_function_by_name("submissionOf").abi["outputs"][0]["components"]
        ]
        return dict(zip(names, view, strict=True))

    def phase(self, bounty: Bounty) -> int:
        return self.fn.phaseOf(bounty.id).call()

    def pending(self, who: str) -> int:
        return self.fn.pendingWithdrawal(who).call()

    def balance(self, who: str | None = None) -> int:
        return self.w3.eth.get_balance(who or self.address)

    def deploy(self, artifact: dict[str, Any], *args: Any) -> Any:
        """Deploy a helper contract (e.g. a test participant) and return it."""
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = self.send(factory.constructor(*args), self.owner)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


@dataclass(frozen=True)
class Bounty:
    id: int
    owner: str
    reward: int
    bond: int
    sub: int
    rev: int
    ev: int
    test_digest: bytes
    test_salt: bytes
    forward: bool = False


def salt_for(who: str) -> bytes:
    """A distinct, reproducible salt per participant."""
    return keccak(text=f"salt of {who.lower()}")


# ---------------------------------------------------------------- fixtures

CHAIN_KINDS = ["embedded", "anvil"]


def _open_chain(kind: str, folder: Path) -> DevChain:
    settings = Settings(data_dir=folder, chain=kind, participants=9, anvil_port=free_port())
    if kind == "anvil":
        require(anvil_binary(settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64 in tools/node)")
    connection = connect(settings)
    assert isinstance(connection, DevChain)
    return connection


@pytest.fixture(scope="session", params=CHAIN_KINDS)
def dev_chain(request, tmp_path_factory):
    """One chain of each kind for the whole session (each test reverts what it did)."""
    connection = _open_chain(request.param, tmp_path_factory.mktemp(f"chain-{request.param}"))
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def _deployed(dev_chain) -> str:
    artifact = load_artifact()
    w3 = dev_chain.w3
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor().build_transaction({"from": dev_chain.accounts()[0], "gas": 8_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
    assert receipt["status"] == 1
    return receipt["contractAddress"]


@pytest.fixture
def board(dev_chain, _deployed) -> Board:
    """The deployed board; everything a test does is reverted afterwards."""
    snapshot = dev_chain.snapshot()
    yield Board(dev_chain, _deployed, load_artifact()["abi"])
    dev_chain.revert(snapshot)


@pytest.fixture(scope="session")
def test_artifacts(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """The helper contracts in contracts/test, compiled once (needs solc: native or the shim)."""
    require(compiler_available(), "solc 0.8.37 (native, or npm solc through tools/solc/solc)")
    settings = Settings(data_dir=tmp_path_factory.mktemp("compile"))
    return {
        path.stem: compile_contract(path, settings=settings) for path in sorted(TEST_CONTRACTS.glob("*.sol"))
    }
