"""The default chain: py-evm in this process (through eth-tester), kept across restarts.

Why a key-value journal and not a transaction journal: replaying transactions costs what they
cost the first time (15-25 tx/s here), so a dashboard with a month of history would start in
minutes. Instead every write py-evm makes to its key-value store is appended to
``<data>/chain/embedded/state.journal`` and fsync'd at the end of each request that changed the
chain (a transaction, a mined block, a revert). A restart reads the journal back into memory
and reopens the chain at its canonical head: bounties, balances, the clock, everything.

Journal format 2: the line ``HyperBounty journal v2`` then records ``type(1) keylen(4) vallen(4)
crc32(4) key value``, the CRC-32 over the type, both lengths, key and value; type ``S`` sets,
``D`` deletes, ``C`` closes one request (its value: the chain's head block, 8 bytes). Records after
the last ``C`` that no complete ``C`` follows are a crash mid-write: they were never acknowledged,
so they are dropped at load (with a log line) and each request stays all-or-nothing. A record that
fails its check with complete requests after it is damage, not a crash: the chain refuses to open
(:class:`JournalDamaged` names the file and the last intact block) instead of rolling back, and
:func:`recover_journal` (``python -m cli recover-chain``) keeps a copy of the file and cuts it back
to the last intact block. Format 1 (the same records without the line and the CRC) is still read;
a writable open rewrites it as format 2. The journal is compacted (rewritten as one snapshot through
a temp file, fsync and rename) at start when it is mostly dead records.

The clock: each new block gets ``max(parent + 1, wall clock + offset)`` unless
``set_next_timestamp`` fixed it; ``advance_time`` moves ``offset`` so the chain keeps counting
from the time it jumped to. Offset and a pending exact timestamp are stored in the same journal
(keys under ``hyperbounty:``), so a restart keeps the chain's clock where it was. So are the dev
accounts' keys: deriving them from the mnemonic is slow pure-Python work, done once when the chain
is created, and a reopen (200 participants) takes well under a second.

Reads go to the pending block (``chain.providers``: "now" is the next transaction's time); the backend
here estimates gas there too, which eth-tester alone refuses.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.db.header import HeaderDB
from eth.exceptions import CanonicalHeadNotFound, HeaderNotFound, InvalidInstruction, Revert
from eth.vm.spoof import SpoofTransaction
from eth_keys import KeyAPI
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_utils.decorators import replace_exceptions
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse

import durable
from chain.accounts import DEV_BALANCE_WEI
from chain.errors import ChainError
from chain.providers import DevChain, SnapshotId
from settings import Settings

log = logging.getLogger(__name__)

# anvil's default mnemonic and derivation path, so the dev accounts are the same on both chains.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_HD_PATH = "m/44'/60'/0'/0"

JOURNAL_NAME = "state.journal"
JOURNAL_FORMAT = 2
_MAGIC = b"HyperBounty journal v2\n"
_HEADER_V1 = struct.Struct(">cII")  # format 1: type, key length, value length
_HEADER = struct.Struct(">cIII")  # format 2: the same and the record's CRC-32
_BLOCK = struct.Struct(">Q")  # a C record's value: the head block when the request closed
_KINDS = (b"S", b"D", b"C")
_META = b"hyperbounty:"
_OFFSET_KEY = _META + b"time-offset"
_NEXT_TS_KEY = _META + b"next-timestamp"
_ACCOUNTS_KEY = _META + b"accounts"
_KEYS_KEY = _META + b"account-keys"  # the dev accounts' (address, key) pairs, so a reopen derives none
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


# -- journal records ------------------------------------------------------------------------------


def _record(kind: bytes, key: bytes = b"", value: bytes = b"") -> bytes:
    lengths = struct.pack(">cII", kind, len(key), len(value))
    crc = zlib.crc32(value, zlib.crc32(key, zlib.crc32(lengths)))
    return _HEADER.pack(kind, len(key), len(value), crc) + key + value


def _commit_record(block: int) -> bytes:
    return _record(b"C", b"", _BLOCK.pack(block))


_COMMIT_PREFIX = _HEADER.pack(b"C", 0, _BLOCK.size, 0)[:9]  # what every format 2 C record starts with
_COMMIT_V1 = _HEADER_V1.pack(b"C", 0, 0)


@dataclass(frozen=True)
class JournalScan:
    """What reading a journal found.

    ``good_end``: bytes up to the end of the last complete request before any problem;
    ``damaged_at``: the offset of a record that fails its check although complete requests follow it
    (None: no damage; a problem with nothing complete after it is a torn tail, never damage);
    ``later_block``: the last head block a complete request after the damage recorded (format 2).
    """

    format: int
    size: int
    good_end: int
    damaged_at: int | None = None
    later_block: int | None = None
    header_damaged: bool = False


def scan_journal(data: bytes, into: MutableMapping[bytes, bytes]) -> JournalScan:
    """Apply every complete request of a journal's bytes to ``into``, in order; say what was found."""
    if data.startswith(_MAGIC):
        return _scan_records(data, into, 2, len(_MAGIC))
    if data[:1] in _KINDS and _parse_v1(data, 0) is not None:
        return _scan_records(data, into, 1, 0)
    if _parse_v2(data, len(_MAGIC)) is not None:  # a format 2 journal whose first line is damaged
        scan = _scan_records(data, into, 2, len(_MAGIC))
        return JournalScan(2, len(data), scan.good_end, 0, scan.later_block, header_damaged=True)
    if not data:
        return JournalScan(JOURNAL_FORMAT, 0, 0)
    later = _later_commit(data, 0, 2) or _later_commit(data, 0, 1)
    if later is None:  # nothing complete in it at all: a first request torn before its end
        return JournalScan(JOURNAL_FORMAT, len(data), 0)
    return JournalScan(JOURNAL_FORMAT, len(data), 0, 0, later[1])


