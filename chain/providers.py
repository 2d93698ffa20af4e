"""One connection API over three chains; ``chain.connect`` (in ``chain/__init__.py``) picks one by
``settings.chain``, so this base module never imports the chains built on it.

Modelled on ApeWorX ape's providers: :class:`ChainConnection` is the small surface every chain
offers (a ``web3.Web3``, its chain id, the funded dev accounts, ``close``); the powers only a
development chain has (move its clock, mine, snapshot and revert) live on :class:`DevChain`, so
code that holds a plain connection cannot use them by accident on a real network.

- ``"embedded"``: py-evm in this process (eth-tester), its state journaled to the data dir
  (``chain/embedded.py``); the default, needs nothing but pip.
- ``"anvil"``: a managed anvil subprocess on 127.0.0.1 with ``--state`` in the data dir
  (``chain/anvil.py``).
- an ``http(s)://`` URL: any node; no dev powers, no node-managed accounts (an anvil or hardhat
  dev node reached by URL still pays new accounts from its dev keys: ``funds_new_accounts``).

``genesis_hash`` (block 0) tells two chains with the same id apart: a reset dev chain keeps 31337.

Every connection carries ``lock`` (a re-entrant lock): Streamlit sessions share one connection
from ``st.cache_resource``, so whoever sends a transaction holds the lock from reading the nonce
to handing the signed transaction over, and the embedded chain serialises every request on it
because eth-tester's state is not thread-safe.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cached_property
from typing import NamedTuple, TypeVar

from hexbytes import HexBytes
from web3 import Web3
from web3.types import RPCEndpoint

from chain.errors import ChainError, NodeUnavailable, node_down_message

RPC_TIMEOUT_S = 10
# what DevChain.snapshot returns and revert takes: eth-tester numbers snapshots, anvil names them (hex)
SnapshotId = int | str
_T = TypeVar("_T")


class Head(NamedTuple):
    """The latest block: its number and timestamp (the chain's clock)."""

    number: int
    timestamp: int


class ChainConnection:
    """A connected chain. ``kind`` is "embedded", "anvil" or "rpc"."""

    kind: str = "rpc"

    def __init__(self, w3: Web3, lock: threading.RLock | None = None) -> None:
        self.w3 = w3
        self.lock = lock or threading.RLock()
        self._closed = False
        self.chain_id: int = int(self._call(lambda: w3.eth.chain_id))
        if self.is_dev:
            # contract views answer at the time the next transaction will see (:meth:`next_block_time`):
            # a phase read on an idle dev chain is the phase a transaction sent now meets, not the latest
            # block's (which can be minutes old). No transaction waits in a dev chain's pending block.
            w3.eth.default_block = "pending"

    @property
    def is_dev(self) -> bool:
        return isinstance(self, DevChain)

    @property
    def description(self) -> str:
        """One line for the dashboard's sidebar."""
        return f"{self.kind} chain, id {self.chain_id}"

    def accounts(self) -> list[str]:
        """Funded accounts the node signs for; [] where the node manages none (use a keystore)."""
        return []

    @cached_property
    def genesis_hash(self) -> str:
        """Block 0's hash (0x hex), read once. With the chain id it names one chain: a dev chain that was
        reset keeps its id but gets a new genesis block, so what was remembered for it is stale."""
        block = self._call(lambda: self.w3.eth.get_block(0))
        return HexBytes(block["hash"]).to_0x_hex()

    @cached_property
    def funds_new_accounts(self) -> bool:
        """Whether the node holds funded dev keys that may pay a new account (dev chains); a real network
        never does: there ETH comes from a wallet, an exchange or a faucet."""
        return self.is_dev

    def close(self) -> None:
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the chain's clock: the one implementation; the client and the actions layer ask here --
    #
    # "Now" is the time the next transaction will see (:meth:`next_block_time`): the embedded chain's
    # next block and anvil's pending block take the wall clock plus the offset a dev chain was advanced
    # by, so an idle chain's latest block lags behind it. Deadlines, phases and countdowns use "now";
    # :meth:`head` is only where the latest block is itself the subject (its number, cache keys).

    def head(self) -> Head:
        """Number and timestamp of the latest block, read together (one request)."""
        block = self._call(lambda: self.w3.eth.get_block("latest"))
        return Head(int(block["number"]), int(block["timestamp"]))

    def latest_timestamp(self) -> int:
        """The latest block's timestamp (never the wall clock); "now" is :meth:`next_block_time`."""
        return self.head().timestamp

    def latest_block(self) -> int:
        return int(self._call(lambda: self.w3.eth.block_number))

    def next_block_time(self) -> int:
        """The chain's "now": the timestamp the next transaction will see, i.e. the pending block's (one
        request; the embedded chain and anvil both date it as their next block). A node that gives no
        pending block: its next block comes at the wall clock, never before the latest block."""
        try:
            return int(self._call(lambda: self.w3.eth.get_block("pending"))["timestamp"])
        except NodeUnavailable:
            raise
        except Exception:  # a node without a pending block
            return max(self.latest_timestamp(), int(time.time()))

    def _call(self, fn: Callable[[], _T]) -> _T:
        """Run one node request, turning a dead connection into a sentence."""
        try:
            return fn()
        except ChainError:
            raise
        except (ConnectionError, OSError) as exc:
            raise NodeUnavailable(node_down_message(self.endpoint)) from exc
        except Exception as exc:
            if type(exc).__name__ in {"ConnectionError", "ReadTimeout", "ConnectTimeout", "Timeout"}:
                raise NodeUnavailable(node_down_message(self.endpoint)) from exc
            raise

    @property
    def endpoint(self) -> str:
        return self.kind

    def __enter__(self) -> ChainConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


class DevChain(ChainConnection, ABC):
    """A development chain whose clock and blocks the user controls (embedded or anvil)."""

    @abstractmethod
    def set_next_timestamp(self, ts: int) -> None:
        """The next mined block gets exactly ``ts`` (must be after the latest block)."""

    @abstractmethod
    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks, each one second or more after the previous."""

    @abstractmethod
    def snapshot(self) -> SnapshotId:
        """An id for the current state, for :meth:`revert`."""

    @abstractmethod
    def revert(self, snapshot_id: SnapshotId) -> None:
        """Go back to the state of ``snapshot_id`` (blocks after it are dropped)."""

    def advance_time(self, seconds: int) -> int:
        """Mine one block exactly ``seconds`` after the latest one; later blocks keep counting from it.

        Returns the new latest timestamp. The dashboard's time control uses :meth:`advance_clock`
        (counted from now), so a demo walks through the submission, reveal and evaluation windows in minutes.
        """
        seconds = int(seconds)
        if seconds < 1:
            raise ChainError("Advance the chain's clock by at least one second.")
        with self.lock:
            target = self.latest_timestamp() + seconds
            self.set_next_timestamp(target)
            self.mine(1)
        return target

    def advance_clock(self, seconds: int) -> int:
        """Move "now" (:meth:`next_block_time`) forward by ``seconds``: mine one empty block that much
        after now, however long the chain sat idle. Returns the new block's timestamp. The dashboard's
        "Advance time" (:meth:`advance_time` counts from the latest block, which lags behind now)."""
        with self.lock:
            return self.advance_time(self.next_block_time() - self.latest_timestamp() + int(seconds))

    def _check_future(self, ts: int) -> int:
        ts = int(ts)
        latest = self.latest_timestamp()
        if ts <= latest:
            raise ChainError(
                f"The next block must come after the latest one (timestamp {latest}); "
                f"{ts} is not later. A chain's clock never goes back."
            )
        return ts


class RpcConnection(ChainConnection):
    """Any node reached over HTTP(S): a testnet, mainnet, or a node the user runs."""

    kind = "rpc"

    def __init__(self, url: str) -> None:
        self.url = url
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": RPC_TIMEOUT_S}))
        try:
            super().__init__(w3)
        except NodeUnavailable:
            raise
        except Exception as exc:
            raise NodeUnavailable(
                f"Something answers at {url}, but not as an Ethereum JSON-RPC node ({type(exc).__name__}); "
                "check the URL or set HYPERBOUNTY_CHAIN=embedded."
            ) from exc

    @property
    def endpoint(self) -> str:
        return self.url

    @cached_property
    def funds_new_accounts(self) -> bool:
        """True for an anvil or hardhat dev node reached by URL (its client version names it and it lists
        unlocked accounts), so installs sharing one local node can fund their keystore accounts."""
        try:
            version = self.w3.provider.make_request(RPCEndpoint("web3_clientVersion"), []).get("result")
            unlocked = self.w3.eth.accounts
        except Exception:  # a node that hides these: not a dev node
            return False
        name = str(version or "").lower()
        return name.startswith(("anvil", "hardhat")) and len(unlocked) > 0

    @property
    def description(self) -> str:
        return f"RPC {self.url}, chain id {self.chain_id}"
