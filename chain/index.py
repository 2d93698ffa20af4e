"""The one reader of bounty state from BountyBoard's logs and calldata: an incremental, cached index.

Why an index: on the embedded chain one ``eth_getLogs`` over the whole history costs seconds once a
bounty has a few hundred transactions, and ``submissionOf`` costs tens of milliseconds per
participant, so reading a 200-submission bounty from scratch takes far longer than the one second a
page run may take. :class:`BoardIndex` asks only for the logs of blocks it has not seen yet
(milliseconds), keeps them decoded, and derives the submission table from them with
:func:`fold_submissions`: who committed (order, latest commitment, replacements), who revealed, and
each score. Hyperparameters and scores are not in the events (the contract keeps its logs small), so
they come from the calldata of the ``reveal`` and ``postScores`` transactions those events point to
(one transaction lookup per reveal and per score batch, never an EVM call); a transaction sent
through another contract (a multisig) has no such calldata, and that participant is read with the
contract's ``submissionOf`` view instead.

A chain that went back (a dev chain's snapshot revert) is noticed by the hash of the last indexed
block, and the index starts again.

The index is also kept on disk (the ``path`` it is given, replaced atomically after each change), so
a restarted dashboard reads only the blocks mined since, instead of scanning and decoding the whole
history again; a missing, unreadable, damaged (it carries a SHA-256 of its content) or outdated file
(another chain at that address, a chain that went back) just means a full scan.

Logs and calldata are decoded by the client (:meth:`BountyBoardClient.decode_log`,
:meth:`BountyBoardClient.decode_call`); every web3 read here holds the connection's lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from eth_typing import HexStr
from eth_utils import to_checksum_address

from chain.client import BountyBoardClient, Call, Event, Submission, hyperparameters_from_struct
from chain.providers import ChainConnection
from durable import atomic_write_text
from protocol import Hyperparameters

# events whose transaction's calldata carries what the event does not (hyperparameters, scores)
CALLDATA_EVENTS = ("Revealed", "ScoresPosted")


def fold_submissions(
    events: Iterable[Event], calls: Mapping[str, Call | None]
) -> tuple[list[Submission], set[str]]:
    """One bounty's submission table from its events (oldest first) and the decoded calldata of its
    ``Revealed`` and ``ScoresPosted`` transactions (by transaction hash; None: not readable).

    Returns the rows in commit order, and the participants whose hyperparameters or score the events
    and calldata cannot tell (revealed through another contract, or a score batch that cannot be
    read): their rows must be completed from the contract's ``submissionOf`` view.
    """
    commits: dict[str, dict[str, Any]] = {}
    hps: dict[str, Hyperparameters | None] = {}
    scores: dict[str, int] = {}
    shares: set[str] = set()
    unread: set[str] = set()
    for event in events:
        if event.name == "Committed":
            who = event.args["participant"]
            row = commits.setdefault(who, {"order": int(event.args["commitOrder"]), "count": 0})
            row["commitment"] = event.args["commitment"]
            row["count"] += 1
        elif event.name == "Revealed":
            who = event.args["participant"]
            hps[who] = _revealed_hp(calls.get(event.tx_hash))
            if hps[who] is None:
                unread.add(who)
        elif event.name == "ScoresPosted":
            batch = _posted_scores(calls.get(event.tx_hash))
            if batch is None:
                unread.update(hps)  # a batch we cannot read: ask the contract about the revealers
            else:
                scores.update(batch)
        elif event.name == "ShareClaimed":
            shares.add(event.args["participant"])
    rows = [
        Submission(
            participant=who,
            commit_order=row["order"],
            commitment=row["commitment"],
            commit_count=row["count"],
            revealed=who in hps,
            hyperparameters=hps.get(who),
            scored=who in scores,
            accuracy_ppm=scores.get(who),
            share_claimed=who in shares,
        )
        for who, row in commits.items()
    ]
    return sorted(rows, key=lambda s: s.commit_order), unread


def _revealed_hp(call: Call | None) -> Hyperparameters | None:
    if call is None or call[0] != "reveal":
        return None
    try:
        return hyperparameters_from_struct(call[1]["hp"])
    except Exception:
        return None


def _posted_scores(call: Call | None) -> dict[str, int] | None:
    if call is None or call[0] != "postScores":
        return None
    params = call[1]
    return {
        to_checksum_address(p): int(a)
        for p, a in zip(params["participants"], params["accuraciesPpm"], strict=True)
    }


class BoardIndex:
    """Events of one BountyBoard, decoded, with block timestamps; ``refresh`` adds new blocks only."""

    FORMAT = 2  # 2: with a digest of the rest of the document

    def __init__(self, conn: ChainConnection, client: BountyBoardClient, path: Path) -> None:
        self.conn = conn
        self.client = client
        self.path = Path(path)
        self._lock = threading.RLock()
        self._reset()
        self._load()

    def _reset(self) -> None:
        self._events: list[Event] = []
        self._next_block = int(self.client.from_block)
        self._last_hash: bytes | None = None
        self._timestamps: dict[int, int] = {}
        self._calldata: dict[str, Call | None] = {}  # tx hash -> decoded call, None: not readable

    # ---------------------------------------------------------------- reading the chain

    def refresh(self) -> None:
        """Index the blocks mined since the last call (all of them after a chain went back)."""
        with self._lock:
            w3 = self.conn.w3
            with self.conn.lock:
                latest = int(w3.eth.block_number)
                if self._last_hash is not None:
                    seen = w3.eth.get_block(self._next_block - 1) if latest >= self._next_block - 1 else None
                    if seen is None or bytes(seen["hash"]) != self._last_hash:
                        self._reset()  # the chain went back: start again
                if latest < self._next_block:
                    return
                logs = w3.eth.get_logs(
                    {"address": self.client.address, "fromBlock": self._next_block, "toBlock": latest}
                )
                last = w3.eth.get_block(latest)
            self._events.extend(e for e in map(self.client.decode_log, logs) if e is not None)
            self._next_block = latest + 1
            self._last_hash = bytes(last["hash"])
            self._timestamps[latest] = int(last["timestamp"])
            self._save()

    def _timestamp(self, block: int) -> int:
        if block not in self._timestamps:
            with self.conn.lock:
                self._timestamps[block] = int(self.conn.w3.eth.get_block(block)["timestamp"])
        return self._timestamps[block]

    def _call_of(self, tx_hash: str) -> Call | None:
        if tx_hash not in self._calldata:
            with self.conn.lock:
                tx = self.conn.w3.eth.get_transaction(HexStr(tx_hash))
            self._calldata[tx_hash] = self.client.decode_call(tx)
        return self._calldata[tx_hash]

    # ---------------------------------------------------------------- kept on disk

    def _load(self) -> None:
        """Start from the saved index when there is a readable one for this board."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved.get("format") != self.FORMAT or saved.get("address") != self.client.address:
                return
            if saved.pop("digest", None) != _digest(saved):
                return  # damaged (a flipped byte can still be valid JSON): scan from the start
            events = [Event(e[0], _decoded(e[1]), int(e[2]), e[3], int(e[4])) for e in saved["events"]]
            calldata = {tx: _decoded(call) for tx, call in saved["calldata"].items()}
            timestamps = {int(block): int(ts) for block, ts in saved["timestamps"].items()}
            next_block, last_hash = int(saved["next_block"]), bytes.fromhex(saved["last_hash"])
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return  # missing or unreadable: scan from the start
        self._events, self._calldata, self._timestamps = events, calldata, timestamps
        self._next_block, self._last_hash = next_block, last_hash

    def _save(self) -> None:
        if self._last_hash is None:
            return
        document = {
            "format": self.FORMAT,
            "address": self.client.address,
            "next_block": self._next_block,
            "last_hash": self._last_hash.hex(),
            "events": [[e.name, _encoded(e.args), e.block, e.tx_hash, e.log_index] for e in self._events],
            "calldata": {tx: _encoded(call) for tx, call in self._calldata.items()},
            "timestamps": {str(block): ts for block, ts in self._timestamps.items()},
        }
        document["digest"] = _digest(document)
        with contextlib.suppress(OSError):  # a cache: if it cannot be written, the next restart scans again
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(document, separators=(",", ":")))

    # ---------------------------------------------------------------- what pages read

    def events(self, bounty_id: int | None = None) -> list[Event]:
        """Events (of one bounty, or all) oldest first, each with its block's timestamp."""
        self.refresh()
        with self._lock:
            return [
                dataclasses.replace(e, timestamp=self._timestamp(e.block)) for e in self._of_bounty(bounty_id)
            ]

    def submissions(self, bounty_id: int) -> list[Submission]:
        """Every submission of a bounty in commit order (:func:`fold_submissions`), rows the logs and
        calldata cannot complete read from ``submissionOf``."""
        self.refresh()
        with self._lock:
            mine = self._of_bounty(bounty_id)
            known_calls = len(self._calldata)
            calls = {e.tx_hash: self._call_of(e.tx_hash) for e in mine if e.name in CALLDATA_EVENTS}
            rows, unread = fold_submissions(mine, calls)
            if len(self._calldata) != known_calls:
                self._save()
        return [self._from_view(bounty_id, row) if row.participant in unread else row for row in rows]

    def _of_bounty(self, bounty_id: int | None) -> list[Event]:
        if bounty_id is None:
            return list(self._events)
        return [e for e in self._events if int(e.args.get("bountyId", -1)) == int(bounty_id)]

    def _from_view(self, bounty_id: int, row: Submission) -> Submission:
        """A revealed row completed from the contract's view (hyperparameters, and the score if set)."""
        view = self.client.submission_view(bounty_id, row.participant)
        score = view["accuracy_ppm"] if view["scored"] else row.accuracy_ppm
        return dataclasses.replace(
            row,
            hyperparameters=view["hyperparameters"] if row.revealed else None,
            scored=score is not None,
            accuracy_ppm=score,
        )


def _digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of the saved index without its digest, as it is written (key order kept)."""
    return hashlib.sha256(json.dumps(document, separators=(",", ":")).encode()).hexdigest()


def _encoded(value: Any) -> Any:
    """A decoded event or call as JSON: bytes and dicts are tagged so they come back as they were."""
    if isinstance(value, bytes):
        return {"b": value.hex()}
    if isinstance(value, dict):
        return {"d": {k: _encoded(v) for k, v in value.items()}}
    if isinstance(value, tuple | list):
        return [_encoded(v) for v in value]
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if "b" in value:
            return bytes.fromhex(value["b"])
        return {k: _decoded(v) for k, v in value["d"].items()}
    if isinstance(value, list):
        return tuple(_decoded(v) for v in value)
    return value
