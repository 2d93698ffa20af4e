"""A real IPFS node through its HTTP RPC API (kubo on port 5001, js-ipfs, or a pinning service).

Every add uses kubo's defaults explicitly (CIDv0, 256 KiB chunks, no raw
leaves), and the CID the node answers is checked against the one computed
locally, so a node configured otherwise cannot slip a different CID into a
bounty. Every cat re-hashes what the node returned. Network failures become
:class:`DaemonUnavailable` with what to do; content the node cannot find in
time becomes :class:`NotFound`.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import ipfshttpclient
from ipfshttpclient import exceptions as ipfs_errors

from storage.cid import CHUNK_SIZE, Source, ipfs_cid, normalize_cid
from storage.errors import CorruptContent, DaemonUnavailable, NotFound, StorageError
from storage.store import ContentStore, PinStatus

# ipfshttpclient 0.7 passes urllib3 an argument newer urllib3 deprecates; the warning says nothing
# actionable to a user of this product.
warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)

_NOT_FOUND_HINTS = ("timed out", "deadline exceeded", "not found", "no link named", "could not find")


def to_multiaddr(api: str) -> str:
    """Accept a multiaddr (/ip4/127.0.0.1/tcp/5001/http) or a URL (http://127.0.0.1:5001)."""
    text = api.strip()
    if text.startswith("/"):
        return text
    parts = urlsplit(text if "://" in text else f"http://{text}")
    if parts.scheme not in ("http", "https") or not parts.hostname or (parts.path or "/") != "/":
        raise StorageError(
            f"'{api}' is not an IPFS API address. Use a multiaddr like /ip4/127.0.0.1/tcp/5001/http "
            "or a URL like http://127.0.0.1:5001 (HYPERBOUNTY_IPFS_API)."
        )
    host = parts.hostname
    proto = "ip6" if ":" in host else "ip4" if re.fullmatch(r"[\d.]+", host) else "dns"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"/{proto}/{host}/tcp/{port}/{parts.scheme}"


def _multiaddr_to_url(address: object) -> str | None:
    """http://HOST:PORT for a gateway multiaddr like /ip4/127.0.0.1/tcp/8080 (a list: its first one)."""
    if isinstance(address, list):
        address = address[0] if address else ""
    match = re.fullmatch(r"/(ip4|ip6|dns|dns4|dns6)/([^/]+)/tcp/(\d+)(/https?)?", str(address))
    if not match:
        return None
    proto, host, port, scheme = match.groups()
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    host = f"[{host}]" if proto == "ip6" else host
    return f"{(scheme or '/http')[1:]}://{host}:{port}"


class KuboStore(ContentStore):
    kind = "kubo"

    def __init__(
        self,
        api: str,
        *,
        gateway: str | None = None,
        timeout: float = 120.0,
        find_timeout: float = 60.0,
        has_timeout: float = 2.0,
    ) -> None:
        """``timeout``: how long the node may take to answer at all; ``find_timeout``: how long it may
        search for content it does not hold before we report NotFound; ``has_timeout`` likewise for has()."""
        self.api = to_multiaddr(api)
        self.gateway = (gateway or "").rstrip("/") or None
        self.timeout = timeout
        self.find_timeout = find_timeout
        self.has_timeout = has_timeout
        self._own_gateway: str | None = None  # the node's gateway URL, "" if it has none; None: not asked
        try:
            # Not ipfshttpclient.connect(): it calls assert_version(), which refuses every daemon newer
            # than 0.7 (kubo is 0.2x+; js-ipfs reports 0.18). The API calls used here are unchanged since.
            self._client = ipfshttpclient.Client(self.api, timeout=(min(10.0, timeout), timeout))
        except ipfs_errors.AddressError as error:
            raise StorageError(
                f"'{api}' is not an IPFS API address ({error}). Use a multiaddr like "
                "/ip4/127.0.0.1/tcp/5001/http (HYPERBOUNTY_IPFS_API)."
            ) from None

    def describe(self) -> str:
        return f"IPFS node at {self.api}"

    def gateway_url(self, cid: str) -> str | None:
        """A link through the configured gateway, else through the node's own (asked once)."""
        gateway = self.gateway or self._node_gateway()
        return f"{gateway}/ipfs/{normalize_cid(cid)}" if gateway else None

    def pin_status(self, cid: str) -> PinStatus:
        """Held: the node has the root block (it is not asked to search); pinned: recursively."""
        cid = normalize_cid(cid)
        held = self.has(cid)
        try:
            with self._calling(f"check the pin of {cid}", cid):
                self._request("/pin/ls", cid, self.has_timeout, type="recursive")
        except NotFound:
            return PinStatus(held=held, pinned=False)
        return PinStatus(held=held, pinned=True)

    # --- ContentStore ----------------------------------------------------------------

    def add(self, data: Source) -> str:
        if not isinstance(data, bytes | bytearray | memoryview | str | os.PathLike):
            data = data.read()  # a stream is read once: hashed here and uploaded from memory
        expected = ipfs_cid(data)  # also turns a missing or unreadable file into a clear error
        upload = str(Path(data)) if isinstance(data, str | os.PathLike) else io.BytesIO(data)
        with self._calling("add a file"):
            answer = self._client.add(
                upload, cid_version=0, chunker=f"size-{CHUNK_SIZE}", raw_leaves=False, pin=True
            )
        added = answer["Hash"]
        if added != expected:
            self._quiet_unpin(added)
            raise StorageError(
                f"The {self.describe()} stored the file as {added}, but kubo's defaults give {expected}: "
                "the node does not add files as kubo does by default. The copy was unpinned."
            )
        return added

    def cat(self, cid: str) -> bytes:
        cid = normalize_cid(cid)
        with self._calling(f"read {cid}", cid):
            data = self._request("/cat", cid, self.find_timeout)
        if ipfs_cid(data) != cid:
            raise CorruptContent(
                f"The {self.describe()} returned bytes for {cid} that do not hash to that CID, so they were "
                "not used. The content may have been added with settings other than kubo's defaults."
            )
        return data

    def pin(self, cid: str) -> None:
        cid = normalize_cid(cid)
        with self._calling(f"pin {cid}", cid):
            self._request("/pin/add", cid, self.find_timeout)

    def unpin(self, cid: str) -> None:
        cid = normalize_cid(cid)
        with self._calling(f"unpin {cid}", cid):
            self._request("/pin/rm", cid, self.find_timeout)

    def has(self, cid: str) -> bool:
        cid = normalize_cid(cid)
        try:
            with self._calling(f"look up {cid}", cid):
                self._request("/block/stat", cid, self.has_timeout, offline=True)
        except NotFound:
            return False
        return True

    def list(self) -> list[str]:
        with self._calling("list pinned files"):
            keys = self._client.pin.ls(type="recursive")["Keys"]
        found = set()
        for key in keys:
            try:
                found.add(normalize_cid(key))
            except StorageError:
                continue  # not a dag-pb sha2-256 CID (e.g. raw leaves added by another tool)
        return sorted(found)

    # --- internals ---------------------------------------------------------------------

    def _request(
        self, path: str, cid: str, server_timeout: float, offline: bool = False, **options: str
    ) -> bytes:
        """One RPC call with a server-side time limit (the RPC's global ``timeout`` option).

        A node looks for content it lacks on the network, possibly forever; with the limit it answers
        an error we report as NotFound, while our own HTTP timeout (longer) still catches a hung node.
        ipfshttpclient's public methods cannot pass that option, so this uses its request method.
        """
        opts = {"timeout": f"{server_timeout:g}s", **options}
        return self._client._client.request(
            path, (cid,), opts=opts, offline=offline, timeout=(min(10.0, self.timeout), server_timeout + 10)
        )

    def _node_gateway(self) -> str | None:
        """The node's own HTTP gateway (``Addresses.Gateway``) as a URL, or None if it has none."""
        if self._own_gateway is None:
            try:
                with self._calling("read its gateway address"):
                    answer = self._client._client.request(
                        "/config", ("Addresses.Gateway",), decoder="json", timeout=self.has_timeout + 5
                    )
                self._own_gateway = _multiaddr_to_url(answer[0]["Value"]) or ""
            except (StorageError, LookupError, TypeError):
                return None  # asked again next time: the node may be starting
        return self._own_gateway or None

    def _quiet_unpin(self, cid: str) -> None:
        with suppress(StorageError):
            self.unpin(cid)

    @contextmanager
    def _calling(self, what: str, cid: str | None = None) -> Iterator[None]:
        """Turn ipfshttpclient's exceptions into storage errors that say what to do."""
        try:
            yield
        except ipfs_errors.ConnectionError:
            raise DaemonUnavailable(
                f"Could not connect to the {self.describe()} to {what}. Start the node (`ipfs daemon`) or "
                "point HYPERBOUNTY_IPFS_API at a running one; nothing was changed."
            ) from None
        except ipfs_errors.TimeoutError:
            raise DaemonUnavailable(
                f"The {self.describe()} did not answer in time to {what}. It may be overloaded or stuck: "
                "check it and try again; nothing was changed on this side."
            ) from None
        except ipfs_errors.ErrorResponse as error:
            message = str(error)
            lowered = message.lower()
            if cid and "not pinned" in lowered:
                raise NotFound(f"{cid} is not pinned on the {self.describe()}; nothing to unpin.") from None
            if cid and any(hint in lowered for hint in _NOT_FOUND_HINTS):
                raise NotFound(
                    f"The {self.describe()} could not find {cid} (it answered: {message}). Check the CID, "
                    "or add the file to a node that is online."
                ) from None
            raise DaemonUnavailable(f"The {self.describe()} refused to {what}: {message}") from None
        except ipfs_errors.CommunicationError as error:
            raise DaemonUnavailable(
                f"The {self.describe()} gave an unusable answer to {what} ({error}). Check that the address "
                "points at an IPFS RPC API (port 5001 for kubo), not a gateway."
            ) from None
