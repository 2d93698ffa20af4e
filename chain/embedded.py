"""The default chain: py-evm in this process (through eth-tester), kept across restarts.

Why a key-value journal and not a transaction journal: replaying transactions costs what they
cost the first time (15-25 tx/s here), so a dashboard with a month of history would start in
minutes. Instead every write py-evm makes to its key-value store is appended to
``<data>/chain/embedded/state.journal`` and fsync'd at the end of each request that changed the
chain (a transaction, a mined block, a revert). A restart reads the journal back into memory
and reopens the chain at its canonical head: bounties, balances, the clock, everything.

Journal format: records ``type(1) keylen(4) vallen(4) key value``; type ``S`` sets, ``D``
deletes, ``C`` closes one request. Records after the last ``C`` (a crash mid-write) are
dropped at load, so each request is all-or-nothing. The journal is compacted (rewritten as one
snapshot through a temp file, fsync and rename) at start when it is mostly dead records.

The clock: each new block gets ``max(parent + 1, wall clock + offset)`` unless
``set_next_timestamp`` fixed it; ``advance_time`` moves ``offset`` so the chain keeps counting
from the time it jumped to. Offset and a pending exact timestamp are stored in the same journal
(keys under ``hyperbounty:``), so a restart keeps the chain's clock where it was.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
from pathlib import Path
from typing import IO, Any

from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse

import durable
from chain.errors import ChainError
from chain.providers import DevChain, SnapshotId
from settings import Settings

# anvil's default mnemonic and derivation path, so the dev accounts are the same on both chains.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_HD_PATH = "m/44'/60'/0'/0"

_HEADER = struct.Struct(">cII")
_META = b"hyperbounty:"
_OFFSET_KEY = _META + b"time-offset"
_NEXT_TS_KEY = _META + b"next-timestamp"
_ACCOUNTS_KEY = _META + b"accounts"
# requests after which the chain's state may have changed and must be made durable
_MUTATING = {
    "eth_sendTransaction",
    "eth_sendRawTransaction",
    "evm_mine",
    "evm_revert",
    "testing_mine",
    "testing_revert",
    "testing_timeTravel",
}


class JournaledDB(MemoryDB):
    """A MemoryDB whose writes are appended to a file; ``commit`` makes them durable."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        super().__init__({})
        self.path = path
        self.read_only = read_only
        self._pending: list[bytes] = []
        self.live_bytes = 0
        self.file_bytes = 0
        self.load_seconds = 0.0
        self._load()
        self._file: IO[bytes] | None = None
        if not read_only:
            self._file = open(self.path, "ab")  # noqa: SIM115 (kept open for the chain's lifetime)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        super().__setitem__(key, value)
        self._pending.append(_HEADER.pack(b"S", len(key), len(value)) + key + value)

    def __delitem__(self, key: bytes) -> None:
        super().__delitem__(key)
        self._pending.append(_HEADER.pack(b"D", len(key), 0) + key)

    def commit(self) -> None:
        """Append the writes since the last commit and a closing record, then fsync."""
        if not self._pending:
            return
        if self._file is None:  # read-only: nothing may reach the disk
            self._pending.clear()
            return
        self._pending.append(_HEADER.pack(b"C", 0, 0))
        blob = b"".join(self._pending)
        self._pending.clear()
        self._file.write(blob)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.file_bytes += len(blob)

    def close(self) -> None:
        self.commit()
        if self._file is not None:
            self._file.close()

    def _load(self) -> None:
        if not self.path.exists():
            return
        started = time.perf_counter()
        data = self.path.read_bytes()
        staged: list[tuple[bytes, bytes | None]] = []  # (key, value), None for a delete
        pos, good_end = 0, 0
        while pos + _HEADER.size <= len(data):
            kind, klen, vlen = _HEADER.unpack_from(data, pos)
            end = pos + _HEADER.size + klen + vlen
            if end > len(data) or kind not in (b"S", b"D", b"C"):
                break
            if kind == b"C":
                for key, value in staged:
                    if value is not None:
                        self.kv_store[key] = value
                    else:
                        self.kv_store.pop(key, None)
                staged.clear()
                good_end = end
            else:
                key = data[pos + _HEADER.size : pos + _HEADER.size + klen]
                value = data[pos + _HEADER.size + klen : end] if kind == b"S" else None
                staged.append((key, value))
            pos = end
        if good_end < len(data) and not self.read_only:
            # a crash in the middle of a write: keep every complete request, drop the torn tail
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                os.fsync(handle.fileno())
        self.file_bytes = good_end
        self.live_bytes = sum(len(k) + len(v) + _HEADER.size for k, v in self.kv_store.items())
        self.load_seconds = time.perf_counter() - started

    def __repr__(self) -> str:
        return f"JournaledDB({self.path}, {len(self.kv_store)} keys)"

    def compact_if_worthwhile(self, ratio: float = 3.0, min_bytes: int = 1 << 20) -> bool:
        """Rewrite the journal as one snapshot when dead records dominate it."""
        if self._file is None or self.file_bytes <= max(ratio * self.live_bytes, min_bytes):
            return False
        self.commit()
        with durable.atomic_open(self.path) as handle:
            for key, value in self.kv_store.items():
                handle.write(_HEADER.pack(b"S", len(key), len(value)) + key + value)
            handle.write(_HEADER.pack(b"C", 0, 0))
        self._file.close()  # committed above: the old journal holds nothing the snapshot lacks
        self._file = open(self.path, "ab")  # noqa: SIM115
        self.file_bytes = self.path.stat().st_size
        return True


