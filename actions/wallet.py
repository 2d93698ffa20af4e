"""The wallet: the person's own keys, and which BountyBoard this install uses on this network.

Kept apart from the bounty actions because it concerns the network and the person at the keyboard,
not any one bounty. On a real network the node signs for no one: a person creates or imports an
account into the encrypted keystore of the data folder (:func:`create_account`,
:func:`import_account`), unlocks it for this session only (:func:`unlock`) and funds it from outside;
a dev chain can pay a new account from one of its dev accounts (:func:`fund_plan`, dev only).

The board: :func:`deploy_plan` deploys one from any account, with the wallet-style confirmation
(gas, the EIP-1559 fees read from the node, the most it can cost); :func:`join_board` takes the
address someone shared, after checking that its code is this release's BountyBoard; either takes
effect at once (``Backend.forget_board``) and is remembered for this chain. :func:`board_info` says
which board is in use and whether it is this release's. The dashboard's sidebar and ``python -m cli
account|board`` call these same functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from eth_account import Account as EthAccount
from eth_utils import is_address, to_checksum_address
from hexbytes import HexBytes

from actions.errors import ActionError, plain_error
from actions.session import Account
from actions.tx import TxPlan, balance_reader
from chain.accounts import LocalSigner, NodeAccount, Sender, dev_funders, eip1559_fees, fund_from_dev
from chain.client import TxPreview, TxReceipt
from chain.deployments import Deployment, check_board, deploy_board, deployment_preview
from chain.deployments import join_board as join_board_at
from chain.errors import AccountError, InsufficientFunds
from formatting import eth, eth_exact, short_address

if TYPE_CHECKING:
    from actions.session import Backend

TRANSFER_GAS = 21_000


@dataclass(frozen=True)
class BoardInfo:
    """The board this install uses on this chain; ``address`` is "" where there is none yet."""

    chain_id: int
    genesis_hash: str
    address: str
    deployer: str
    block: int
    tx_hash: str
    is_this_release: bool
    sentence: str


# --------------------------------------------------------------------------- accounts


def create_account(backend: Backend, password: str, label: str = "") -> str:
    """A new random account in the data folder's keystore, encrypted with ``password``; its address."""
    return backend.keystore().create(password, label)


def import_account(
    backend: Backend,
    *,
    private_key: str | None = None,
    keyfile: bytes | str | None = None,
    password: str,
    label: str = "",
) -> str:
    """Add an existing account: a private key (encrypted here with ``password``) or an exported v3
    keystore file (checked to open with ``password`` before it is kept); its address."""
    if (private_key is None) == (keyfile is None):
        raise ActionError("Give either a private key or a keystore file to import, not both or neither.")
    keystore = backend.keystore()
    if private_key is not None:
        return keystore.import_key(private_key.strip(), password, label)
    text = keyfile.decode("utf-8", errors="replace") if isinstance(keyfile, bytes) else str(keyfile)
    _check_keyfile_password(text, password)
    return keystore.import_keyfile(text, label)


def _check_keyfile_password(text: str, password: str) -> None:
    """Refuse a keystore file that ``password`` does not open (a well-formed one; the keystore names
    what is wrong with a malformed one)."""
    try:
        data = json.loads(text)
        EthAccount.decrypt(data, password)
    except ValueError as exc:
        if "mac mismatch" in str(exc).lower():
            raise AccountError(
                "Wrong password for that keystore file; nothing was imported. Give the password it was "
                "exported with."
            ) from None
    except Exception:  # malformed: import_keyfile explains it
        return


def keystore_accounts(backend: Backend) -> list[Account]:
    """The accounts in this data folder's keystore (label and address), damaged files included."""
    keystore = backend.keystore()
    damaged = keystore.damaged()
    return [
        Account("damaged keystore file" if address in damaged else keystore.label(address), address)
        for address in keystore.addresses()
    ]