def _scan_records(data: bytes, into: MutableMapping[bytes, bytes], fmt: int, start: int) -> JournalScan:
    parse = _parse_v2 if fmt == 2 else _parse_v1
    staged: list[tuple[bytes, bytes | None]] = []  # (key, value), None for a delete
    pos = good_end = start
    while pos < len(data):
        parsed = parse(data, pos)
        if parsed is None:
            break
        kind, key, value, end = parsed
        if kind == b"C":
            for k, v in staged:
                if v is not None:
                    into[k] = v
                else:
                    into.pop(k, None)
            staged.clear()
            good_end = end
        else:
            staged.append((key, value if kind == b"S" else None))
        pos = end
    if pos >= len(data):
        return JournalScan(fmt, len(data), good_end)
    later = _later_commit(data, pos + 1, fmt)
    if later is None:
        return JournalScan(fmt, len(data), good_end)  # a torn tail: nothing acknowledged after it
    return JournalScan(fmt, len(data), good_end, pos, later[1])


def _parse_v2(data: bytes, pos: int) -> tuple[bytes, bytes, bytes, int] | None:
    """The record at ``pos`` (type, key, value, end), or None if it is incomplete or fails its CRC."""
    if pos + _HEADER.size > len(data):
        return None
    kind, klen, vlen, crc = _HEADER.unpack_from(data, pos)
    body = pos + _HEADER.size
    end = body + klen + vlen
    if kind not in _KINDS or end > len(data):
        return None
    view = memoryview(data)
    if zlib.crc32(view[body:end], zlib.crc32(view[pos : pos + 9])) != crc:
        return None
    return kind, data[body : body + klen], data[body + klen : end], end


def _parse_v1(data: bytes, pos: int) -> tuple[bytes, bytes, bytes, int] | None:
    if pos + _HEADER_V1.size > len(data):
        return None
    kind, klen, vlen = _HEADER_V1.unpack_from(data, pos)
    body = pos + _HEADER_V1.size
    end = body + klen + vlen
    if kind not in _KINDS or end > len(data):
        return None
    return kind, data[body : body + klen], data[body + klen : end], end


def _later_commit(data: bytes, start: int, fmt: int) -> tuple[int, int | None] | None:
    """The last complete C record at or after ``start`` (offset, its block), found by its bytes alone.

    Used after a record that does not parse: its lengths cannot be trusted, so the rest of the file
    is searched for a closing record that checks out. One means acknowledged requests follow (the
    file is damaged); none means the tail was torn by a crash mid-write.
    """
    prefix = _COMMIT_PREFIX if fmt == 2 else _COMMIT_V1
    found = None
    pos = data.find(prefix, start)
    while pos >= 0:
        if fmt == 1:
            found = (pos, None)
        elif (parsed := _parse_v2(data, pos)) is not None:
            found = (pos, _BLOCK.unpack(parsed[2])[0])
        pos = data.find(prefix, pos + 1)
    return found


def head_block(kv: dict[bytes, bytes]) -> int | None:
    """The canonical head's block number in a py-evm key-value store (None: no chain in it yet)."""
    try:
        return int(HeaderDB(AtomicDB(MemoryDB(kv))).get_canonical_head().block_number)
    except (KeyError, HeaderNotFound, CanonicalHeadNotFound, ValueError):
        return None


