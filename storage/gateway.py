"""Read content from any HTTP IPFS gateway without trusting it: every byte is checked against the CID.

A participant on another machine cannot reach the owner's store, but any gateway
(``https://ipfs.io``, a company's, the owner's node's own) can serve
``GET {gateway}/ipfs/{cid}``. A gateway is a stranger, so what it returns is used
only if it hashes to the CID asked for.

Why recomputing the CID is sound: every CID this product puts on chain is a
CIDv0 (``Qm...``, dag-pb, sha2-256) made by :mod:`storage.cid` with ``ipfs add``'s
defaults (256 KiB chunks, balanced DAG, no raw leaves). The CID is a function of
the file's bytes alone under those rules, so rebuilding the DAG from the bytes a
gateway sent and comparing root digests checks every byte: a different byte
anywhere changes a leaf, and so the root. A CID made another way (a CIDv1 with raw
leaves, another chunker or layout) cannot be rebuilt from the bytes by these rules;
such content fails the same check and is refused with a sentence rather than
trusted, and a CID that is not dag-pb sha2-256 at all (e.g. ``bafk...``) is refused
before anything is fetched (:func:`storage.cid.normalize_cid`).

The download is streamed with a size limit, a connect/read timeout and an overall
deadline, so a slow, huge or silent answer fails with a sentence instead of
hanging the dashboard or filling its memory. This module uses the deserialised
``/ipfs/`` path (which the js-ipfs daemon's gateway serves too), not the trustless
``?format=raw`` blocks: the recomputation does not depend on the gateway supporting them.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

from storage.cid import ipfs_cid, normalize_cid
from storage.errors import CorruptContent, DaemonUnavailable, NotFound, StorageError

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_READ_PIECE = 1024 * 1024
# Gateways answer these when they do not have the content (504: they looked and gave up in time).
_MISSING_STATUSES = (404, 410, 504)


def gateway_base(url: str) -> str:
    """The gateway's base URL (``https://ipfs.io``), checked; a trailing ``/`` or ``/ipfs`` is dropped."""
    text = url.strip().rstrip("/")
    if text.endswith("/ipfs"):
        text = text[: -len("/ipfs")]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StorageError(
            f"'{url}' is not an IPFS gateway address. Use a URL like https://ipfs.io or "
            "http://127.0.0.1:8080 (HYPERBOUNTY_IPFS_GATEWAY)."
        )
    return text


class GatewayReader:
    """Fetches ``{url}/ipfs/{cid}`` and returns the bytes only if they hash to the CID."""

    def __init__(self, url: str, timeout: float = 30.0, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """``timeout``: seconds for the whole download (connecting takes at most 5 of them);
        ``max_bytes``: the largest file accepted."""
        self.url = gateway_base(url)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._session = requests.Session()

    def describe(self) -> str:
        return f"IPFS gateway {self.url}"

    def gateway_url(self, cid: str) -> str:
        return f"{self.url}/ipfs/{normalize_cid(cid)}"

    def cat(self, cid: str) -> bytes:
        """The file's bytes, verified against ``cid`` (raises NotFound, CorruptContent, DaemonUnavailable)."""
        asked = cid.strip() if isinstance(cid, str) else cid
        cid = normalize_cid(cid)
        data = self._download(cid)
        if ipfs_cid(data) != cid:
            raise CorruptContent(self._mismatch(asked, cid))
        return data

    # --- internals ---------------------------------------------------------------------

    def _download(self, cid: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        link = self.gateway_url(cid)
        try:
            with self._session.get(
                link, stream=True, timeout=(min(5.0, self.timeout), self.timeout), allow_redirects=True
            ) as answer:
                self._check_status(answer, cid)
                self._check_length(answer, cid)
                return self._read_body(answer, cid, deadline)
        except requests.Timeout:
            raise self._too_slow(cid) from None
        except requests.RequestException as error:
            raise DaemonUnavailable(
                f"Could not reach the {self.describe()} to fetch {cid} ({_reason(error)}). Check the address "
                "and the network, or try another gateway (HYPERBOUNTY_IPFS_GATEWAY)."
            ) from None

    def _check_status(self, answer: requests.Response, cid: str) -> None:
        if answer.status_code in _MISSING_STATUSES:
            raise NotFound(
                f"The {self.describe()} could not find {cid} (HTTP {answer.status_code}). The file may not "
                "be on any reachable IPFS node: ask its publisher to keep it pinned on an online node."
            )
        if answer.status_code != 200:
            raise DaemonUnavailable(
                f"The {self.describe()} answered HTTP {answer.status_code} {answer.reason} for {cid}. "
                "Try again later or try another gateway (HYPERBOUNTY_IPFS_GATEWAY)."
            )

    def _check_length(self, answer: requests.Response, cid: str) -> None:
        declared = answer.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise StorageError(self._too_big(cid))

    def _read_body(self, answer: requests.Response, cid: str, deadline: float) -> bytes:
        body = bytearray()
        for piece in answer.iter_content(_READ_PIECE):
            body += piece
            if len(body) > self.max_bytes:
                raise StorageError(self._too_big(cid))
            if time.monotonic() > deadline:
                raise self._too_slow(cid)
        return bytes(body)

    def _too_big(self, cid: str) -> str:
        return (
            f"The {self.describe()} is sending more than {self.max_bytes // (1024 * 1024)} MiB for {cid}, "
            "more than any file of a bounty; the download was stopped."
        )

    def _too_slow(self, cid: str) -> DaemonUnavailable:
        return DaemonUnavailable(
            f"The {self.describe()} did not deliver {cid} within {self.timeout:g} s. It may still be "
            "looking for it: try again, or try another gateway (HYPERBOUNTY_IPFS_GATEWAY)."
        )

    def _mismatch(self, asked: str, cid: str) -> str:
        sentence = (
            f"The gateway {self.url} served bytes for {asked} that do not hash to it; it was refused. "
            "Try another gateway (HYPERBOUNTY_IPFS_GATEWAY)."
        )
        if asked != cid:  # a CIDv1 was asked for: it may simply have been made with other settings
            sentence += (
                f" (A CIDv1 is often made with raw leaves, which this product cannot check byte by byte: "
                f"use the CIDv0 {cid} the chain holds.)"
            )
        return sentence


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.ConnectionError):
        return "nothing answered at that address"
    return type(error).__name__