def _exclusive(path: Path) -> tuple[IO[str] | None, str]:
    """Take the exclusive lock on the chain's folder: two writers would interleave their journals.

    Returns (the held lock file, "") or (None, the holder's pid) when another connection holds it.
    The OS drops the lock when the process dies, so a crash never leaves the chain locked.
    """
    handle = open(path, "a+")  # noqa: SIM115 (held for the chain's lifetime)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        return None, holder
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle, ""


class _LockedTesterProvider(EthereumTesterProvider):
    """eth-tester behind a lock, with the chain's clock set before and durability after each request."""

    def __init__(self, tester: EthereumTester, chain: EmbeddedChain) -> None:
        super().__init__(tester)
        self._chain = chain

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method in _MUTATING:
            self._chain._check_writable()
        with self._chain.lock:
            self._chain._before_request()
            head = self._chain._head_number()
            try:
                response = super().make_request(method, params)
            except TransactionFailed as exc:
                replayed = self._estimate_revert(params, exc) if method == "eth_estimateGas" else exc
                self._chain._after_request(head, durable=True)
                if replayed is exc:
                    raise
                raise replayed from None
            except BaseException:
                self._chain._after_request(head, durable=True)
                raise
            self._chain._after_request(
                head, durable=method in _MUTATING or self._chain._head_number() != head
            )
            return response

    def _estimate_revert(self, params: Any, failed: TransactionFailed) -> TransactionFailed:
        """The refusal of an estimate with its raw revert data.

        web3's tester provider reads the revert data of an estimate as ``Error(string)`` whatever its
        selector, so a custom error whose first argument is a string (``WindowTooShort("reveal", ..)``)
        arrives as that string alone and the error is lost. A call on the same (pending) block keeps
        the data as bytes; replay the estimate as one.
        """
        tx, block = params[0], params[1] if len(params) > 1 else "pending"
        try:
            super().make_request(RPCEndpoint("eth_call"), [tx, block])
        except TransactionFailed as again:
            return again
        except Exception:  # the replay itself failed some other way: keep what the estimate said
            return failed
        return failed