class JournalDamaged(ChainError):
    """A journal record fails its check and acknowledged requests follow it: the chain will not open."""

    def __init__(self, path: Path, scan: JournalScan, good_block: int | None) -> None:
        self.path = path
        self.scan = scan
        self.good_block = good_block
        super().__init__(damage_sentence(path, scan, good_block))


def damage_sentence(path: Path, scan: JournalScan, good_block: int | None) -> str:
    """'Block 16 is damaged in <path> ...; blocks 1..15 are intact', and what the recovery does."""
    command = recovery_command(path)
    if scan.header_damaged:
        return (
            f"The first line of the embedded chain's journal {path} is damaged (the records after it are "
            f"intact). The chain was not opened; {command} keeps a copy of the file and rewrites that line."
        )
    if good_block is None:
        where = f"The embedded chain's journal {path} is damaged at byte {scan.damaged_at}"
        kept, reopen = "no complete request comes before it", "a fresh chain"
    else:
        where = f"Block {good_block + 1} is damaged in {path} (byte {scan.damaged_at})"
        kept = f"blocks 1..{good_block} are intact" if good_block > 0 else "only the genesis block is intact"
        reopen = f"block {good_block}"
    later, lost = scan.later_block, ""
    if good_block is not None and later is not None and later > good_block:
        lost = f", dropping blocks {good_block + 1}..{later}"
    return (
        f"{where}; {kept}. The chain was not opened and nothing was cut off: {command} keeps a copy of "
        f"the file and reopens the chain at {reopen}{lost}."
    )


def recovery_command(path: Path) -> str:
    """The command that recovers this journal (``--data-dir`` when it sits in a data dir's layout)."""
    folder = path.parent
    if folder.name == "embedded" and folder.parent.name == "chain":
        return f"`python -m cli recover-chain --data-dir {folder.parent.parent}`"
    return f"`chain.embedded.recover_journal({str(folder)!r})`"


class JournaledDB(MemoryDB):
    """A MemoryDB whose writes are appended to a file; ``commit`` makes them durable.

    ``head_of`` (set by the chain once it runs on this store) gives the head block each closing
    record notes, so a damaged journal can say which blocks are intact.
    """

    def __init__(self, path: Path, read_only: bool = False) -> None:
        super().__init__({})
        self.path = path
        self.read_only = read_only
        self.format = JOURNAL_FORMAT
        self.head_of: Callable[[], int] | None = None
        self._pending: list[bytes] = []
        self.live_bytes = 0
        self.file_bytes = 0
        self.load_seconds = 0.0
        self._load()
        self._file: IO[bytes] | None = None
        if not read_only:
            self._file = open(self.path, "ab")  # noqa: SIM115 (kept open for the chain's lifetime)
            if self.file_bytes == 0:
                self._file.write(_MAGIC)
                self._file.flush()
                os.fsync(self._file.fileno())
                self.file_bytes = len(_MAGIC)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        super().__setitem__(key, value)
        self._pending.append(_record(b"S", key, value))

    def __delitem__(self, key: bytes) -> None:
        super().__delitem__(key)
        self._pending.append(_record(b"D", key))

    def _head(self) -> int:
        return self.head_of() if self.head_of is not None else 0

    def commit(self) -> None:
        """Append the writes since the last commit and a closing record, then fsync."""
        if not self._pending:
            return
        if self._file is None:  # read-only: nothing may reach the disk
            self._pending.clear()
            return
        self._pending.append(_commit_record(self._head()))
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
        scan = scan_journal(data, self.kv_store)
        if scan.damaged_at is not None:
            good_block = head_block(self.kv_store)
            self.kv_store.clear()
            raise JournalDamaged(self.path, scan, good_block)
        self.format = scan.format
        if scan.good_end < len(data):
            # a crash in the middle of a write: keep every complete request, drop the unacknowledged tail
            log.warning(
                "%s ended in an unfinished request (a crash mid-write): dropped its last %d bytes",
                self.path,
                len(data) - scan.good_end,
            )
            if not self.read_only:
                _truncate(self.path, scan.good_end)
        self.file_bytes = scan.good_end
        self.live_bytes = sum(len(k) + len(v) + _HEADER.size for k, v in self.kv_store.items())
        self.load_seconds = time.perf_counter() - started

    def __repr__(self) -> str:
        return f"JournaledDB({self.path}, {len(self.kv_store)} keys)"

    def compact_if_worthwhile(self, ratio: float = 3.0, min_bytes: int = 1 << 20) -> bool:
        """Rewrite the journal as one snapshot when dead records dominate it, or it is in format 1."""
        if self._file is None:
            return False
        outdated = self.format < JOURNAL_FORMAT
        if not outdated and self.file_bytes <= max(ratio * self.live_bytes, min_bytes):
            return False
        if outdated:
            self._pending.clear()  # never append format 2 records to a format 1 file; the snapshot has them
            log.info("rewriting %s in journal format %d (a checksum per record)", self.path, JOURNAL_FORMAT)
        else:
            self.commit()
        with durable.atomic_open(self.path) as handle:
            handle.write(_MAGIC)
            for key, value in self.kv_store.items():
                handle.write(_record(b"S", key, value))
            handle.write(_commit_record(self._head()))
        self._file.close()  # the snapshot holds everything the old journal did
        self._file = open(self.path, "ab")  # noqa: SIM115
        self.file_bytes = self.path.stat().st_size
        self.format = JOURNAL_FORMAT
        return True


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(size)
        handle.flush()
        os.fsync(handle.fileno())


