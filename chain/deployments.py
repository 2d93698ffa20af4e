"""Where BountyBoard (and a dev chain's arbitrator) lives on each chain: deployed, joined or remembered,
checked against this release's code, never silently redeployed.

``<data>/chain/deployments.json`` maps a chain id to the BountyBoard this data folder uses there (its
address, block, transaction, bytecode hash, deployer) and the genesis block hash of the chain it was
found on; other contracts of that chain (the dev chains' SimpleArbitrator, :mod:`chain.arbitrator`) sit
under the same entry's ``"contracts"``, so forgetting a chain forgets them all. The genesis hash matters
because a reset dev chain keeps its id (31337) but gets a new genesis block: what was remembered belongs
to the chain before, and :func:`find_deployment` says so instead of a bare "no code". Entries written
before the genesis was kept still load; the genesis is added the first time their code is found.

Three ways to a board, each remembered for this chain:

- :func:`open_board` reuses the remembered one (a dev chain's first start deploys one);
- :func:`deploy_board` deploys a new one (any chain, waiting for ``confirmations`` blocks off dev chains;
  :func:`deployment_preview` gives the wallet-style figures first: gas, EIP-1559 fees, total);
- :func:`join_board` takes an address someone shared, after :func:`check_board` found this release's
  runtime code there (compared byte for byte with ``contracts/build/BountyBoard.json``), and finds the
  block it was created in, so the event index need not read from block 0.

If the remembered address has no code (the chain was reset, or the data folder belongs to another
network) it says so and stops: a new deployment would orphan every bounty, so it happens only through an
explicit deploy or join.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from eth_typing import HexStr
from eth_utils import is_address, is_checksum_address, to_checksum_address
from hexbytes import HexBytes
from web3.types import TxParams, Wei

from chain.accounts import Sender, eip1559_fees
from chain.client import BountyBoardClient
from chain.compile import ARTIFACT_PATH, load_artifact
from chain.errors import ChainError, ContractNotDeployed, NotABountyBoard
from chain.providers import ChainConnection
from chain.secrets import SecretStore, atomic_write_json
from settings import REPO_ROOT, Settings, get_settings

BOARD = "BountyBoard"
DEPLOY_GAS_MARGIN = 1.2
CONFIRMATION_POLL_S = 0.25
CONFIRMATION_TIMEOUT_S = 900.0
# creation transactions looked at in the block a joined board was created in (to name its deployer)
MAX_CREATIONS_SCANNED = 64


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    address: str
    block: int
    tx_hash: str
    bytecode_sha256: str
    deployer: str
    # block 0's hash of the chain it lives on; "" in entries written before it was kept
    genesis_hash: str = ""
    # the hash of the block it was created in ("" where unknown): tells a restored chain from a reset one
    block_hash: str = ""


@dataclass(frozen=True)
class BoardCheck:
    """What is at an address: this release's BountyBoard, another contract, or nothing."""

    address: str
    is_board: bool
    sentence: str
    has_code: bool = True


@dataclass(frozen=True)
class DeployPreview:
    """A deployment's wallet-style confirmation: gas and EIP-1559 fees read from the node now (wei)."""

    sender: str
    gas: int
    base_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    balance: int

    @property
    def total(self) -> int:
        """The most the deployment can cost: every unit of gas at the maximum fee."""
        return self.gas * self.max_fee_per_gas

    @property
    def affordable(self) -> bool:
        return self.balance >= self.total


