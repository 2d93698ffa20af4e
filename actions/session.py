"""The per-process backend: one chain connection, one BountyBoard client, one content store.

Why one per process: the embedded chain lives in this process's memory and its
journal file may have only one writer, and every Streamlit session shares the
same objects (``st.cache_resource`` in ``ui.common``). Building is done once
per settings under a lock, so two sessions that open at the same moment do not
start two chains. Sending transactions is serialised by ``chain.lock``
(nonces, eth-tester state); reads go through the same lock on the embedded
chain because eth-tester is not thread-safe.

Usable without Streamlit: the headless flow and the tests call
:func:`get_backend` directly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from eth_utils import to_checksum_address

import storage
from actions.errors import ActionError
from actions.jobs import JobRunner
from chain import connect
from chain.accounts import NodeAccount, Sender, dev_accounts
from chain.client import BountyBoardClient
from chain.deployments import DeploymentRegistry, open_board
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

    @property
    def lock(self) -> threading.RLock:
        """Held while sending a transaction (nonce to submission) and by eth-tester reads."""
        return self.chain.lock

    @property
    def client(self) -> BountyBoardClient:
        """The BountyBoard client; a dev chain without a board gets one, deployed by the Owner account."""
        with self._lock:
            if self._client is None:
                senders = self.dev_senders() if self.chain.is_dev else []
                self._client = open_board(
                    self.chain,
                    sender=senders[0] if senders else None,
                    deploy_if_never_deployed=bool(senders),
                    registry=DeploymentRegistry.open(self.settings),
                    secrets=SecretStore.open(self.settings),
                )
            return self._client

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
        dev account, who rules on disputes through the dev arbitrator) on dev chains; else none."""
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
        """ "Owner", "Participant 3", ... for a dev account; the address itself otherwise."""
        with self._lock:
            if self._labels is None:
                self._labels = {a.address.lower(): a.label for a in self.dev_senders()}
        return self._labels.get(str(address).lower(), address)

    def latest_block(self) -> tuple[int, int]:
        """(number, timestamp) of the latest block: the chain's clock (``ChainConnection.head``)."""
        return self.chain.head()

    def now(self) -> int:
        """Chain time (``ChainConnection.latest_timestamp``): deadlines count from it, not the wall clock."""
        return self.chain.latest_timestamp()

    def balance(self, address: str) -> int:
        with self.lock:
            return int(self.chain.w3.eth.get_balance(to_checksum_address(address)))

    def close(self) -> None:
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
