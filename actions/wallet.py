"""The sidebar's wallet: which board this network has, and keystore accounts a person unlocks.

Kept apart from the bounty actions because it concerns the network and the person at the
keyboard, not any one bounty: on a real network the node signs for no one, so a v3 keystore is
imported into the data folder and unlocked for this session only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chain.accounts import Keystore, LocalSigner

if TYPE_CHECKING:
    from actions.session import Backend


def board_address(backend: Backend) -> str | None:
    """The BountyBoard address, or None where none is deployed (a fresh RPC network)."""
    try:
        return backend.client.address
    except Exception:
        return None


def unlock_keystore(backend: Backend, keyfile: bytes, password: str) -> LocalSigner:
    """Import a v3 keystore file and unlock it; the signer lives only in the caller's session."""
    keystore = Keystore.open(backend.settings)
    address = keystore.import_keyfile(keyfile.decode("utf-8", errors="replace"))
    return keystore.unlock(address, password)
