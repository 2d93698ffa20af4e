"""Deploy, join, check: a board is this release's code or refused in words; the registry knows each chain
by its id and genesis block, so a reset dev chain is named as such; confirmations are waited for."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from eth_account import Account

from chain import connect
from chain.accounts import NodeAccount, dev_accounts
from chain.anvil import anvil_binary, free_port
from chain.arbitrator import deploy_arbitrator
from chain.deployments import (
    Deployment,
    DeploymentRegistry,
    check_board,
    deploy_board,
    deployment_preview,
    find_deployment,
    join_board,
    open_board,
)
from chain.errors import ContractNotDeployed, NotABountyBoard
from chain.providers import DevChain, RpcConnection
from settings import Settings
from tests.tooling import require, wait_until


@pytest.fixture
def chain_now(dev_chain: DevChain):
    """The session's chain of each kind (embedded, anvil), put back as it was after the test."""
    snapshot = dev_chain.snapshot()
    yield dev_chain
    dev_chain.revert(snapshot)


def test_join_this_releases_board_remembers_where_and_by_whom_it_was_deployed(
    chain_now: DevChain, tmp_path: Path
) -> None:
    owner = dev_accounts(chain_now, 1)[0]
    chain_now.mine(3)  # the board is not at block 1: the creation block is searched for
    deployed = deploy_board(chain_now, owner, DeploymentRegistry(tmp_path / "owner.json"))
    chain_now.mine(2)

    check = check_board(chain_now, deployed.address.lower())
    assert check.is_board and check.address == deployed.address
    assert check.sentence.startswith("This is this release's BountyBoard")

    registry = DeploymentRegistry(tmp_path / "participant.json")
    joined = join_board(chain_now, deployed.address, registry)
    assert joined == deployed  # block, transaction, deployer, bytecode hash and genesis all found again
    assert joined.genesis_hash == chain_now.genesis_hash and joined.block > 3
    assert registry.get(chain_now.chain_id, genesis_hash=chain_now.genesis_hash) == joined
    client = open_board(chain_now, registry=registry)
    assert client.address == deployed.address and client.from_block == deployed.block


def test_an_address_with_another_contract_or_none_is_refused_in_words(
    chain_now: DevChain, tmp_path: Path
) -> None:
    owner = dev_accounts(chain_now, 1)[0]
    registry = DeploymentRegistry(tmp_path / "deployments.json")
    arbitrator = deploy_arbitrator(chain_now, owner, 10**15, registry)
    with pytest.raises(
        NotABountyBoard, match=rf"^The contract at {arbitrator.address} is not this release's "
    ):
        join_board(chain_now, arbitrator.address, registry)
    check = check_board(chain_now, arbitrator.address)
    assert not check.is_board and check.has_code and "its code differs" in check.sentence

    nobody = Account.create().address
    with pytest.raises(ContractNotDeployed, match=rf"^There is no contract at {nobody} on chain "):
        join_board(chain_now, nobody, registry)
    with pytest.raises(ContractNotDeployed, match="is not an Ethereum address"):
        join_board(chain_now, "0x1234", registry)
    mistyped = "0x" + arbitrator.address[2:].swapcase()
    with pytest.raises(ContractNotDeployed, match="has a wrong checksum"):
        join_board(chain_now, mistyped, registry)
    assert registry.get(chain_now.chain_id) is None  # nothing was remembered as the board


def _deployment(chain_id: int, genesis: str, address: str = "0x" + "ab" * 20) -> Deployment:
    return Deployment(chain_id, address, 7, "0x" + "cd" * 32, "ef" * 32, "0x" + "12" * 20, genesis)


def test_the_registry_knows_a_chain_by_its_id_and_genesis_and_reads_old_files(tmp_path: Path) -> None:
    registry = DeploymentRegistry(tmp_path / "deployments.json")
    board = _deployment(5, "0xaaaa")
    registry.remember(board)
    registry.remember(_deployment(5, "0xaaaa", "0x" + "34" * 20), "SimpleArbitrator")
    assert registry.get(5, genesis_hash="0xaaaa") == board == registry.get(5)
    assert registry.get(5, genesis_hash="0xbbbb") is None  # same id, another chain
    assert registry.get(5, "SimpleArbitrator", "0xbbbb") is None
    assert registry.genesis_of(5) == "0xaaaa" and registry.genesis_of(6) == ""
    # a board remembered for the chain after a reset replaces everything of the chain before
    after_reset = _deployment(5, "0xbbbb")
    registry.remember(after_reset)
    assert registry.get(5, genesis_hash="0xbbbb") == after_reset
    assert registry.get(5, "SimpleArbitrator") is None

    # a file written before the genesis was kept: keyed by chain id only, still loads (for any genesis)
    legacy = {k: v for k, v in board.__dict__.items() if k != "genesis_hash"}
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"5": legacy}))
    loaded = DeploymentRegistry(old).get(5, genesis_hash="0xcccc")
    assert loaded is not None and loaded.address == board.address and loaded.genesis_hash == ""


