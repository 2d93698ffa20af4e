"""Storage errors: each message says in plain words what went wrong and what to do."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage/ raises on purpose."""


class InvalidCid(StorageError, ValueError):
    """The text is not a CID this product can use (a CIDv0 'Qm...' or a dag-pb sha2-256 CIDv1)."""


class NotFound(StorageError, LookupError):
    """The content is not in the store (or the node could not find it)."""


class CorruptContent(StorageError):
    """Stored bytes no longer hash to their CID: they are reported, never served."""


class DaemonUnavailable(StorageError, ConnectionError):
    """The IPFS node is down, too slow, or answered with an error."""