class DeploymentRegistry:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, settings: Settings | None = None) -> DeploymentRegistry:
        return cls((settings or get_settings()).path("chain", "deployments.json"))

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ChainError(
                f"{self.path} cannot be read ({exc}); fix or remove it (removing forgets where BountyBoard "
                "lives)."
            ) from exc
        return data if isinstance(data, dict) else {}

    def get(self, chain_id: int, name: str = BOARD, genesis_hash: str = "") -> Deployment | None:
        """The remembered deployment of ``name`` on this chain (BountyBoard by default), or None.

        With ``genesis_hash``, one remembered on another chain with the same id (a reset dev chain) is
        None too; an entry from before the genesis was kept matches any.
        """
        entry = self._read().get(str(int(chain_id))) or {}
        remembered_genesis = str(entry.get("genesis_hash") or "")
        if genesis_hash and remembered_genesis and remembered_genesis != genesis_hash:
            return None
        if name != BOARD:
            entry = (entry.get("contracts") or {}).get(name) or {}
        known = {f.name for f in fields(Deployment)}
        required = known - {"genesis_hash", "block_hash"}
        if not required <= set(entry):
            return None
        values = {k: v for k, v in entry.items() if k in known}
        values["genesis_hash"] = str(values.get("genesis_hash") or remembered_genesis)
        return Deployment(**values)

    def genesis_of(self, chain_id: int) -> str:
        """The genesis hash of the chain this id's entry was remembered on ("" if none is known)."""
        return str((self._read().get(str(int(chain_id))) or {}).get("genesis_hash") or "")

    def remember(self, deployment: Deployment, name: str = BOARD) -> None:
        """Keep ``deployment`` for its chain; a chain with another genesis (reset) starts a fresh entry."""
        data = self._read()
        key = str(deployment.chain_id)
        entry = data.get(key) or {}
        if deployment.genesis_hash and entry.get("genesis_hash") not in (None, "", deployment.genesis_hash):
            entry = {}  # everything remembered belongs to the chain before the reset
        if name == BOARD:
            entry.update(asdict(deployment))
        else:
            entry.setdefault("contracts", {})[name] = asdict(deployment)
        if deployment.genesis_hash:
            entry["genesis_hash"] = deployment.genesis_hash
        data[key] = entry
        atomic_write_json(self.path, data)


def _artifact(artifact: dict[str, Any] | None) -> dict[str, Any]:
    return artifact if artifact is not None else load_artifact()


def _short(hex_text: str) -> str:
    return hex_text[:10] + "…" if len(hex_text) > 12 else hex_text


def find_deployment(
    connection: ChainConnection, registry: DeploymentRegistry | None = None, name: str = BOARD
) -> Deployment:
    """The remembered deployment of ``name`` on this chain, checked to still have code; else
    ContractNotDeployed (saying whether the chain was reset since)."""
    registry = registry or DeploymentRegistry.open()
    deployment = registry.get(connection.chain_id, name)
    if deployment is None:
        what = "every bounty on this chain then lives in that contract" if name == BOARD else "then reuse it"
        raise ContractNotDeployed(
            f"{name} is not deployed on chain {connection.chain_id} yet (none is remembered in "
            f"{registry.path}). Deploy it once; {what}."
        )
    genesis = connection.genesis_hash
    reset = bool(deployment.genesis_hash) and deployment.genesis_hash != genesis
    if reset and _deployed_in_this_history(connection, deployment):
        # anvil restored from its state file may rebuild block 0 with another hash, but the deployment's
        # own transaction is still here, at its block, creating this address: the same chain, not a reset
        deployment = replace(deployment, genesis_hash=genesis)
        registry.remember(deployment, name)
        reset = False
    has_code = len(connection.w3.eth.get_code(to_checksum_address(deployment.address))) > 0
    lost = "Its bounties are gone from this chain. " if name == BOARD else ""
    start_over = f"Deploy a new {name} explicitly to start over (the old address is then forgotten)."
    if name == BOARD:
        start_over = (
            "Deploy a new BountyBoard or join one by address to start over (the old address is then "
            "forgotten)."
        )
    if reset:
        found = "has no code" if not has_code else "holds a contract deployed after the reset"
        raise ContractNotDeployed(
            f"The {name} remembered at {deployment.address} on chain {connection.chain_id} {found}: the "
            f"chain was reset (its genesis block is now {_short(genesis)}, not "
            f"{_short(deployment.genesis_hash)} as when it was remembered). {lost}{start_over}"
        )
    if not has_code:
        raise ContractNotDeployed(
            f"The {name} remembered at {deployment.address} on chain {connection.chain_id} has no code: the "
            f"chain was reset, or this data folder belongs to another network. {lost}{start_over}"
        )
    if not deployment.genesis_hash:  # an entry from before genesis hashes were kept: adopt this chain's
        deployment = replace(deployment, genesis_hash=genesis)
        registry.remember(deployment, name)
    return deployment