class EmbeddedChain(DevChain):
    """py-evm in process, state journaled under ``<data>/chain/embedded``."""

    kind = "embedded"

    def __init__(self, folder: Path, accounts: int = 10, read_only: bool | None = None) -> None:
        """Open (or create) the chain in ``folder``.

        ``read_only=None`` (the default) writes when it can and falls back to a read-only view when
        another connection already holds the folder (a worker process reading bounties while the
        dashboard runs); ``False`` insists on writing; ``True`` never writes.
        """
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._lock_file: IO[str] | None = None
        self.holder = ""
        if read_only is not True:
            self._lock_file, self.holder = _exclusive(folder / "state.lock")
            if self._lock_file is None and read_only is False:
                raise ChainError(
                    f"The embedded chain in {folder} is already open for writing (by process {self.holder}); "
                    "close that dashboard or script first, or run HYPERBOUNTY_CHAIN=anvil to share one chain "
                    "between programs."
                )
        self.read_only = self._lock_file is None
        try:
            self.db = JournaledDB(folder / "state.journal", read_only=self.read_only)
        except BaseException:
            if self._lock_file is not None:
                self._lock_file.close()
            raise
        fresh = len(self.db) == 0
        if not fresh:
            accounts = int(self.db[_ACCOUNTS_KEY].decode())
        backend = PyEVMBackend.from_mnemonic(DEV_MNEMONIC, num_accounts=accounts, hd_path=DEV_HD_PATH)
        if fresh:
            genesis_db = backend.chain.chaindb.db
            for key, value in _memory_items(genesis_db):
                self.db[key] = value
            self.db[_ACCOUNTS_KEY] = str(accounts).encode()
            self.db.commit()
        else:
            self.db.compact_if_worthwhile()
        # reopen the chain class eth-tester built, on our journaled store, at its canonical head
        backend.chain = type(backend.chain)(AtomicDB(self.db))
        self._backend = backend
        self._accounts_count = accounts
        self.tester = EthereumTester(backend)
        self._lock = threading.RLock()
        provider = _LockedTesterProvider(self.tester, self)
        super().__init__(Web3(provider), lock=self._lock)

    @classmethod
    def open(cls, settings: Settings) -> EmbeddedChain:
        return cls(settings.path("chain", "embedded"), accounts=max(10, settings.participants + 1))

    @property
    def endpoint(self) -> str:
        return f"embedded chain in {self.folder}"

    @property
    def description(self) -> str:
        suffix = " (read-only)" if self.read_only else ""
        return f"embedded chain (py-evm), id {self.chain_id}{suffix}"

    @property
    def journal_load_seconds(self) -> float:
        return self.db.load_seconds

    def accounts(self) -> list[str]:
        return [str(address) for address in self.w3.eth.accounts[: self._accounts_count]]

    def close(self) -> None:
        if self.closed:
            return
        with self.lock:
            self.db.close()
            if self._lock_file is not None:
                self._lock_file.close()  # releases the flock
        super().close()

    def _check_writable(self) -> None:
        if self.read_only:
            holder = f"process {self.holder}" if self.holder else "another connection"
            raise ChainError(
                f"This view of the embedded chain is read-only because {holder} has it open for writing; "
                "send transactions from there, or run HYPERBOUNTY_CHAIN=anvil to share one chain between "
                "programs."
            )

    # -- clock --------------------------------------------------------------------------------

    def _head_number(self) -> int:
        return self._backend.chain.get_canonical_head().block_number

    def _head_timestamp(self) -> int:
        return self._backend.chain.get_canonical_head().timestamp

    def _int_meta(self, key: bytes) -> int:
        return int(self.db[key].decode()) if key in self.db else 0

    def _planned_timestamp(self) -> int:
        exact = self._int_meta(_NEXT_TS_KEY)
        if exact:
            return exact
        return max(self._head_timestamp() + 1, int(time.time()) + self._int_meta(_OFFSET_KEY))

    def _before_request(self) -> None:
        if self.closed:
            raise ChainError("This chain connection was closed; reconnect to go on.")
        chain = self._backend.chain
        if not chain.header.gas_used:  # an empty pending block: safe to re-date
            chain.set_header_timestamp(self._planned_timestamp())

    def _after_request(self, head_before: int, durable: bool) -> None:
        if self._head_number() != head_before and _NEXT_TS_KEY in self.db:
            del self.db[_NEXT_TS_KEY]
        if durable:
            self.db.commit()

    # -- dev powers ---------------------------------------------------------------------------

    def set_next_timestamp(self, ts: int) -> None:
        self._check_writable()
        with self.lock:
            ts = self._check_future(ts)
            self.db[_NEXT_TS_KEY] = str(ts).encode()
            # later blocks keep counting from ts, as on anvil
            self.db[_OFFSET_KEY] = str(ts - int(time.time())).encode()
            self.db.commit()

    def mine(self, blocks: int = 1) -> None:
        if blocks < 1:
            raise ChainError("Mine at least one block.")
        with self.lock:
            for _ in range(int(blocks)):
                self.w3.provider.make_request(RPCEndpoint("evm_mine"), [])

    def snapshot(self) -> int:
        with self.lock:
            return int(self.tester.take_snapshot())

    def revert(self, snapshot_id: SnapshotId) -> None:
        self._check_writable()
        with self.lock:
            head = self._head_number()
            self._before_request()
            self.tester.revert_to_snapshot(snapshot_id)
            if _NEXT_TS_KEY in self.db:
                del self.db[_NEXT_TS_KEY]
            self._after_request(head, durable=True)


def _memory_items(atomic_db: Any) -> list[tuple[bytes, bytes]]:
    wrapped = atomic_db.wrapped_db
    return list(wrapped.kv_store.items())