def unlock(backend: Backend, address: str, password: str) -> LocalSigner:
    """The keystore account ``address`` unlocked for this session (a wrong password is refused)."""
    return backend.keystore().unlock(address, password)


def unlock_keystore(backend: Backend, keyfile: bytes, password: str) -> LocalSigner:
    """Import a v3 keystore file and unlock it; the signer lives only in the caller's session."""
    address = import_account(backend, keyfile=keyfile, password=password)
    return unlock(backend, address, password)


# --------------------------------------------------------------------------- funding (dev only)


def funders(backend: Backend) -> list[NodeAccount]:
    """The dev accounts that may pay a new account on this chain ([] where the node funds none)."""
    return dev_funders(backend.chain)


def fund_plan(backend: Backend, dev_label_or_address: str, address: str, wei: int) -> TxPlan:
    """Pay ``wei`` from a dev account (by label, "Owner", or address) to ``address``; dev chains only."""
    chain = backend.chain
    if not chain.funds_new_accounts:
        raise ActionError(
            f"Chain {chain.chain_id} is not a dev chain, so no dev account pays new accounts here; send "
            f"ETH to {address} from a wallet, an exchange or a faucet."
        )
    if not is_address(address):
        raise ActionError(f"{address!r} is not an Ethereum address.")
    if int(wei) <= 0:
        raise ActionError("Fund the account with more than 0 ETH.")
    funder = _funder(backend, dev_label_or_address)
    recipient = to_checksum_address(address)

    def preview() -> TxPreview:
        fees = eip1559_fees(chain)
        _check_funder_can_pay(backend, funder, int(wei), TRANSFER_GAS * fees.max_fee_per_gas)
        return TxPreview(
            sender=funder.address,
            to=recipient,
            function="transfer",
            args=(),
            value=int(wei),
            gas=TRANSFER_GAS,
            max_fee_per_gas=fees.max_fee_per_gas,
            max_fee=TRANSFER_GAS * fees.max_fee_per_gas,
            balance=backend.balance(funder.address),
            to_name="account",
        )

    return TxPlan(
        title=f"Fund {short_address(recipient)} with {eth(int(wei))} from {funder.label}",
        function="transfer",
        sender=funder.address,
        preview_fn=preview,
        send=lambda: _fund(backend, funder, recipient, int(wei)),
        details=[("Paid by", f"{funder.label} (a dev account of this node)")],
        balance_at=balance_reader(chain.w3),
    )


def _check_funder_can_pay(backend: Backend, funder: NodeAccount, wei: int, max_fee: int) -> None:
    """Refuse in words before the node does ("Insufficient funds for gas * price + value")."""
    balance = backend.balance(funder.address)
    if balance < wei + max_fee:
        raise InsufficientFunds(
            f"{funder.label} holds {eth_exact(balance)}, less than {eth_exact(wei)} plus at most "
            f"{eth_exact(max_fee)} for gas; fund this account with less, or pay from another dev account."
        )


def _fund(backend: Backend, funder: NodeAccount, recipient: str, wei: int) -> TxReceipt:
    _check_funder_can_pay(backend, funder, wei, TRANSFER_GAS * eip1559_fees(backend.chain).max_fee_per_gas)
    return fund_from_dev(backend.chain, funder, recipient, wei)


def _funder(backend: Backend, dev_label_or_address: str) -> NodeAccount:
    wanted = dev_label_or_address.strip().lower()
    candidates = funders(backend)
    for account in candidates:
        if wanted in (account.label.lower(), account.address.lower()):
            return account
    names = ", ".join(a.label for a in candidates) or "none"
    raise ActionError(
        f"{dev_label_or_address!r} is not a dev account of this node (its dev accounts: {names})."
    )


# --------------------------------------------------------------------------- the board


