"""The per-process backend: one chain connection, one BountyBoard client, one content store.

Why one per process: the embedded chain lives in this process's memory and its
journal file may have only one writer, and every Streamlit session shares the
same objects (``st.cache_resource`` in ``ui.common``). Building is done once
per settings under a lock, so two sessions that open at the same moment do not
start two chains. Sending transactions is serialised by ``chain.lock``
(nonces, eth-tester state); reads go through the same lock on the embedded
chain because eth-tester is not thread-safe.

Which board: ``settings.board`` (HYPERBOUNTY_BOARD) when set, joined (its code checked against this
release's, then remembered); else the one the data dir's registry remembers for this chain; a dev chain
this program runs gets one from the Owner account at its first start, but a managed anvil shared with
another install does not (its board is the other install's to share: join it). After a deploy or a join
from the sidebar or a command, :meth:`Backend.forget_board` makes the next read use the new board.

Who signs: on a dev chain the node's funded accounts (:meth:`Backend.accounts`); on any other network
only keystore accounts, unlocked by the person (``actions.wallet``): the node signs for no one there.

Usable without Streamlit: the headless flow and the tests call
:func:`get_backend` directly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from eth_utils import is_address, to_checksum_address

import storage
from actions.errors import ActionError
from actions.jobs import JobRunner
from chain import connect
from chain.accounts import DEFAULT_KDF_ITERATIONS, Keystore, NodeAccount, Sender, dev_accounts
from chain.anvil import AnvilChain
from chain.client import BountyBoardClient
from chain.deployments import DeploymentRegistry, board_client, join_board, open_board
from chain.errors import AccountError, ContractNotDeployed
from chain.index import BoardIndex
from chain.providers import ChainConnection
from chain.secrets import SecretStore
from settings import Settings, get_settings
from storage.store import ContentStore


@dataclass(frozen=True)
class Account:
    """An account the wallet offers, with the role label a person recognises it by."""

    label: str
    address: str


@dataclass
class Backend:
    settings: Settings
    chain: ChainConnection
    _client: BountyBoardClient | None = None
    _store: ContentStore | None = None
    _wallet: list[NodeAccount] | None = None
    _index: BoardIndex | None = None
    _labels: dict[str, str] | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    # Background jobs of this backend (training, evaluation): per backend, so two data dirs in one
    # process (tests) never see each other's results.
    jobs: JobRunner = field(default_factory=JobRunner)
    # scrypt work factor of keystore accounts created here (tests use a small one)
    kdf_iterations: int = DEFAULT_KDF_ITERATIONS

    @property
    def lock(self) -> threading.RLock:
        """Held while sending a transaction (nonce to submission) and by eth-tester reads."""
        return self.chain.lock

    @property
    def client(self) -> BountyBoardClient:
        """The BountyBoard client: ``settings.board`` joined if set, else the remembered board; a dev chain
        this program runs gets one, deployed by the Owner account, at its first start."""
        with self._lock:
            if self._client is None:
                self._client = self._open_client()
            return self._client

    def _open_client(self) -> BountyBoardClient:
        registry = self.registry()
        secrets = SecretStore.open(self.settings)
        if self.settings.board:
            deployment = join_board(self.chain, self.settings.board, registry)
            return board_client(self.chain, deployment, secrets=secrets)
        shared = isinstance(self.chain, AnvilChain) and self.chain.shared
        if shared and registry.get(self.chain.chain_id, genesis_hash=self.chain.genesis_hash) is None:
            raise ContractNotDeployed(
                f"This install shares the anvil at {self.chain.endpoint}, which another program started, "
                "and knows no BountyBoard on it yet: join the board that program uses (set "
                "HYPERBOUNTY_BOARD, use the sidebar, or `python -m cli board join ADDRESS`), or deploy "
                "one of your own."
            )
        senders = self.dev_senders() if self.chain.is_dev else []
        return open_board(
            self.chain,
            sender=senders[0] if senders else None,
            deploy_if_never_deployed=bool(senders) and not shared,
            registry=registry,
            secrets=secrets,
        )

    def registry(self) -> DeploymentRegistry:
        """Where this data dir remembers each chain's BountyBoard (``chain.deployments``)."""
        return DeploymentRegistry.open(self.settings)

    def keystore(self) -> Keystore:
        """This data dir's encrypted keystore (``chain.accounts.Keystore``)."""
        return Keystore.open(self.settings, self.kdf_iterations)

    def forget_board(self) -> None:
        """Drop the cached board client and index: the next read uses the board deployed or joined since."""
        with self._lock:
            self._client = None
            self._index = None

    @property
    def index(self) -> BoardIndex:
        """The incremental event index (``chain.index.BoardIndex``): submissions and events for pages,
        kept on disk as ``index/<chain id>-<board address>.json`` under the data dir."""
        with self._lock:
            if self._index is None:
                client = self.client
                path = self.settings.path("index", f"{self.chain.chain_id}-{client.address}.json")
                self._index = BoardIndex(self.chain, client, path)
            return self._index

    @property
    def store(self) -> ContentStore:
        """The content store (``storage.open_store``): embedded or an IPFS node."""
        with self._lock:
            if self._store is None:
                self._store = storage.open_store(self.settings)
            return self._store

    @property
    def reader(self) -> storage.ContentReader:
        """Reads content wherever it is (``storage.open_reader``): this store, then the IPFS node or
        gateway of the settings, keeping what it fetched in this store. Cheap to build (no network)."""
        return storage.open_reader(self.settings, self.store)

    def accounts(self) -> list[Account]:
        """Accounts the wallet offers: Owner first, then Participant 1..N, then Arbiter (the last funded
        dev account, who rules on disputes through the dev arbitrator) on dev chains; else none: there only
        keystore accounts sign (``actions.wallet.keystore_accounts``), even on a dev node reached by URL."""
        if not self.chain.is_dev:
            return []
        return [Account(a.label, a.address) for a in self.dev_senders()]

    def dev_senders(self) -> list[NodeAccount]:
        """The node-managed senders (``chain.accounts.NodeAccount``), cached: they never change.
        Owner, Participant 1..N, then Arbiter where the node funds one more account."""
        with self._lock:
            if self._wallet is None:
                self._wallet = dev_accounts(self.chain, self.settings.participants, arbiter=True)
            return self._wallet

    def arbiter(self) -> NodeAccount | None:
        """The dev account labelled "Arbiter" (dev chains with an account to spare), else None."""
        return next((a for a in self.dev_senders() if a.label == "Arbiter"), None)

    def sender(self, address: str, unlocked: Mapping[str, Sender] | None = None) -> Sender:
        """The object that signs for ``address``: a dev account, or a keystore signer unlocked by the user
        (``unlocked``: the session's ``chain.accounts.LocalSigner`` objects, by address)."""
        candidates: list[Sender] = [*self.dev_senders(), *(unlocked or {}).values()]
        for candidate in candidates:
            if candidate.address.lower() == address.lower():
                return candidate
        raise ActionError(f"{address} is not an account this wallet can sign for; unlock its keystore first.")

    def label_of(self, address: str) -> str:
        """ "Owner", "Participant 3", ... for a dev account; the name given to an account of this data
        folder's keystore ("Alice"); the address itself otherwise."""
        with self._lock:
            if self._labels is None:
                self._labels = {a.address.lower(): a.label for a in self.dev_senders()}
        known = self._labels.get(str(address).lower())
        if known is not None:
            return known
        return self._keystore_label(str(address))

    def _keystore_label(self, address: str) -> str:
        if not is_address(address):
            return address
        keystore = self.keystore()
        if address.lower() not in {a.lower() for a in keystore.addresses()}:
            return address
        try:
            return keystore.label(address)
        except AccountError:  # a damaged key file: its address is all that can be said
            return address

    def latest_block(self) -> tuple[int, int]:
        """(number, timestamp) of the latest block: the chain's clock (``ChainConnection.head``)."""
        return self.chain.head()

    def now(self) -> int:
        """Chain time now: what the next transaction will see (``ChainConnection.next_block_time``);
        deadlines, phases and countdowns count from it, never from the wall clock or the latest block."""
        return self.chain.next_block_time()

    def balance(self, address: str) -> int:
        with self.lock:
            return int(self.chain.w3.eth.get_balance(to_checksum_address(address)))

    def close(self) -> None:
        self.jobs.close()  # the kept job worker
        self.chain.close()


_backends: dict[Settings, Backend] = {}
_backends_lock = threading.Lock()


def get_backend(settings: Settings | None = None) -> Backend:
    """The backend for ``settings`` (default: the process settings), built once under a lock."""
    settings = settings or get_settings()
    with _backends_lock:
        backend = _backends.get(settings)
        if backend is None or backend.chain.closed:
            backend = Backend(settings=settings, chain=connect(settings))
            _backends[settings] = backend
        return backend


def close_all() -> None:
    """Close every backend (tests; a clean shutdown of the managed anvil node)."""
    with _backends_lock:
        for backend in _backends.values():
            for key in backend.jobs.job_keys():
                backend.jobs.cancel(key)
            backend.close()
        _backends.clear()