# -- recovery -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """What :func:`recover_journal` did: ``copy`` is None when the journal needed nothing."""

    journal: Path
    copy: Path | None
    kept_bytes: int
    dropped_bytes: int
    block: int | None  # the head block the chain reopens at

    def summary(self) -> str:
        at = f"block {self.block}" if self.block is not None else "a fresh chain"
        if self.copy is None:
            return f"{self.journal} is intact (the chain opens at {at}); nothing to recover."
        return (
            f"Kept a copy of the damaged journal as {self.copy}; {self.journal} now holds {self.kept_bytes} "
            f"bytes (dropped {self.dropped_bytes}) and the chain reopens at {at}."
        )


def recover_journal(folder: Path) -> Recovery:
    """Keep a copy of a damaged journal beside it, then cut the journal back to its last intact block.

    ``folder`` is the chain's folder (``<data>/chain/embedded``). The copy is named
    ``state.journal.damaged-<timestamp>`` and fsync'd before the journal is touched. A damaged first
    line is rewritten instead (nothing after it is lost). Refused while another process has the chain
    open: close it first.
    """
    folder = Path(folder)
    journal = folder / JOURNAL_NAME
    if not journal.is_file():
        raise ChainError(f"There is no embedded chain journal at {journal}; nothing to recover.")
    lock, holder = _exclusive(folder / "state.lock")
    if lock is None:
        raise ChainError(
            f"The embedded chain in {folder} is open (by process {holder}); close that dashboard or "
            "script before recovering its journal."
        )
    try:
        data = journal.read_bytes()
        kv: dict[bytes, bytes] = {}
        scan = scan_journal(data, kv)
        if scan.damaged_at is None:
            return Recovery(journal, None, len(data), 0, head_block(kv))
        copy = _keep_copy(journal)
        if scan.header_damaged:  # the records are fine: rewrite the line, then look again
            with open(journal, "r+b") as handle:
                handle.write(_MAGIC)
            kv.clear()
            scan = scan_journal(journal.read_bytes(), kv)
        kept = len(data) if scan.damaged_at is None else scan.good_end
        _truncate(journal, kept)
        durable.fsync_dir(folder)
        log.warning("recovered %s: kept a copy as %s, cut it to %d bytes", journal, copy, kept)
        return Recovery(journal, copy, kept, len(data) - kept, head_block(kv))
    finally:
        lock.close()


def _keep_copy(journal: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    copy = journal.with_name(f"{journal.name}.damaged-{stamp}")
    n = 1
    while copy.exists():
        n += 1
        copy = journal.with_name(f"{journal.name}.damaged-{stamp}-{n}")
    with durable.atomic_open(copy) as handle, open(journal, "rb") as source:
        shutil.copyfileobj(source, handle)
    return copy


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


class _LazyKeys(Mapping[bytes, Any]):
    """Private keys by canonical address, each ``eth_keys`` object built on first use (building one
    computes its public key: the slow part of deriving it)."""

    def __init__(self, secrets: dict[bytes, bytes]) -> None:
        self._secrets = secrets
        self._made: dict[bytes, Any] = {}

    def __getitem__(self, address: bytes) -> Any:
        address = bytes(address)
        if address not in self._made:
            self._made[address] = KeyAPI().PrivateKey(self._secrets[address])
        return self._made[address]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._secrets)

    def __len__(self) -> int:
        return len(self._secrets)