def deploy_plan(backend: Backend, sender: Sender) -> TxPlan:
    """Deploy a new BountyBoard from ``sender`` (any chain), previewed with gas, the EIP-1559 fees read
    from the node and the most it can cost; once mined (and ``settings.confirmations`` deep off dev
    chains) it is remembered for this chain and used at once."""
    settings = backend.settings
    if settings.board:
        raise ActionError(
            f"HYPERBOUNTY_BOARD names {settings.board}, so this install uses that board; unset it to deploy "
            "a new one."
        )
    figures = deployment_preview(backend.chain, sender)
    deployed: list[Deployment] = []

    def preview() -> TxPreview:
        return TxPreview(
            sender=figures.sender,
            to="",
            function="deploy BountyBoard",
            args=(),
            value=0,
            gas=figures.gas,
            max_fee_per_gas=figures.max_fee_per_gas,
            max_fee=figures.total,
            balance=figures.balance,
            to_name="a new BountyBoard contract",
        )

    def send() -> TxReceipt:
        # deploy_board holds the chain's lock from nonce to send only, not while confirmations come
        deployment = deploy_board(
            backend.chain, sender, backend.registry(), confirmations=settings.confirmations
        )
        deployed.append(deployment)
        backend.forget_board()
        return _receipt(backend, deployment.tx_hash)

    confirmations = "none (a dev chain)" if backend.chain.is_dev else str(settings.confirmations)
    return TxPlan(
        title="Deploy BountyBoard",
        function="deploy BountyBoard",
        sender=figures.sender,
        preview_fn=preview,
        send=send,
        details=[
            ("Base fee per gas (latest block)", _gwei(figures.base_fee_per_gas)),
            ("Max priority fee per gas", _gwei(figures.max_priority_fee_per_gas)),
            ("Max fee per gas", _gwei(figures.max_fee_per_gas)),
            ("Total at most (gas × max fee)", eth(figures.total, places=9)),
            ("Confirmations to wait for", confirmations),
        ],
        after=lambda receipt: {"board": deployed[-1].address} if deployed else {},
    )


def _receipt(backend: Backend, tx_hash: str) -> TxReceipt:
    return TxReceipt.from_node(backend.chain.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))


def _gwei(wei: int) -> str:
    text = f"{Decimal(int(wei)) / Decimal(10**9):.9f}".rstrip("0").rstrip(".")
    return f"{text} gwei"


def join_board(backend: Backend, address: str) -> Deployment:
    """Use the BountyBoard at ``address`` from now on: its code checked against this release's (refused
    in words otherwise), remembered for this chain, used at once."""
    settings = backend.settings
    if settings.board and is_address(address) and to_checksum_address(address) != settings.board:
        raise ActionError(
            f"HYPERBOUNTY_BOARD names {settings.board}, so this install uses that board; unset it to join "
            f"{address}."
        )
    deployment = join_board_at(backend.chain, address, backend.registry())
    backend.forget_board()
    return deployment


def board_info(backend: Backend) -> BoardInfo:
    """The board in use on this chain: address, deployer, block, and whether it is this release's."""
    chain = backend.chain
    try:
        address = backend.client.address
    except Exception as exc:
        return BoardInfo(chain.chain_id, chain.genesis_hash, "", "", 0, "", False, plain_error(exc))
    remembered = backend.registry().get(chain.chain_id, genesis_hash=chain.genesis_hash)
    known = remembered if remembered is not None and remembered.address == address else None
    check = check_board(chain, address)
    return BoardInfo(
        chain_id=chain.chain_id,
        genesis_hash=chain.genesis_hash,
        address=address,
        deployer=known.deployer if known else "",
        block=known.block if known else 0,
        tx_hash=known.tx_hash if known else "",
        is_this_release=check.is_board,
        sentence=check.sentence,
    )


def board_address(backend: Backend) -> str | None:
    """The BountyBoard address, or None where none is deployed (a fresh RPC network)."""
    try:
        return backend.client.address
    except Exception:
        return None
