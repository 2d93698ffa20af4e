"""The one interface both backends implement, and moving content between them.

Picking a backend is ``storage.open_store`` (in ``storage/__init__.py``), so this base module never
imports the stores built on it (``storage.embedded``, ``storage.kubo``, ``storage.jsipfs``)."""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import durable
from storage.cid import Source, normalize_cid
from storage.errors import StorageError


@dataclass(frozen=True)
class PinStatus:
    """Whether a store holds a file's root block now (``held``) and keeps it (``pinned``: not garbage
    collected, served to others for as long as the store runs)."""

    held: bool
    pinned: bool


class ContentStore(ABC):
    """Content addressed by exact kubo CIDv0s: what every caller (pages, ml/, chain/) talks to."""

    kind: str = ""

    @abstractmethod
    def add(self, data: Source) -> str:
        """Store bytes, a file path or a binary stream, pin it, and return its CID."""

    @abstractmethod
    def cat(self, cid: str) -> bytes:
        """The file's bytes, checked against the CID (raises NotFound / CorruptContent)."""

    @abstractmethod
    def pin(self, cid: str) -> None:
        """Keep this content (it must already be here; raises NotFound)."""

    @abstractmethod
    def unpin(self, cid: str) -> None:
        """Stop keeping this content (raises NotFound if it was not pinned)."""

    @abstractmethod
    def has(self, cid: str) -> bool:
        """Whether the content is available here right now."""

    @abstractmethod
    def list(self) -> list[str]:
        """The pinned root CIDs, sorted."""

    @abstractmethod
    def describe(self) -> str:
        """Where the content lives, in words for the dashboard."""

    def pin_status(self, cid: str) -> PinStatus:
        """Held and pinned, as this store reports them (backends answer without reading the content)."""
        cid = normalize_cid(cid)
        return PinStatus(held=self.has(cid), pinned=cid in self.list())

    def iter_content(self, cid: str) -> Iterator[bytes | memoryview]:
        """The content in pieces (views, not copies, where a backend can); backends that can stream
        override this to bound memory."""
        yield self.cat(cid)

    def gateway_url(self, cid: str) -> str | None:
        """A web link for the content, when this store's content is reachable over HTTP."""
        return None

    def save(self, cid: str, path: str | os.PathLike) -> Path:
        """Write the content to ``path`` atomically: a failed download leaves no half file."""
        target = Path(path)
        durable.atomic_write(target, self.iter_content(cid), mode=0o600)
        return target

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


def publish(source: ContentStore, target: ContentStore, cid: str) -> str:
    """Copy content from one store to another (e.g. embedded -> a real node), keeping its CID.

    The bytes are read (and checked) from ``source`` and added to ``target``
    with kubo's defaults, so the target computes the same CID; if it does not,
    the copy is unpinned again and an error says so, leaving ``target`` as it was.
    """
    cid = normalize_cid(cid)
    data = source.cat(cid)
    added = target.add(data)
    if added != cid:
        with contextlib.suppress(StorageError):
            target.unpin(added)
        raise StorageError(
            f"Publishing {cid} to {target.describe()} produced a different CID ({added}): that store "
            "does not add files with kubo's defaults (CIDv0, 256 KiB chunks, no raw leaves). "
            "Nothing was kept."
        )
    return added
