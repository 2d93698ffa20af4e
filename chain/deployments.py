"""Where BountyBoard (and a dev chain's arbitrator) lives on each chain: remembered, reused, never
silently redeployed.

``<data>/chain/deployments.json`` maps a chain id to the address (and the block, transaction and
bytecode hash) of the BountyBoard deployed there; other contracts of that chain (the dev chains'
SimpleArbitrator, :mod:`chain.arbitrator`) sit under the same entry's ``"contracts"``, so forgetting a
chain forgets them all. :func:`open_board` reuses it. If the remembered address has no code (the dev
chain was reset, or the data folder belongs to another network) it says so and stops: a new
deployment would orphan every bounty, so it happens only through the explicit :func:`deploy_board`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from eth_typing import HexStr
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.types import TxParams, Wei

from chain.accounts import Sender
from chain.client import BountyBoardClient
from chain.compile import load_artifact
from chain.errors import ChainError, ContractNotDeployed
from chain.providers import ChainConnection
from chain.secrets import SecretStore, atomic_write_json
from settings import Settings, get_settings

BOARD = "BountyBoard"


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    address: str
    block: int
    tx_hash: str
    bytecode_sha256: str
    deployer: str


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

    def get(self, chain_id: int, name: str = BOARD) -> Deployment | None:
        """The remembered deployment of ``name`` on this chain (BountyBoard by default), or None."""
        entry = self._read().get(str(int(chain_id))) or {}
        if name != BOARD:
            entry = (entry.get("contracts") or {}).get(name) or {}
        known = {f.name for f in fields(Deployment)}
        return Deployment(**{k: v for k, v in entry.items() if k in known}) if known <= set(entry) else None

    def remember(self, deployment: Deployment, name: str = BOARD) -> None:
        data = self._read()
        entry = data.setdefault(str(deployment.chain_id), {})
        if name == BOARD:
            entry.update(asdict(deployment))
        else:
            entry.setdefault("contracts", {})[name] = asdict(deployment)
        atomic_write_json(self.path, data)


def _artifact(artifact: dict[str, Any] | None) -> dict[str, Any]:
    return artifact if artifact is not None else load_artifact()


def find_deployment(
    connection: ChainConnection, registry: DeploymentRegistry | None = None, name: str = BOARD
) -> Deployment:
    """The remembered deployment of ``name`` on this chain, checked to still have code; else
    ContractNotDeployed."""
    registry = registry or DeploymentRegistry.open()
    deployment = registry.get(connection.chain_id, name)
    if deployment is None:
        what = "every bounty on this chain then lives in that contract" if name == BOARD else "then reuse it"
        raise ContractNotDeployed(
            f"{name} is not deployed on chain {connection.chain_id} yet (none is remembered in "
            f"{registry.path}). Deploy it once; {what}."
        )
    code = connection.w3.eth.get_code(to_checksum_address(deployment.address))
    if len(code) == 0:
        lost = "Its bounties are gone from this chain. " if name == BOARD else ""
        raise ContractNotDeployed(
            f"The {name} remembered at {deployment.address} on chain {connection.chain_id} has no code: the "
            f"chain was reset, or this data folder belongs to another network. {lost}Deploy a new {name} "
            "explicitly to start over (the old address is then forgotten)."
        )
    return deployment


def deploy_board(
    connection: ChainConnection,
    sender: Sender,
    registry: DeploymentRegistry | None = None,
    artifact: dict[str, Any] | None = None,
) -> Deployment:
    """Deploy a new BountyBoard and remember it for this chain (replacing any remembered one)."""
    artifact = _artifact(artifact)
    return deploy_contract(connection, sender, artifact["bytecode"], artifact["bytecode"], BOARD, registry)


def deploy_contract(
    connection: ChainConnection,
    sender: Sender,
    data: str,
    bytecode: str,
    name: str,
    registry: DeploymentRegistry | None = None,
) -> Deployment:
    """Send a creation transaction (``data``: the creation code plus encoded constructor arguments) and
    remember the contract as ``name`` on this chain (replacing any remembered one)."""
    registry = registry or DeploymentRegistry.open()
    tx: TxParams = {"data": HexStr(data), "value": Wei(0)}
    with connection.lock:
        tx["gas"] = int(connection.w3.eth.estimate_gas({**tx, "from": sender.address}) * 1.2)
        tx_hash = sender.send(connection, tx)
    receipt = connection.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    address = receipt.get("contractAddress")
    if receipt["status"] != 1 or not address:
        raise ChainError(f"Deploying {name} failed in block {receipt['blockNumber']}; see the node's log.")
    deployment = Deployment(
        chain_id=connection.chain_id,
        address=to_checksum_address(address),
        block=int(receipt["blockNumber"]),
        tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
        bytecode_sha256=hashlib.sha256(bytes(HexBytes(bytecode))).hexdigest(),
        deployer=to_checksum_address(sender.address),
    )
    registry.remember(deployment, name)
    return deployment


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
    one gets one from ``sender``; a remembered address without code is never replaced here.
    """
    registry = registry or DeploymentRegistry.open()
    artifact = _artifact(artifact)
    if registry.get(connection.chain_id) is None and deploy_if_never_deployed:
        if sender is None:
            raise ChainError("Choose the account that deploys BountyBoard.")
        deploy_board(connection, sender, registry, artifact)
    deployment = find_deployment(connection, registry)
    return BountyBoardClient(
        connection, deployment.address, artifact["abi"], secrets=secrets, from_block=deployment.block
    )
