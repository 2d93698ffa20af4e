"""The one configuration object of HyperBounty.

Every setting comes from an environment variable with a default that works on
a fresh clone with nothing else running: the embedded chain, the embedded
IPFS store and the bundled price data. Everything the product writes goes
below ``data_dir`` so one folder holds all state (``python -m cli reset-chain`` resets
the chain, index and caches there and keeps salts and keys).

A value that cannot be right (a chain id that is not a number, a board address that is not an
address) stops the program with a sentence naming the variable, before anything is read or signed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from eth_utils import is_address, is_checksum_address, to_checksum_address

REPO_ROOT = Path(__file__).resolve().parent

EMBEDDED_CHAIN = "embedded"
ANVIL_CHAIN = "anvil"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :func:`get_settings` or directly in tests."""

    data_dir: Path = field(default_factory=lambda: REPO_ROOT / ".hyperbounty")
    # "embedded" (py-evm in process), "anvil" (managed local node) or an RPC URL.
    chain: str = EMBEDDED_CHAIN
    # Empty: the embedded content-addressed store. Else a multiaddr or URL of an
    # IPFS HTTP RPC API, e.g. /ip4/127.0.0.1/tcp/5001/http.
    ipfs_api: str = ""
    ipfs_gateway: str = ""  # an HTTP gateway to fetch (verified) content from; "": none, no network
    coinpaprika_api_key: str = ""
    # How many funded dev accounts after the owner are offered as participants.
    participants: int = 5
    anvil_port: int = 8545
    # The chain id this install expects (HYPERBOUNTY_CHAIN_ID); None: whatever the node is. A node on
    # another chain is refused before anything is read or signed there.
    chain_id: int | None = None
    # The BountyBoard this install uses (HYPERBOUNTY_BOARD), checked against this release's code when it
    # is joined; empty: the board the data dir remembers for this chain (a dev chain deploys one first).
    board: str = ""
    # Blocks to wait for after a deployment on a network that is not a dev chain (those mine at once).
    confirmations: int = 1
    # A file whose first line is the keystore password, for the per-role commands (read by cli/ only).
    password_file: str = ""
    node_tools_dir: Path = field(default_factory=lambda: REPO_ROOT / "tools" / "node")
    # A native solc 0.8.37 to compile with; empty: `solc` on PATH if it is 0.8.37, else the solcjs shim.
    solc: str = ""
    # Ray cluster for trainings (auto, ray://host:port or host:port); empty: a local process pool.
    ray_address: str = ""
    # Seconds one training task may run before it is stopped and reported failed; 0: no limit.
    task_timeout_s: float = 3600.0

    def path(self, *parts: str) -> Path:
        """A folder or file below the data directory; folders are created on demand."""
        target = self.data_dir.joinpath(*parts)
        folder = target if not target.suffix else target.parent
        folder.mkdir(parents=True, exist_ok=True)
        return target

    @property
    def is_dev_chain(self) -> bool:
        return self.chain in (EMBEDDED_CHAIN, ANVIL_CHAIN)


def settings_from_env() -> Settings:
    """Read the environment now (tests call this after monkeypatching)."""
    defaults = Settings()
    return Settings(
        data_dir=Path(_env("HYPERBOUNTY_DATA_DIR", str(defaults.data_dir))).expanduser().resolve(),
        chain=_env("HYPERBOUNTY_CHAIN", defaults.chain),
        ipfs_api=_env("HYPERBOUNTY_IPFS_API", defaults.ipfs_api),
        ipfs_gateway=_env("HYPERBOUNTY_IPFS_GATEWAY", defaults.ipfs_gateway),
        coinpaprika_api_key=_env("COINPAPRIKA_API_KEY", defaults.coinpaprika_api_key),
        participants=int(_env("HYPERBOUNTY_PARTICIPANTS", str(defaults.participants))),
        anvil_port=int(_env("HYPERBOUNTY_ANVIL_PORT", str(defaults.anvil_port))),
        chain_id=_chain_id(_env("HYPERBOUNTY_CHAIN_ID", "")),
        board=_board(_env("HYPERBOUNTY_BOARD", defaults.board)),
        confirmations=_confirmations(_env("HYPERBOUNTY_CONFIRMATIONS", str(defaults.confirmations))),
        password_file=_env("HYPERBOUNTY_PASSWORD_FILE", defaults.password_file),
        node_tools_dir=Path(_env("HYPERBOUNTY_NODE_TOOLS", str(defaults.node_tools_dir))),
        solc=_env("HYPERBOUNTY_SOLC", defaults.solc),
        ray_address=_env("HYPERBOUNTY_RAY_ADDRESS", defaults.ray_address),
        task_timeout_s=float(_env("HYPERBOUNTY_TASK_TIMEOUT_S", str(defaults.task_timeout_s))),
    )


def _chain_id(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) == 0:
        raise ValueError(
            f"HYPERBOUNTY_CHAIN_ID={text!r} is not a chain id: use a whole number such as 1 (Ethereum) "
            "or 31337 (a local anvil), or leave it empty to accept the node's chain."
        )
    return int(text)


def _board(text: str) -> str:
    if not text:
        return ""
    if not is_address(text):
        raise ValueError(
            f"HYPERBOUNTY_BOARD={text!r} is not an Ethereum address: give the BountyBoard's address (0x "
            "followed by 40 hex digits, as its deployer shared it), or leave it empty to use the remembered "
            "board."
        )
    digits = text[2:] if text.lower().startswith("0x") else text
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(text):
        raise ValueError(
            f"HYPERBOUNTY_BOARD={text!r} has a wrong checksum (its mix of capital letters): it was mistyped; "
            "copy the address again."
        )
    return to_checksum_address(text)


def _confirmations(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"HYPERBOUNTY_CONFIRMATIONS={text!r} is not a number of blocks: use a whole number of at least 1 "
            "(1 trusts the block that includes the deployment; more wait for that many blocks)."
        )
    return int(text)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return settings_from_env()
