"""IPFS storage: exact kubo CIDs, an embedded store, a real node over RPC, verified reads from any gateway.

Datasets, task manifests and evaluation reports are named on chain by the
sha256 digest inside their CIDv0, so every CID computed here is the one
``ipfs add FILE`` prints with kubo's defaults, and both backends store content
under that same CID.

CIDs (no store needed)::

    ipfs_cid(data: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO) -> str
        # CIDv0 as `ipfs add` prints it; a str is a file PATH (hash text with text.encode());
        # streams files in bounded memory at close to sha256 speed
    cid_to_digest(cid: str) -> bytes     # the 32-byte sha256 the contract stores (bytes32)
    digest_to_cid(digest: bytes) -> str  # back to 'Qm...'
    normalize_cid(cid: str) -> str       # validate; a dag-pb 'bafy...' CIDv1 becomes its CIDv0

Stores::

    open_store(settings: Settings | None = None) -> ContentStore
        # embedded store under settings.path("ipfs") by default;
        # KuboStore when settings.ipfs_api (HYPERBOUNTY_IPFS_API) names an IPFS RPC API
    ContentStore
        .kind                    # "embedded" | "kubo"
        .add(data | path | stream) -> str     # stores and pins; returns the CID
        .cat(cid) -> bytes                     # checked against the CID before it is returned
        .save(cid, path) -> Path               # cat to a file, written atomically
        .pin(cid) / .unpin(cid)
        .has(cid) -> bool
        .list() -> list[str]                   # pinned root CIDs, sorted
        .pin_status(cid) -> PinStatus          # .held (root block here now), .pinned (kept)
        .gateway_url(cid) -> str | None        # a web link when the content is reachable over HTTP
                                               # (a node: HYPERBOUNTY_IPFS_GATEWAY, else its own gateway)
        .describe() -> str                     # "embedded store at ..." / "IPFS node at ..."
    publish(source: ContentStore, target: ContentStore, cid: str) -> str
        # copy content (e.g. embedded -> a real node) keeping its CID

Reading from anywhere, trusting only the hash::

    open_reader(settings: Settings, store: ContentStore) -> ContentReader
        # .cat(cid) / .describe(): the store first, then the IPFS node (settings.ipfs_api, when the
        # store is not already that node), then the gateway (settings.ipfs_gateway, when set);
        # what came from elsewhere is added to the store
    GatewayReader(url, timeout=30.0).cat(cid) -> bytes
        # GET {url}/ipfs/{cid}, streamed with a size limit; the CID is recomputed from the bytes
        # (see storage/gateway.py for why that checks every byte): wrong bytes -> CorruptContent

Errors, all subclasses of StorageError, with messages that say what to do:
InvalidCid (malformed CID or digest), NotFound (not in the store / the node or
gateway cannot find it in time), CorruptContent (stored or returned bytes fail
the hash check: never served), DaemonUnavailable (node or gateway down, too
slow, or answering an error).

A local js-ipfs daemon for tests and demos: ``storage.jsipfs.JsIpfsDaemon``
(a context manager; ``jsipfs_available()`` says whether it is installed).
"""

from __future__ import annotations

from settings import Settings, get_settings
from storage.cid import cid_to_digest, digest_to_cid, ipfs_cid, normalize_cid
from storage.embedded import EmbeddedStore
from storage.errors import CorruptContent, DaemonUnavailable, InvalidCid, NotFound, StorageError
from storage.gateway import GatewayReader
from storage.reader import ContentReader, open_reader
from storage.store import ContentStore, PinStatus, publish


def open_store(settings: Settings | None = None) -> ContentStore:
    """The store the settings name: the embedded one by default, an IPFS node when ipfs_api is set.

    The factory lives here, above the stores, so ``storage.store`` (the base class) never imports the
    backends built on it.
    """
    settings = settings or get_settings()
    if settings.ipfs_api:
        from storage.kubo import KuboStore  # lazy: ipfshttpclient is needed only when a node is configured

        return KuboStore(settings.ipfs_api, gateway=settings.ipfs_gateway)
    return EmbeddedStore(settings.path("ipfs"))


__all__ = [
    "ContentReader",
    "ContentStore",
    "CorruptContent",
    "DaemonUnavailable",
    "GatewayReader",
    "InvalidCid",
    "NotFound",
    "PinStatus",
    "StorageError",
    "cid_to_digest",
    "digest_to_cid",
    "ipfs_cid",
    "normalize_cid",
    "open_reader",
    "open_store",
    "publish",
]
