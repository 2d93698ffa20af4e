"""IPFS storage for HyperBounty (public API; work in progress: backends follow)."""

from storage.cid import cid_to_digest, digest_to_cid, ipfs_cid, normalize_cid
from storage.errors import CorruptContent, DaemonUnavailable, InvalidCid, NotFound, StorageError

__all__ = [
    "CorruptContent",
    "DaemonUnavailable",
    "InvalidCid",
    "NotFound",
    "StorageError",
    "cid_to_digest",
    "digest_to_cid",
    "ipfs_cid",
    "normalize_cid",
]
