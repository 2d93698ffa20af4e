"""Who sends a transaction: a node-managed dev account, or a keystore account unlocked here.

On the embedded chain and on anvil the node holds funded keys; the dashboard labels them
"Owner", "Participant 1..N" and (the last one) "Arbiter" (:func:`dev_accounts`), and the node
signs. On any other network the user keeps an encrypted keystore (eth-account's v3 JSON, scrypt) under
``<data>/keystore/``; :meth:`Keystore.unlock` with the password gives a :class:`LocalSigner`
that signs here and sends the raw transaction, with EIP-1559 fees read from the node
(:func:`eip1559_fees`, the figures a deployment's preview shows). A keystore file that is not valid
v3 JSON (damaged, truncated, edited) is named in a sentence when it is unlocked or imported
(:meth:`Keystore.damaged` lists such files); the other accounts keep working, and importing the
account again replaces it.

A new keystore account starts empty. Where the node holds funded dev keys (the embedded chain, the
managed anvil, an anvil or hardhat node reached by URL: ``ChainConnection.funds_new_accounts``)
:func:`fund_from_dev` pays it from one of them (:func:`dev_funders`); any other network refuses in
words, since there ETH comes from a wallet, an exchange or a faucet.

A private key is never shown, logged or written in clear: it is encrypted before it touches
the disk, held only inside the unlocked signer (whose ``repr`` shows the address), and no
function returns it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address
from hexbytes import HexBytes
from web3.types import TxParams, Wei

from chain.errors import AccountError, ChainError
from chain.providers import ChainConnection
from chain.secrets import atomic_write_json
from settings import Settings, get_settings

if TYPE_CHECKING:
    from chain.client import TxReceipt

# eth-account's default scrypt work factor (2**18) takes about a second; tests pass a smaller one.
DEFAULT_KDF_ITERATIONS = 2**18
MIN_PASSWORD_LENGTH = 8
# What each dev account of the embedded chain and the managed anvil starts with: an amount a person
# reads at a glance, so that a reward, a bond or a fee visibly moves it (not 1M or 10k ETH)
DEV_BALANCE_ETH = 100
DEV_BALANCE_WEI = DEV_BALANCE_ETH * 10**18


class Sender(Protocol):
    """Anything that can send a transaction for ``address`` on a connection."""

    # read-only here, so that frozen dataclasses (NodeAccount, LocalSigner) are Senders
    @property
    def address(self) -> str: ...

    @property
    def label(self) -> str: ...

    def send(self, connection: ChainConnection, tx: TxParams) -> HexBytes: ...


@dataclass(frozen=True)
class NodeAccount:
    """A dev account whose key the node holds (embedded chain, anvil)."""

    address: str
    label: str

    def send(self, connection: ChainConnection, tx: TxParams) -> HexBytes:
        with connection.lock:
            return HexBytes(connection.w3.eth.send_transaction({**tx, "from": self.address}))


@dataclass(frozen=True)
class LocalSigner:
    """A keystore account unlocked in this process; signs locally, sends the raw transaction."""

    address: str
    label: str
    _account: LocalAccount = field(repr=False, compare=False)

    def send(self, connection: ChainConnection, tx: TxParams) -> HexBytes:
        w3 = connection.w3
        with connection.lock:  # nonce read to raw send: one at a time per connection
            full: TxParams = {**tx, "from": self.address}
            full.setdefault("chainId", connection.chain_id)
            full.setdefault(
                "nonce", w3.eth.get_transaction_count(to_checksum_address(self.address), "pending")
            )
            if "gas" not in full:
                full["gas"] = w3.eth.estimate_gas(full)
            if "gasPrice" not in full and "maxFeePerGas" not in full:
                fees = eip1559_fees(connection)
                if fees.legacy:
                    full["gasPrice"] = Wei(fees.max_fee_per_gas)
                else:
                    full["maxPriorityFeePerGas"] = Wei(fees.max_priority_fee_per_gas)
                    full["maxFeePerGas"] = Wei(fees.max_fee_per_gas)
            full.pop("from")
            # eth-account annotates a plain dict, which no TypedDict (web3's TxParams) matches statically
            signed = self._account.sign_transaction(full)  # type: ignore[arg-type]
            return HexBytes(w3.eth.send_raw_transaction(signed.raw_transaction))

    def sign_message_hash(self, message: bytes) -> HexBytes:
        return HexBytes(self._account.sign_message(encode_defunct(message)).signature)


@dataclass(frozen=True)
class Fees:
    """The fees per gas a transaction sent now offers (wei): the latest block's base fee, the tip, and the
    most it may pay (twice the base fee plus the tip, so it still lands if the base fee rises)."""

    base_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    # a node without EIP-1559 (no base fee): one gas price, ``max_fee_per_gas``
    legacy: bool = False


def eip1559_fees(connection: ChainConnection) -> Fees:
    """EIP-1559 fees read from the node now (a legacy node: its gas price as the maximum)."""
    w3 = connection.w3
    base = w3.eth.get_block("latest").get("baseFeePerGas")
    if base is None:
        return Fees(0, 0, int(w3.eth.gas_price), legacy=True)
    tip = _max_priority_fee(connection)
    return Fees(int(base), tip, 2 * int(base) + tip)


def _max_priority_fee(connection: ChainConnection) -> int:
    try:
        return int(connection.w3.eth.max_priority_fee)
    except Exception:  # nodes without eth_maxPriorityFeePerGas
        return 10**9


def dev_funders(connection: ChainConnection) -> list[NodeAccount]:
    """The node's funded dev accounts that may pay a new account: Owner, Participant 1..N on the dev chains,
    "Dev account 0..N" (anvil's numbering) on an anvil or hardhat node reached by URL; [] elsewhere."""
    if not connection.funds_new_accounts:
        return []
    if connection.accounts():
        return dev_accounts(connection, arbiter=True)
    unlocked = connection.w3.eth.accounts
    return [NodeAccount(to_checksum_address(a), f"Dev account {n}") for n, a in enumerate(unlocked)]


def fund_from_dev(connection: ChainConnection, dev_sender: Sender, address: str, wei: int) -> TxReceipt:
    """Send ``wei`` from a dev account of the node to ``address`` (a new keystore account) and wait for it.

    Only where the node funds new accounts (``connection.funds_new_accounts``); refused in words elsewhere.
    """
    from chain.client import TxReceipt  # chain.client imports this module

    if not connection.funds_new_accounts:
        raise ChainError(
            f"Chain {connection.chain_id} at {connection.endpoint} is not a dev chain, so no dev account "
            "pays new accounts here; send ETH to the account from a wallet, an exchange or a faucet."
        )
    if not is_address(address):
        raise AccountError(f"{address!r} is not an Ethereum address.")
    if int(wei) <= 0:
        raise ChainError("Fund the account with more than 0 wei.")
    tx: TxParams = {"to": to_checksum_address(address), "value": Wei(int(wei)), "gas": 21_000}
    tx_hash = dev_sender.send(connection, tx)
    receipt = connection.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if int(receipt["status"]) != 1:
        raise ChainError(f"Funding {to_checksum_address(address)} failed in block {receipt['blockNumber']}.")
    return TxReceipt.from_node(receipt)


def dev_accounts(
    connection: ChainConnection, participants: int | None = None, *, arbiter: bool = False
) -> list[NodeAccount]:
    """The node's funded accounts as Owner, Participant 1..N ([] on a network without dev accounts).

    With ``arbiter``, the LAST funded account follows as "Arbiter" (the dev arbitrator's owner, who
    rules on disputes), provided it is neither the Owner nor a Participant.
    """
    wanted = get_settings().participants if participants is None else participants
    funded = connection.accounts()
    labels = ["Owner"] + [f"Participant {n}" for n in range(1, wanted + 1)]
    named = [NodeAccount(to_checksum_address(a), label) for a, label in zip(funded, labels, strict=False)]
    if arbiter and len(funded) > len(named):
        named.append(NodeAccount(to_checksum_address(funded[-1]), "Arbiter"))
    return named


class Keystore:
    """Encrypted keys under ``<data>/keystore``, one v3 JSON file per account."""

    def __init__(self, folder: Path, kdf_iterations: int = DEFAULT_KDF_ITERATIONS) -> None:
        self.folder = folder
        self.kdf_iterations = kdf_iterations

    @classmethod
    def open(cls, settings: Settings | None = None, kdf_iterations: int = DEFAULT_KDF_ITERATIONS) -> Keystore:
        return cls((settings or get_settings()).path("keystore"), kdf_iterations)

    def _path(self, address: str) -> Path:
        return self.folder / f"{to_checksum_address(address)}.json"

    def addresses(self) -> list[str]:
        """Every account with a file here, damaged ones included (:meth:`damaged` names those)."""
        return [
            to_checksum_address(p.stem) for p in sorted(self.folder.glob("0x*.json")) if is_address(p.stem)
        ]

    def damaged(self) -> dict[str, str]:
        """Address -> the sentence saying why its file cannot be read; the other accounts work as usual."""
        found = {}
        for address in self.addresses():
            try:
                self._read(address)
            except AccountError as exc:
                found[address] = str(exc)
        return found

    def label(self, address: str) -> str:
        data = self._read(address)
        return str(data.get("hyperbounty_label") or to_checksum_address(address))

    def create(self, password: str, label: str = "") -> str:
        """A new random account, stored encrypted; returns its address (the key is never returned)."""
        return self._store(Account.create(), password, label)

    def import_key(self, private_key: str | bytes, password: str, label: str = "") -> str:
        """Encrypt an existing key into the keystore; returns its address."""
        try:
            account = Account.from_key(private_key)
        except Exception as exc:
            # the message never includes the key itself
            raise AccountError(
                "That is not a valid private key (expected 32 bytes: 0x followed by 64 hex digits)."
            ) from exc
        return self._store(account, password, label)

    def import_keyfile(self, text: str, label: str = "", name: str = "") -> str:
        """Add an existing encrypted v3 keystore file (as exported by geth or MetaMask).

        ``name`` (the uploaded file's name) goes into the sentence when the file is refused.
        """
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        problem = _v3_problem(data)
        if problem is not None:
            raise AccountError(
                f"{name or 'That file'} is not an Ethereum v3 keystore file this wallet can read "
                f"({problem}): choose the keystore JSON your wallet exported (geth, MetaMask...)."
            )
        address = to_checksum_address(data["address"])
        if label:
            data["hyperbounty_label"] = label
        atomic_write_json(self._path(address), data)
        return address

    def _store(self, account: LocalAccount, password: str, label: str) -> str:
        _check_password(password)
        address = to_checksum_address(account.address)
        if self._path(address).exists() and address not in self.damaged():
            raise AccountError(f"{address} is already in the keystore; unlock it instead.")
        data = Account.encrypt(account.key, password, kdf="scrypt", iterations=self.kdf_iterations)
        data["address"] = address[2:].lower()
        if label:
            data["hyperbounty_label"] = label
        atomic_write_json(self._path(address), data)
        return address

    def _read(self, address: str) -> dict[str, Any]:
        if not is_address(address):
            raise AccountError(f"{address!r} is not an Ethereum address.")
        path = self._path(address)
        if not path.exists():
            raise AccountError(f"{to_checksum_address(address)} is not in this keystore ({self.folder}).")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AccountError(
                f"The keystore file of {to_checksum_address(address)} cannot be read ({exc})."
            ) from exc
        except ValueError:
            data = None
        problem = _v3_problem(data)
        if problem is not None:
            raise self._damage(address, problem)
        return data

    def _damage(self, address: str, problem: str) -> AccountError:
        return AccountError(
            f"{self._path(address)} is not a keystore file this wallet can read ({problem}). Restore it from "
            "a backup, or import that account again (its private key or an exported keystore file); the "
            "other accounts are not affected."
        )

    def unlock(self, address: str, password: str) -> LocalSigner:
        data = self._read(address)
        checksum = to_checksum_address(address)
        try:
            key = Account.decrypt(data, password)
        except ValueError as exc:
            if re.search("mac mismatch", str(exc), re.IGNORECASE):
                raise AccountError(
                    f"Wrong password for {checksum}; the keystore stays locked. Try again."
                ) from None
            raise self._damage(address, f"it does not decrypt: {exc}") from None
        except (KeyError, TypeError, AttributeError) as exc:  # a field of the wrong shape
            raise self._damage(address, f"it does not decrypt: {type(exc).__name__} {exc}") from None
        account = Account.from_key(key)
        del key
        if to_checksum_address(account.address) != checksum:
            raise AccountError(
                f"The keystore file named {checksum} holds another account; it was tampered with."
            )
        return LocalSigner(checksum, str(data.get("hyperbounty_label") or checksum), account)


_V3_CRYPTO_FIELDS = ("cipher", "cipherparams", "ciphertext", "kdf", "kdfparams", "mac")


def _v3_problem(data: object) -> str | None:
    """What keeps ``data`` (a parsed JSON file) from being a v3 keystore this wallet decrypts, or None."""
    if not isinstance(data, dict):
        return "it is not a JSON object"
    if data.get("version") != 3:
        return f"its version is {data.get('version')!r}, not 3" if "version" in data else "it has no version"
    if not isinstance(data.get("address"), str) or not is_address(data["address"]):
        return "it has no valid address"
    crypto = data.get("crypto", data.get("Crypto"))
    if not isinstance(crypto, dict):
        return "it has no crypto section"
    missing = [name for name in _V3_CRYPTO_FIELDS if name not in crypto]
    if missing:
        return f"its crypto section lacks {', '.join(missing)}"
    if crypto["kdf"] not in ("scrypt", "pbkdf2"):
        return f"its key derivation {crypto['kdf']!r} is neither scrypt nor pbkdf2"
    if not isinstance(crypto["cipherparams"], dict) or not isinstance(crypto["kdfparams"], dict):
        return "its cipherparams or kdfparams are not JSON objects"
    return None


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters to encrypt the key."
        )
