"""An incremental, in-memory index of BountyBoard's events, so a page run stays fast at any size.

Why: on the embedded chain one ``eth_getLogs`` over the whole history costs seconds once a
bounty has a few hundred transactions, and ``submissionOf`` costs tens of milliseconds per
participant, so reading a 200-submission bounty from scratch takes far longer than the one
second a page run may take. The index asks only for the logs of blocks it has not seen yet
(milliseconds), keeps them decoded, and derives the submission table from them: who committed
(order, latest commitment, replacements), who revealed, and each score. Hyperparameters and
scores are not in the events (the contract keeps its logs small), so they come from the
calldata of the ``reveal`` and ``postScores`` transactions those events point to (one
transaction lookup per reveal and per score batch, never an EVM call); a transaction sent
through another contract (a multisig) has no such calldata, and that participant is read with
the contract's ``submissionOf`` view instead.

A chain that went back (a dev chain's snapshot revert) is noticed by the hash of the last
indexed block, and the index starts again.

The index is also kept on disk (``index/<chain id>-<board address>.json`` under the data dir,
replaced atomically after each change), so a restarted dashboard reads only the blocks mined
since, instead of scanning and decoding the whole history again; a missing, unreadable or
outdated file (another chain at that address, a chain that went back) just means a full scan.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from hexbytes import HexBytes

from chain.client import plain_value
from durable import atomic_write_text
from protocol import Hyperparameters


class BoardIndex:
    """Events of one BountyBoard, decoded, with block timestamps; ``refresh`` adds new blocks only."""

    FORMAT = 1

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._lock = threading.RLock()
        self._reset()
        self._load()

    def _reset(self) -> None:
        client = self.backend.client
        self._events: list[Any] = []
        self._next_block = int(client.from_block)
        self._last_hash: bytes | None = None
        self._timestamps: dict[int, int] = {}
        self._calldata: dict[str, Any] = {}  # tx hash -> decoded (function name, params) or None
        self._hp_fields: list[str] | None = None  # the Hyperparameters struct's field names, in order
        self._topics = {
            bytes(event_abi_to_log_topic(e)): e["name"] for e in client.abi if e.get("type") == "event"
        }

    # ---------------------------------------------------------------- reading the chain

    def refresh(self) -> None:
        with self._lock:
            w3 = self.backend.chain.w3
            with self.backend.lock:
                latest = int(w3.eth.block_number)
                if self._last_hash is not None:
                    seen = w3.eth.get_block(self._next_block - 1) if latest >= self._next_block - 1 else None
                    if seen is None or bytes(seen["hash"]) != self._last_hash:
                        self._reset()  # the chain went back: start again
                if latest < self._next_block:
                    return
                logs = w3.eth.get_logs(
                    {"address": self.backend.client.address, "fromBlock": self._next_block, "toBlock": latest}
                )
                last = w3.eth.get_block(latest)
            for log in logs:
                event = self._decode(log)
                if event is not None:
                    self._events.append(event)
            self._next_block = latest + 1
            self._last_hash = bytes(last["hash"])
            self._timestamps[latest] = int(last["timestamp"])
            self._save()

    # ---------------------------------------------------------------- kept on disk

    def _file(self) -> Path:
        b = self.backend
        return b.settings.path("index", f"{b.chain.chain_id}-{b.client.address}.json")

    def _load(self) -> None:
        """Start from the saved index when there is a readable one for this chain and board."""
        try:
            saved = json.loads(self._file().read_text(encoding="utf-8"))
            if saved.get("format") != self.FORMAT or saved.get("address") != self.backend.client.address:
                return
            from chain.client import Event

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
            "address": self.backend.client.address,
            "next_block": self._next_block,
            "last_hash": self._last_hash.hex(),
            "events": [[e.name, _encoded(e.args), e.block, e.tx_hash, e.log_index] for e in self._events],
            "calldata": {tx: _encoded(call) for tx, call in self._calldata.items()},
            "timestamps": {str(block): ts for block, ts in self._timestamps.items()},
        }
        with contextlib.suppress(OSError):  # a cache: if it cannot be written, the next restart scans again
            atomic_write_text(self._file(), json.dumps(document, separators=(",", ":")))

    def _decode(self, log: Any) -> Any:
        from chain.client import Event

        topics = log.get("topics") or []
        name = self._topics.get(bytes(HexBytes(topics[0]))) if topics else None
        if name is None:
            return None
        decoded = getattr(self.backend.client.contract.events, name)().process_log(log)
        args = {k: plain_value(v) for k, v in decoded["args"].items()}
        return Event(
            name,
            args,
            int(log["blockNumber"]),
            HexBytes(log["transactionHash"]).to_0x_hex(),
            int(log["logIndex"]),
        )

    def _timestamp(self, block: int) -> int:
        if block not in self._timestamps:
            with self.backend.lock:
                self._timestamps[block] = int(self.backend.chain.w3.eth.get_block(block)["timestamp"])
        return self._timestamps[block]

    def _call_of(self, tx_hash: str) -> Any:
        """(function name, params) of a transaction sent straight to the board; None otherwise."""
        if tx_hash not in self._calldata:
            client = self.backend.client
            with self.backend.lock:
                tx = self.backend.chain.w3.eth.get_transaction(tx_hash)
            decoded = None
            if tx.get("to") and to_checksum_address(tx["to"]) == client.address:
                try:
                    function, params = client.contract.decode_function_input(tx["input"])
                    decoded = (function.fn_name, plain_value(params))
                except Exception:
                    decoded = None
            self._calldata[tx_hash] = decoded
        return self._calldata[tx_hash]

    # ---------------------------------------------------------------- what pages read

    def events(self, bounty_id: int | None = None) -> list[Any]:
        """Events (of one bounty, or all) oldest first, each with its block's timestamp."""
        from chain.client import Event

        self.refresh()
        with self._lock:
            chosen = [
                e
                for e in self._events
                if bounty_id is None or int(e.args.get("bountyId", -1)) == int(bounty_id)
            ]
            return [
                Event(e.name, e.args, e.block, e.tx_hash, e.log_index, self._timestamp(e.block))
                for e in chosen
            ]

    def submissions(self, bounty_id: int) -> list[Any]:
        """Every submission of a bounty in commit order, as ``chain.client.Submission``."""
        from chain.client import Submission

        self.refresh()
        with self._lock:
            mine = [e for e in self._events if int(e.args.get("bountyId", -1)) == int(bounty_id)]
            known_calls = len(self._calldata)
            commits: dict[str, dict[str, Any]] = {}
            hps: dict[str, Hyperparameters | None] = {}
            scores: dict[str, int] = {}
            shares: set[str] = set()
            unknown: set[str] = set()
            for event in mine:
                who = event.args.get("participant")
                if event.name == "Committed":
                    row = commits.setdefault(who, {"order": int(event.args["commitOrder"]), "count": 0})
                    row["commitment"] = event.args["commitment"]
                    row["count"] += 1
                elif event.name == "Revealed":
                    hp = self._revealed_hp(event)
                    hps[who] = hp
                    if hp is None:
                        unknown.add(who)
                elif event.name == "ScoresPosted":
                    batch = self._posted_scores(event)
                    if batch is None:
                        unknown.update(hps)  # a batch we cannot read: ask the contract about revealers
                    else:
                        scores.update(batch)
                elif event.name == "ShareClaimed":
                    shares.add(who)
            rows = []
            for who, row in commits.items():
                revealed = who in hps
                hp, score = hps.get(who), scores.get(who)
                if who in unknown or (revealed and hp is None):
                    view = self.backend.client.submission_view(bounty_id, who)
                    hp = view["hyperparameters"]
                    score = view["accuracy_ppm"] if view["scored"] else score
                rows.append(
                    Submission(
                        participant=who,
                        commit_order=row["order"],
                        commitment=row["commitment"],
                        commit_count=row["count"],
                        revealed=revealed,
                        hyperparameters=hp if revealed else None,
                        scored=score is not None,
                        accuracy_ppm=score,
                        share_claimed=who in shares,
                    )
                )
            if len(self._calldata) != known_calls:
                self._save()
            return sorted(rows, key=lambda s: s.commit_order)

    def _revealed_hp(self, event: Any) -> Hyperparameters | None:
        call = self._call_of(event.tx_hash)
        if call is None or call[0] != "reveal":
            return None
        try:
            return Hyperparameters.from_tuple(self._struct_values(call[1]["hp"]))
        except Exception:
            return None

    def _struct_values(self, hp: Any) -> tuple[int, ...]:
        """The struct's values in Solidity order: web3 8 decodes a struct argument as a dict keyed by
        field name (``tuple()`` of that dict would give the names), older versions as a tuple."""
        if not hasattr(hp, "items"):
            return tuple(hp)
        if self._hp_fields is None:
            abi = self.backend.client.abi
            reveal = next(e for e in abi if e.get("type") == "function" and e.get("name") == "reveal")
            struct = next(i for i in reveal["inputs"] if i["name"] == "hp")
            self._hp_fields = [c["name"] for c in struct["components"]]
        return tuple(hp[name] for name in self._hp_fields)

    def _posted_scores(self, event: Any) -> dict[str, int] | None:
        call = self._call_of(event.tx_hash)
        if call is None or call[0] != "postScores":
            return None
        params = call[1]
        return {
            to_checksum_address(p): int(a)
            for p, a in zip(params["participants"], params["accuraciesPpm"], strict=True)
        }


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
