"""The one configuration object of HyperBounty.

Every setting comes from an environment variable with a default that works on
a fresh clone with nothing else running: the embedded chain, the embedded
IPFS store and the bundled price data. Everything the product writes goes
below ``data_dir`` so one folder holds all state (``python -m cli reset-chain`` resets
the chain, index and caches there and keeps salts and keys).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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
    ipfs_gateway: str = "https://ipfs.io"
    coinpaprika_api_key: str = ""
    # How many funded dev accounts after the owner are offered as participants.
    participants: int = 5
    anvil_port: int = 8545
    # The chain id this install expects (HYPERBOUNTY_CHAIN_ID); None: whatever the node is. A node on
    # another chain is refused before anything is read or signed there.
    chain_id: int | None = None
    node_tools_dir: Path = field(default_factory=lambda: REPO_ROOT / "tools" / "node")
    # A native solc 0.8.37 to compile with; empty: `solc` on PATH if it is 0.8.37, else the solcjs shim.
    solc: str = ""

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
        node_tools_dir=Path(_env("HYPERBOUNTY_NODE_TOOLS", str(defaults.node_tools_dir))),
        solc=_env("HYPERBOUNTY_SOLC", defaults.solc),
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return settings_from_env()
