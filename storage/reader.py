"""Reading content wherever it is: this install's store first, then an IPFS node, then a gateway.

A participant's own store starts empty: the owner's files are on the owner's node.
:class:`ContentReader` asks each source in turn and keeps what it fetched in the
local store, so the next read is local, a dashboard restart needs no network, and
the participant can serve the files on in turn. Every source checks the bytes
against the CID before they arrive here (the stores re-hash, :mod:`storage.gateway`
recomputes the CID), and adding them to the local store computes the same CID again.

Nothing is fetched from the network unless the settings ask for it
(``HYPERBOUNTY_IPFS_API``, ``HYPERBOUNTY_IPFS_GATEWAY``): the default reader is the
local store alone, so a missing CID fails at once with a sentence saying what to set.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from settings import Settings
from storage.cid import normalize_cid
from storage.errors import CorruptContent, NotFound, StorageError
from storage.store import ContentStore


class Source(Protocol):
    """Anything that serves verified content by CID: a store or a :class:`storage.gateway.GatewayReader`."""

    def cat(self, cid: str) -> bytes: ...

    def describe(self) -> str: ...


class ContentReader:
    """``local`` first, then each of ``remotes``; content found remotely is added to ``local``."""

    def __init__(self, local: ContentStore, remotes: list[Source] | None = None) -> None:
        self.local = local
        self.remotes = list(remotes or [])

    def describe(self) -> str:
        return ", then ".join(source.describe() for source in (self.local, *self.remotes))

    def cat(self, cid: str) -> bytes:
        """The file's bytes, checked against the CID, from the first source that has them.

        When no source served them, raises the first CorruptContent met (a refused gateway's sentence
        is what the user needs to read), else the first other failure (e.g. DaemonUnavailable), else
        one NotFound naming every place looked in.
        """
        cid = normalize_cid(cid)
        failures: list[StorageError] = []
        for source in (self.local, *self.remotes):
            # Any failure moves on: a damaged local copy is repaired from elsewhere, a node that is
            # down does not stop a gateway from serving.
            try:
                data = source.cat(cid)
            except StorageError as error:
                failures.append(error)
                continue
            if source is not self.local:
                self._keep(data)
            return data
        raise self._failure(cid, failures)

    def _keep(self, data: bytes) -> None:
        """Add fetched bytes to the local store; a full disk costs only a second download later."""
        with contextlib.suppress(StorageError):
            self.local.add(data)

    def _failure(self, cid: str, failures: list[StorageError]) -> StorageError:
        for kind in (CorruptContent, StorageError):  # wrong bytes first: the sentence a user must read
            for error in failures:
                if isinstance(error, kind) and not isinstance(error, NotFound):
                    return error
        if not self.remotes:
            return NotFound(
                f"{cid} is not in the {self.local.describe()}, and this install fetches from nowhere else. "
                "Set HYPERBOUNTY_IPFS_GATEWAY to an IPFS gateway (e.g. https://ipfs.io, or the publisher's "
                "node's gateway) or HYPERBOUNTY_IPFS_API to an IPFS node that can find it."
            )
        places = ", nor in the ".join(source.describe() for source in (self.local, *self.remotes))
        return NotFound(
            f"{cid} was not found in the {places}. Ask its publisher to keep it pinned on an online "
            "IPFS node, or try another gateway (HYPERBOUNTY_IPFS_GATEWAY)."
        )


def open_reader(settings: Settings, store: ContentStore) -> ContentReader:
    """The reader the settings name: ``store``, then the IPFS node (``ipfs_api``, unless ``store``
    already is that node), then the gateway (``ipfs_gateway``)."""
    remotes: list[Source] = []
    if settings.ipfs_api and store.kind != "kubo":
        from storage.kubo import KuboStore  # lazy, as in open_store

        remotes.append(KuboStore(settings.ipfs_api, gateway=settings.ipfs_gateway or None))
    if settings.ipfs_gateway:
        from storage.gateway import GatewayReader

        remotes.append(GatewayReader(settings.ipfs_gateway))
    return ContentReader(store, remotes)
