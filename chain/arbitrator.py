"""The dev chains' arbitrator: a client for SimpleArbitrator, and where each chain's one lives.

BountyBoard accepts any ERC-792 arbitrator (a court, a panel); on dev chains the product deploys
``contracts/SimpleArbitrator.sol`` (its owner rules with ``giveRuling``, which calls the board's
``rule`` at once) so disputes can be tried end to end. :func:`open_arbitrator` remembers it in the
deployment registry beside the board (:mod:`chain.deployments`), so a restarted dashboard finds the
same one instead of deploying another.
"""

from __future__ import annotations

from eth_typing import ABI
from eth_utils import to_checksum_address

from chain.accounts import Sender
from chain.client import ContractClient, TxPreview, TxReceipt
from chain.compile import ARBITRATOR_ARTIFACT_PATH, load_artifact
from chain.deployments import Deployment, DeploymentRegistry, deploy_contract, find_deployment
from chain.errors import ChainError
from chain.providers import ChainConnection

ARBITRATOR_NAME = "SimpleArbitrator"


def arbitrator_abi() -> ABI:
    """SimpleArbitrator's ABI plus BountyBoard's errors: a ruling runs the board's ``rule``, and a refusal
    there (a dispute already closed by the timeout rule) must read as the board's sentence."""
    board_errors = [e for e in load_artifact()["abi"] if e.get("type") == "error"]
    return [*load_artifact(ARBITRATOR_ARTIFACT_PATH)["abi"], *board_errors]


class ArbitratorClient(ContractClient):
    """One deployed SimpleArbitrator: its fee, its owner, and the owner's rulings."""

    name = ARBITRATOR_NAME

    def __init__(self, connection: ChainConnection, address: str, abi: ABI | None = None) -> None:
        super().__init__(connection, address, arbitrator_abi() if abi is None else abi)

    def arbitration_cost(self) -> int:
        """The fee in wei that ``createDispute`` takes (paid by the challenger through the board)."""
        return int(self._view("arbitrationCost", b""))

    def owner(self) -> str:
        """The account that rules on every dispute."""
        return to_checksum_address(self._view("owner"))

    def dispute_count(self) -> int:
        return int(self._view("disputeCount"))

    def give_ruling(self, sender: Sender, dispute_id: int, ruling: int) -> TxReceipt:
        """Rule on a dispute (owner only): 1 the challenger is right, 2 the posted score stands, 0 refuse."""
        return self.transact(sender, "giveRuling", (int(dispute_id), int(ruling)))

    def preview_ruling(self, sender: str, dispute_id: int, ruling: int) -> TxPreview:
        """The wallet-style confirmation of :meth:`give_ruling`; raises if it would be refused."""
        return self.preview("giveRuling", (int(dispute_id), int(ruling)), 0, sender)


def deploy_arbitrator(
    conn: ChainConnection,
    sender: Sender,
    arbitration_cost_wei: int,
    registry: DeploymentRegistry | None = None,
) -> ArbitratorClient:
    """Deploy a SimpleArbitrator owned by ``sender`` with this fee, and remember it for this chain."""
    artifact = load_artifact(ARBITRATOR_ARTIFACT_PATH)
    factory = conn.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    data = factory.constructor(int(arbitration_cost_wei)).data_in_transaction
    deployment = deploy_contract(conn, sender, data, artifact["bytecode"], ARBITRATOR_NAME, registry)
    return ArbitratorClient(conn, deployment.address)


def open_arbitrator(
    conn: ChainConnection,
    sender: Sender | None = None,
    deploy_if_never_deployed: bool = False,
    arbitration_cost_wei: int = 10**15,
    registry: DeploymentRegistry | None = None,
) -> ArbitratorClient:
    """This chain's remembered SimpleArbitrator.

    With ``deploy_if_never_deployed`` (dev chains, on first need) a chain that never had one gets one
    from ``sender`` (its owner, the one who rules) with ``arbitration_cost_wei``; a remembered address
    without code is never replaced here (:func:`deploy_arbitrator` does that explicitly).
    """
    registry = registry or DeploymentRegistry.open()
    if registry.get(conn.chain_id, ARBITRATOR_NAME) is None and deploy_if_never_deployed:
        if sender is None:
            raise ChainError("Choose the account that deploys the arbitrator (it will rule on disputes).")
        return deploy_arbitrator(conn, sender, arbitration_cost_wei, registry)
    deployment: Deployment = find_deployment(conn, registry, ARBITRATOR_NAME)
    return ArbitratorClient(conn, deployment.address)


__all__ = ["ArbitratorClient", "arbitrator_abi", "deploy_arbitrator", "open_arbitrator"]