def _deployed_in_this_history(connection: ChainConnection, deployment: Deployment) -> bool:
    """Whether this chain holds the transaction that deployed ``deployment``, in the very block it was
    mined in (same hash), creating its address: then the chain was not reset, whatever block 0's hash
    says. A reset dev chain that replays the same deployment gets the same transaction hash and block
    number, but not the same block hash."""
    if not deployment.tx_hash or not deployment.block_hash:
        return False
    try:
        receipt = connection.w3.eth.get_transaction_receipt(HexBytes(deployment.tx_hash))
    except Exception:  # not found (web3 raises), or a node that keeps no receipts that old
        return False
    created = receipt.get("contractAddress")
    return (
        int(receipt["blockNumber"]) == deployment.block
        and HexBytes(receipt["blockHash"]).to_0x_hex() == deployment.block_hash
        and int(receipt["status"]) == 1
        and bool(created)
        and to_checksum_address(str(created)) == to_checksum_address(deployment.address)
    )


# ------------------------------------------------------------------------ check and join


def check_board(
    connection: ChainConnection, address: str, artifact: dict[str, Any] | None = None
) -> BoardCheck:
    """Whether ``address`` holds this release's BountyBoard: its runtime code compared with the committed
    artifact's ``deployedBytecode``, byte for byte."""
    chain_id = connection.chain_id
    if not is_address(str(address)):
        return BoardCheck(
            str(address),
            False,
            f"{address!r} is not an Ethereum address: a board's address is 0x followed by 40 hex digits.",
            has_code=False,
        )
    digits = str(address)[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(address):
        return BoardCheck(
            str(address),
            False,
            f"{address} has a wrong checksum (its mix of capital letters): it was mistyped; copy the address "
            "again.",
            has_code=False,
        )
    address = to_checksum_address(address)
    code = bytes(connection._call(lambda: connection.w3.eth.get_code(address)))
    if not code:
        return BoardCheck(
            address,
            False,
            f"There is no contract at {address} on chain {chain_id}: check the address and that "
            "HYPERBOUNTY_CHAIN points at the network the board was deployed on.",
            has_code=False,
        )
    expected = bytes(HexBytes(_artifact(artifact)["deployedBytecode"]))
    if code == expected:
        return BoardCheck(
            address,
            True,
            f"This is this release's BountyBoard: the code at {address} on chain {chain_id} is the code "
            f"built from {_artifact_name()}.",
        )
    return BoardCheck(
        address,
        False,
        f"The contract at {address} is not this release's BountyBoard (its code differs from "
        f"{_artifact_name()}: {len(code):,} bytes where the board's are {len(expected):,}); join a board "
        "deployed by this release, or deploy one.",
    )


def _artifact_name() -> str:
    try:
        return str(ARTIFACT_PATH.relative_to(REPO_ROOT))
    except ValueError:
        return str(ARTIFACT_PATH)


def join_board(
    connection: ChainConnection,
    address: str,
    registry: DeploymentRegistry | None = None,
    artifact: dict[str, Any] | None = None,
) -> Deployment:
    """Use the BountyBoard at ``address`` on this chain from now on: checked (:func:`check_board`; no
    contract -> ContractNotDeployed, another contract -> NotABountyBoard, each with its sentence) and
    remembered, with the block it was created in where the node can tell (else 0)."""
    registry = registry or DeploymentRegistry.open()
    artifact = _artifact(artifact)
    check = check_board(connection, address, artifact)
    if not check.is_board:
        raise (NotABountyBoard if check.has_code else ContractNotDeployed)(check.sentence)
    genesis = connection.genesis_hash
    remembered = registry.get(connection.chain_id, BOARD, genesis)
    if remembered is not None and remembered.address == check.address and remembered.genesis_hash:
        return remembered
    block = creation_block(connection, check.address)
    tx_hash, deployer = _creation_tx(connection, check.address, block)
    deployment = Deployment(
        chain_id=connection.chain_id,
        address=check.address,
        block=block,
        tx_hash=tx_hash,
        bytecode_sha256=hashlib.sha256(bytes(HexBytes(artifact["bytecode"]))).hexdigest(),
        deployer=deployer,
        genesis_hash=genesis,
        block_hash=_block_hash(connection, block),
    )
    registry.remember(deployment)
    return deployment


def _block_hash(connection: ChainConnection, block: int) -> str:
    """Block ``block``'s hash, or "" for block 0 (a creation block that could not be found)."""
    if block <= 0:
        return ""
    return HexBytes(connection.w3.eth.get_block(block)["hash"]).to_0x_hex()


def creation_block(connection: ChainConnection, address: str) -> int:
    """The first block whose state has code at ``address`` (a binary search over historical state); 0
    where the node keeps no old state to ask (a pruned node then reads the index from block 0)."""
    w3 = connection.w3
    address = to_checksum_address(address)

    def has_code(block: int) -> bool:
        return len(w3.eth.get_code(address, block_identifier=block)) > 0

    try:
        low, high = 0, int(w3.eth.block_number)
        if has_code(low) or not has_code(high):
            return 0
        while high - low > 1:  # invariant: no code at low, code at high
            middle = (low + high) // 2
            if has_code(middle):
                high = middle
            else:
                low = middle
        return high
    except Exception:  # no historical state on this node
        return 0


def _creation_tx(connection: ChainConnection, address: str, block: int) -> tuple[str, str]:
    """(transaction hash, deployer) of the plain creation transaction of ``address`` in ``block``; ("", "")
    where it is not found (created by another contract, or the node cannot tell)."""
    if block <= 0:
        return "", ""
    w3 = connection.w3
    try:
        transactions = w3.eth.get_block(block, full_transactions=True)["transactions"]
        # a creation has no recipient: None on most nodes, "" on eth-tester
        creations = [tx for tx in transactions if isinstance(tx, Mapping) and not tx.get("to")]
        for tx in creations[:MAX_CREATIONS_SCANNED]:
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            created = receipt.get("contractAddress")
            if created and to_checksum_address(created) == address:
                return HexBytes(tx["hash"]).to_0x_hex(), to_checksum_address(tx["from"])
    except Exception:  # a node that cannot serve old blocks or receipts: the board still works
        return "", ""
    return "", ""


# ------------------------------------------------------------------------ deploy


def deployment_preview(
    connection: ChainConnection, sender: Sender | str, artifact: dict[str, Any] | None = None
) -> DeployPreview:
    """Gas, EIP-1559 fees (read from the node now), the most it can cost and the sender's balance, for
    the confirmation before :func:`deploy_board`; raises if the node would refuse the deployment."""
    address = to_checksum_address(sender if isinstance(sender, str) else sender.address)
    data = _artifact(artifact)["bytecode"]
    with connection.lock:
        gas = _deploy_gas(connection, data, address)
        fees = eip1559_fees(connection)
        balance = int(connection.w3.eth.get_balance(address))
    return DeployPreview(
        sender=address,
        gas=gas,
        base_fee_per_gas=fees.base_fee_per_gas,
        max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
        max_fee_per_gas=fees.max_fee_per_gas,
        balance=balance,
    )


def _deploy_gas(connection: ChainConnection, data: str, sender: str) -> int:
    tx: TxParams = {"data": HexStr(data), "value": Wei(0), "from": to_checksum_address(sender)}
    return int(connection.w3.eth.estimate_gas(tx) * DEPLOY_GAS_MARGIN)


def deploy_board(
    connection: ChainConnection,
    sender: Sender,
    registry: DeploymentRegistry | None = None,
    artifact: dict[str, Any] | None = None,
    confirmations: int = 1,
) -> Deployment:
    """Deploy a new BountyBoard and remember it for this chain (replacing any remembered one).

    Off dev chains it returns once ``confirmations`` blocks hold it (the including block counts as one).
    """
    artifact = _artifact(artifact)
    return deploy_contract(
        connection, sender, artifact["bytecode"], artifact["bytecode"], BOARD, registry, confirmations
    )


def deploy_contract(
    connection: ChainConnection,
    sender: Sender,
    data: str,
    bytecode: str,
    name: str,
    registry: DeploymentRegistry | None = None,
    confirmations: int = 1,
) -> Deployment:
    """Send a creation transaction (``data``: the creation code plus encoded constructor arguments) and
    remember the contract as ``name`` on this chain (replacing any remembered one), after
    ``confirmations`` blocks on a chain that is not a dev chain."""
    registry = registry or DeploymentRegistry.open()
    tx: TxParams = {"data": HexStr(data), "value": Wei(0)}
    with connection.lock:
        tx["gas"] = _deploy_gas(connection, data, sender.address)
        tx_hash = sender.send(connection, tx)
    receipt = connection.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    address = receipt.get("contractAddress")
    if receipt["status"] != 1 or not address:
        raise ChainError(f"Deploying {name} failed in block {receipt['blockNumber']}; see the node's log.")
    address = to_checksum_address(address)
    if not connection.is_dev and confirmations > 1:
        mined_in = int(receipt["blockNumber"])
        wait_for_confirmations(connection, HexBytes(tx_hash), mined_in, confirmations, name)
    deployment = Deployment(
        chain_id=connection.chain_id,
        address=address,
        block=int(receipt["blockNumber"]),
        tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
        bytecode_sha256=hashlib.sha256(bytes(HexBytes(bytecode))).hexdigest(),
        deployer=to_checksum_address(sender.address),
        genesis_hash=connection.genesis_hash,
        block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
    )
    registry.remember(deployment, name)
    return deployment


def wait_for_confirmations(
    connection: ChainConnection, tx_hash: HexBytes, block: int, confirmations: int, name: str = BOARD
) -> None:
    """Return once ``confirmations`` blocks (the including one first) hold the transaction; a sentence if
    it left the chain (a reorganisation) or the blocks did not come within CONFIRMATION_TIMEOUT_S."""
    deadline = time.monotonic() + CONFIRMATION_TIMEOUT_S
    while connection.latest_block() - block + 1 < confirmations:
        if time.monotonic() > deadline:
            seen = connection.latest_block() - block + 1
            raise ChainError(
                f"The {name} deployment {tx_hash.to_0x_hex()} was mined in block {block}, but only {seen} "
                f"of {confirmations} confirmations came within {CONFIRMATION_TIMEOUT_S:.0f} s; once it has "
                "them, join it by address."
            )
        time.sleep(CONFIRMATION_POLL_S)
    try:
        receipt = connection.w3.eth.get_transaction_receipt(tx_hash)
    except Exception:
        receipt = None
    if receipt is None or int(receipt["blockNumber"]) != block:
        raise ChainError(
            f"The {name} deployment {tx_hash.to_0x_hex()} left block {block} while waiting for its "
            "confirmations (the chain reorganised); deploy again."
        )


def open_board(
    connection: ChainConnection,
    sender: Sender | None = None,
    deploy_if_never_deployed: bool = False,
    registry: DeploymentRegistry | None = None,
    artifact: dict[str, Any] | None = None,
    secrets: SecretStore | None = None,
) -> BountyBoardClient:
    """A client for this chain's BountyBoard.

    With ``deploy_if_never_deployed`` (for the dev chains' first start) a chain that has never had
    one gets one from ``sender``; a remembered address without code, or one remembered before the chain
    was reset, is never replaced here.
    """
    registry = registry or DeploymentRegistry.open()
    artifact = _artifact(artifact)
    if registry.get(connection.chain_id) is None and deploy_if_never_deployed:
        if sender is None:
            raise ChainError("Choose the account that deploys BountyBoard.")
        deploy_board(connection, sender, registry, artifact)
    deployment = find_deployment(connection, registry)
    return board_client(connection, deployment, artifact, secrets)


def board_client(
    connection: ChainConnection,
    deployment: Deployment,
    artifact: dict[str, Any] | None = None,
    secrets: SecretStore | None = None,
) -> BountyBoardClient:
    """A client for ``deployment``, reading its events from the block it was created in."""
    return BountyBoardClient(
        connection,
        deployment.address,
        _artifact(artifact)["abi"],
        secrets=secrets,
        from_block=deployment.block,
    )