class _PendingBackend(PyEVMBackend):
    """eth-tester's py-evm backend that also estimates gas on the pending block.

    Reads on a dev chain go to the pending block (``ChainConnection``: views and estimates see the time
    the next transaction will see). eth-tester answers calls there but refuses ``"pending"`` estimates,
    and its ``"latest"`` estimate runs in a block it dates by the wall clock alone (py-evm's costless
    state), not by this chain's clock: a dialog would refuse what the chain then accepts. Here the
    estimate runs in the pending block itself, as dated by :meth:`EmbeddedChain._before_request`.
    """

    _addresses: tuple[bytes, ...] = ()
    _signers: _LazyKeys | None = None

    def use_keys(self, pairs: list[tuple[bytes, bytes]]) -> None:
        """Sign for these (address, private key) pairs; a key object is made when it first signs."""
        self._addresses = tuple(address for address, _ in pairs)
        self._signers = _LazyKeys(dict(pairs))

    def get_accounts(self) -> tuple[bytes, ...]:
        return self._addresses if self._signers is not None else tuple(super().get_accounts())

    @property
    def _key_lookup(self) -> Mapping[bytes, Any]:
        return self._signers if self._signers is not None else super()._key_lookup

    @replace_exceptions({Revert: TransactionFailed, InvalidInstruction: TransactionFailed})  # as eth-tester's
    def estimate_gas(self, transaction: Any, block_number: Any = "latest") -> int:
        if block_number != "pending":
            return int(super().estimate_gas(transaction, block_number))
        unsigned = self._get_normalized_and_unsigned_evm_transaction({**transaction, "gas": 21000}, "pending")
        spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
        chain = self.chain
        head = chain.get_canonical_head()
        vm = chain.get_vm(at_header=head)
        pending = chain.header
        free = pending.copy(base_fee_per_gas=0) if hasattr(pending, "base_fee_per_gas") else pending
        ancestors = itertools.chain((head.hash,), vm.previous_hashes)
        state = vm.build_state(vm.chaindb.db, free, vm.chain_context, ancestors)
        snapshot = state.snapshot()
        try:
            return int(chain.gas_estimator(state, spoofed))
        finally:
            state.revert(snapshot)


def _dev_backend(db: JournaledDB, accounts: int, writable: bool) -> _PendingBackend:
    """The eth-tester backend with the dev accounts' keys.

    Deriving a key from the mnemonic is pure-Python elliptic-curve work (about 0.1 s per account on a
    loaded machine, 20 s for 200 participants), so it is done once: the keys (the public dev mnemonic's,
    no secret) are kept in the journal and a reopen builds the backend without deriving any.
    """
    kept = db.get(_KEYS_KEY)
    if kept is None:
        backend = _PendingBackend.from_mnemonic(
            DEV_MNEMONIC,
            genesis_state_overrides={"balance": DEV_BALANCE_WEI},
            num_accounts=accounts,
            hd_path=DEV_HD_PATH,
        )
        pairs = [(bytes(k.public_key.to_canonical_address()), k.to_bytes()) for k in backend.account_keys]
        backend.use_keys(pairs)
        if writable:
            db[_KEYS_KEY] = json.dumps([[a.hex(), k.hex()] for a, k in pairs]).encode()
            db.commit()
        return backend
    backend = _PendingBackend()  # eth-tester's 10 default keys: cheap; replaced by the kept ones
    backend.use_keys([(bytes.fromhex(a), bytes.fromhex(k)) for a, k in json.loads(kept.decode())])
    return backend


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
            self.db = JournaledDB(folder / JOURNAL_NAME, read_only=self.read_only)
        except BaseException:
            if self._lock_file is not None:
                self._lock_file.close()
            raise
        fresh = len(self.db) == 0
        if not fresh:
            accounts = int(self.db[_ACCOUNTS_KEY].decode())
        backend = _dev_backend(self.db, accounts, writable=not self.read_only)
        if fresh:
            genesis_db = backend.chain.chaindb.db
            for key, value in _memory_items(genesis_db):
                self.db[key] = value
            self.db[_ACCOUNTS_KEY] = str(accounts).encode()
            self.db.commit()
        # reopen the chain class eth-tester built, on our journaled store, at its canonical head
        backend.chain = type(backend.chain)(AtomicDB(self.db))
        self.db.head_of = lambda: int(backend.chain.get_canonical_head().block_number)
        if not fresh:
            self.db.compact_if_worthwhile()
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