def test_an_old_entry_is_adopted_and_a_reset_dev_chain_is_named(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    registry = DeploymentRegistry(tmp_path / "deployments.json")
    with connect(settings) as conn:
        owner = dev_accounts(conn, 1)[0]
        deployed = deploy_board(conn, owner, registry)
        genesis = conn.genesis_hash
        assert deployed.genesis_hash == genesis and genesis.startswith("0x") and len(genesis) == 66
        # an entry written before genesis hashes were kept is adopted for this chain once its code is found
        legacy = {k: v for k, v in deployed.__dict__.items() if k != "genesis_hash"}
        old = DeploymentRegistry(tmp_path / "old.json")
        old.path.write_text(json.dumps({str(conn.chain_id): legacy}))
        assert find_deployment(conn, old) == deployed
        assert old.genesis_of(conn.chain_id) == genesis

    shutil.rmtree(settings.data_dir / "chain" / "embedded")  # the dev chain is reset: same id, new genesis
    started = int(time.time())  # a genesis block is dated to the second: a reset within it looks the same
    assert wait_until(lambda: int(time.time()) > started, timeout=5)
    with connect(settings) as conn:
        assert conn.genesis_hash != genesis and conn.chain_id == deployed.chain_id
        with pytest.raises(
            ContractNotDeployed,
            match=rf"remembered at {deployed.address} on chain \d+ has no code: the chain was reset \(its "
            rf"genesis block is now {conn.genesis_hash[:10]}…, not {genesis[:10]}…",
        ):
            open_board(conn, owner, deploy_if_never_deployed=True, registry=registry)
        assert conn.latest_block() == 0  # nothing deployed behind the user's back
        # the same deployer's first deployment lands at the same address: still named as another chain's
        again = deploy_board(conn, owner, DeploymentRegistry(tmp_path / "fresh.json"))
        assert again.address == deployed.address
        with pytest.raises(ContractNotDeployed, match="holds a contract deployed after the reset"):
            find_deployment(conn, registry)
        assert join_board(conn, deployed.address, registry).genesis_hash == conn.genesis_hash
        assert find_deployment(conn, registry).block == again.block


def test_deployment_preview_reads_eip1559_fees_and_bounds_the_cost(
    chain_now: DevChain, tmp_path: Path
) -> None:
    owner = dev_accounts(chain_now, 1)[0]
    preview = deployment_preview(chain_now, owner)
    assert preview.sender == owner.address
    assert preview.gas > 1_000_000 and preview.balance > 0
    assert preview.base_fee_per_gas > 0 and preview.max_priority_fee_per_gas > 0
    assert preview.max_fee_per_gas == 2 * preview.base_fee_per_gas + preview.max_priority_fee_per_gas
    assert preview.total == preview.gas * preview.max_fee_per_gas and preview.affordable
    before = chain_now.w3.eth.get_balance(owner.address)
    deployed = deploy_board(chain_now, owner, DeploymentRegistry(tmp_path / "deployments.json"))
    receipt = chain_now.w3.eth.get_transaction_receipt(deployed.tx_hash)
    assert receipt["gasUsed"] <= preview.gas
    assert before - chain_now.w3.eth.get_balance(owner.address) <= preview.total


@pytest.mark.anvil
def test_a_deployment_off_dev_chains_waits_for_its_confirmations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chain.deployments as deployments

    settings = Settings(data_dir=tmp_path / "node", chain="anvil", anvil_port=free_port())
    require(anvil_binary(settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64)")
    monkeypatch.setattr(deployments, "CONFIRMATION_POLL_S", 0.02)
    with connect(settings) as node:
        assert isinstance(node, DevChain)
        rpc = RpcConnection(node.endpoint)  # the same node reached by URL: not a dev chain to this code
        assert not rpc.is_dev
        owner = NodeAccount(node.accounts()[0], "Owner")
        registry = DeploymentRegistry(tmp_path / "deployments.json")
        results: list[Deployment] = []
        worker = threading.Thread(
            target=lambda: results.append(deploy_board(rpc, owner, registry, confirmations=3))
        )
        start = rpc.latest_block()
        worker.start()
        assert wait_until(lambda: rpc.latest_block() == start + 1, timeout=30)  # mined (anvil mines at once)
        worker.join(timeout=0.5)
        assert worker.is_alive() and registry.get(rpc.chain_id) is None  # one confirmation of three
        node.mine(1)
        worker.join(timeout=0.5)
        assert worker.is_alive()  # two of three
        node.mine(1)
        worker.join(timeout=30)
        assert not worker.is_alive()
        (deployed,) = results
        assert deployed.block == start + 1 and rpc.latest_block() == start + 3
        assert registry.get(rpc.chain_id, genesis_hash=rpc.genesis_hash) == deployed


def test_a_chain_whose_block_zero_changed_but_which_still_holds_the_deployment_is_not_reset(
    tmp_path: Path,
) -> None:
    """anvil restored from its state file can rebuild block 0 with another hash; the deployment's own
    block (same hash) is still there, so the board is the same board, and the new genesis is adopted."""
    registry = DeploymentRegistry(tmp_path / "deployments.json")
    with connect(Settings(data_dir=tmp_path / "data")) as conn:
        deployed = deploy_board(conn, dev_accounts(conn, 1)[0], registry)
        assert deployed.block_hash == conn.w3.eth.get_block(deployed.block)["hash"].to_0x_hex()
        data = json.loads(registry.path.read_text())
        data[str(conn.chain_id)]["genesis_hash"] = "0x" + "ab" * 32  # as if block 0 were rebuilt
        registry.path.write_text(json.dumps(data))
        assert find_deployment(conn, registry).address == deployed.address
        assert registry.genesis_of(conn.chain_id) == conn.genesis_hash
        # without the block's hash (an entry from before it was kept) a changed genesis is still a reset
        data = json.loads(registry.path.read_text())
        data[str(conn.chain_id)].update(genesis_hash="0x" + "ab" * 32, block_hash="")
        registry.path.write_text(json.dumps(data))
        with pytest.raises(ContractNotDeployed, match="the chain was reset"):
            find_deployment(conn, registry)
