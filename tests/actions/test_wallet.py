"""The wallet through the actions layer: own keystore accounts, a board deployed, joined or named by
HYPERBOUNTY_BOARD, dev funding only where the node funds, and no node accounts off dev chains."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account as EthAccount

from actions import wallet
from actions.errors import ActionError
from actions.session import Account, Backend, get_backend
from chain import connect
from chain.anvil import anvil_binary, free_port
from chain.arbitrator import deploy_arbitrator
from chain.deployments import DeploymentRegistry, deploy_board
from chain.errors import AccountError, ContractNotDeployed, NotABountyBoard
from settings import Settings, get_settings
from tests.tooling import require

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = EthAccount.from_key(KEY).address
PASSWORD = "a long enough password"
FAST_KDF = 2**4  # scrypt's work factor for tests (the product's default takes about a second)


def _backend(settings: Settings | None = None) -> Backend:
    backend = get_backend(settings)
    backend.kdf_iterations = FAST_KDF
    return backend


def test_create_import_list_and_unlock_keystore_accounts(tmp_path: Path) -> None:
    b = _backend()
    created = wallet.create_account(b, PASSWORD, label="Alice")
    assert wallet.import_account(b, private_key=KEY, password=PASSWORD, label="Bob") == ADDRESS
    exported = json.dumps(EthAccount.encrypt(EthAccount.create().key, PASSWORD, kdf="pbkdf2", iterations=16))
    with pytest.raises(AccountError, match=r"^Wrong password for that keystore file; nothing was imported"):
        wallet.import_account(b, keyfile=exported.encode(), password="not the password")
    from_file = wallet.import_account(b, keyfile=exported, password=PASSWORD, label="Carol")
    assert sorted(wallet.keystore_accounts(b), key=lambda a: a.label) == [
        Account("Alice", created),
        Account("Bob", ADDRESS),
        Account("Carol", from_file),
    ]
    assert wallet.unlock(b, created, PASSWORD).address == created
    with pytest.raises(AccountError, match="Wrong password"):
        wallet.unlock(b, ADDRESS, "not the password")
    with pytest.raises(ActionError, match="either a private key or a keystore file"):
        wallet.import_account(b, password=PASSWORD)
    assert all(a.address not in {created, ADDRESS} for a in b.accounts())  # the node's accounts stay apart


def test_dev_funding_then_deploy_from_a_keystore_account_and_board_info(isolated_data_dir: Path) -> None:
    b = _backend()
    address = wallet.create_account(b, PASSWORD, label="Deployer")
    plan = wallet.fund_plan(b, "owner", address, 10**18)
    preview = plan.preview()
    assert (
        preview.to == address
        and preview.value == 10**18
        and preview.max_fee == preview.gas * preview.max_fee_per_gas
    )
    assert plan.execute().ok and b.balance(address) == 10**18
    with pytest.raises(ActionError, match="is not a dev account of this node"):
        wallet.fund_plan(b, "Nobody", address, 1)

    first = b.client.address  # the dev chain's first start deployed one from the Owner
    signer = wallet.unlock(b, address, PASSWORD)
    deploy = wallet.deploy_plan(b, signer)
    preview = deploy.preview()
    details = dict(deploy.details)
    assert (
        preview.sender == address
        and preview.gas > 0
        and preview.max_fee == preview.gas * preview.max_fee_per_gas
    )
    assert {"Base fee per gas (latest block)", "Max fee per gas", "Total at most (gas × max fee)"} <= set(
        details
    )
    outcome = deploy.execute()
    assert outcome.ok, outcome.error
    new = str(outcome.extra["board"])
    assert new != first and b.client.address == new  # used at once, without a restart
    info = wallet.board_info(b)
    assert (info.address, info.deployer, info.is_this_release) == (new, address, True)
    assert info.block == outcome.block and info.genesis_hash == b.chain.genesis_hash
    assert info.sentence.startswith("This is this release's BountyBoard")

    assert wallet.join_board(b, first).address == first and b.client.address == first  # back to the first
    arbitrator = deploy_arbitrator(
        b.chain, b.dev_senders()[0], 10**15, DeploymentRegistry(isolated_data_dir / "x")
    )
    with pytest.raises(NotABountyBoard, match="is not this release's BountyBoard"):
        wallet.join_board(b, arbitrator.address)
    assert b.client.address == first  # a refused join changes nothing


def test_a_backend_with_settings_board_joins_it_and_refuses_what_is_not_a_board(tmp_path: Path) -> None:
    settings = get_settings()
    b = _backend(settings)
    owner = b.dev_senders()[0]
    other = deploy_board(b.chain, owner, DeploymentRegistry(tmp_path / "elsewhere.json"))
    arbitrator = deploy_arbitrator(b.chain, owner, 10**15, DeploymentRegistry(tmp_path / "elsewhere.json"))
    chain_id, genesis = b.chain.chain_id, b.chain.genesis_hash
    b.close()  # the embedded chain has one writer: reopen it with the board named

    named = _backend(replace(settings, board=other.address))
    assert named.client.address == other.address and named.client.from_block == other.block
    assert named.registry().get(chain_id, genesis_hash=genesis) == other  # checked and remembered
    with pytest.raises(ActionError, match=f"HYPERBOUNTY_BOARD names {other.address}"):
        wallet.deploy_plan(named, owner)
    named.close()

    wrong = _backend(replace(settings, board=arbitrator.address))
    with pytest.raises(NotABountyBoard, match=f"^The contract at {arbitrator.address} is not this release's"):
        _ = wrong.client
    assert wallet.board_info(wrong).address == "" and not wallet.board_info(wrong).is_this_release


@pytest.mark.anvil
def test_on_a_node_reached_by_url_only_keystore_accounts_sign(tmp_path: Path) -> None:
    node_settings = Settings(data_dir=tmp_path / "node", chain="anvil", anvil_port=free_port())
    require(anvil_binary(node_settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64)")
    with connect(node_settings) as node:
        b = _backend(Settings(data_dir=tmp_path / "participant", chain=node.endpoint))
        assert not b.chain.is_dev and b.accounts() == [] and b.dev_senders() == []
        with pytest.raises(ContractNotDeployed, match="not deployed on chain 31337 yet"):
            _ = b.client  # no board is ever deployed behind the user's back off dev chains
        address = wallet.create_account(b, PASSWORD, label="Me")
        with pytest.raises(ActionError, match="unlock its keystore"):
            b.sender(address)
        assert [f.label for f in wallet.funders(b)][:1] == ["Dev account 0"]  # an anvil by URL funds
        assert wallet.fund_plan(b, "Dev account 2", address, 10**18).execute().ok
        outcome = wallet.deploy_plan(b, wallet.unlock(b, address, PASSWORD)).execute()
        assert outcome.ok, outcome.error
        assert b.client.address == outcome.extra["board"] and wallet.board_info(b).deployer == address
        b.close()


def test_pages_name_a_keystore_account_by_the_name_given_to_it() -> None:
    from formatting import named, short_address

    b = _backend()
    alice = wallet.create_account(b, PASSWORD, label="Alice")
    owner = b.dev_senders()[0].address
    stranger = EthAccount.create().address
    assert b.label_of(alice) == "Alice" and b.label_of(alice.lower()) == "Alice"
    assert b.label_of(owner) == "Owner"
    assert b.label_of(stranger) == stranger and named(stranger, b.label_of) == short_address(stranger)
    assert named(alice, b.label_of) == "Alice"
