"""Writing files so that a crash leaves the old file or the new one, never half of either.

Secrets, chain journals, content blocks, datasets, reports and caches are all replaced the same way:
the new bytes go to a temp file, are fsynced, and the temp file is renamed over the target (a
rename within one file system is atomic), then the folder is fsynced so the rename itself survives a
power cut. A failure at any step removes the temp file and leaves the target as it was. Keeping this
in one place means one reviewed copy instead of ten slightly different ones.

Standard library only: chain/, storage/, ml/ and actions/ all use it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

Buffer = bytes | bytearray | memoryview

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str],
    *,
    mode: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
    sync: bool = True,
    sync_dir: bool = True,
) -> Iterator[IO[bytes]]:
    """A binary file whose content replaces ``path`` only if the ``with`` block finishes.

    ``mode``: the file's permission bits (e.g. 0o600 for secrets), set before any byte is written;
    None gives the usual new-file mode (0o666 less the umask). ``tmp_dir``: where the temp file is
    made (same file system as ``path``); by default beside ``path``, whose folder is created if
    missing. ``sync``: fsync the file before the rename. ``sync_dir``: fsync the folder after it;
    a caller writing many files into a few folders can pass False and call :func:`fsync_dir` once.
    """
    target = Path(path)
    fd, tmp = _create_temp(target, Path(tmp_dir) if tmp_dir is not None else None, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync_dir:
        fsync_dir(target.parent)


def atomic_write(
    path: str | os.PathLike[str],
    data: Buffer | Iterable[Buffer],
    *,
    mode: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
    sync: bool = True,
    sync_dir: bool = True,
) -> None:
    """Replace ``path`` with ``data``: one buffer, or pieces written in turn without joining them."""
    pieces = (data,) if isinstance(data, bytes | bytearray | memoryview) else data
    with atomic_open(path, mode=mode, tmp_dir=tmp_dir, sync=sync, sync_dir=sync_dir) as handle:
        for piece in pieces:
            handle.write(piece)


def atomic_write_text(path: str | os.PathLike[str], text: str, **options: Any) -> None:
    """Replace ``path`` with ``text`` in UTF-8 (options as for :func:`atomic_write`)."""
    atomic_write(path, text.encode("utf-8"), **options)


def atomic_write_json(
    path: str | os.PathLike[str],
    obj: Any,
    *,
    indent: int | None = 2,
    sort_keys: bool = True,
    newline: bool = False,
    **options: Any,
) -> None:
    """Replace ``path`` with ``obj`` as JSON; fixed formatting so the same object gives the same bytes."""
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys) + ("\n" if newline else "")
    atomic_write_text(path, text, **options)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut (fsync of the file is not enough)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_temp(target: Path, tmp_dir: Path | None, mode: int | None) -> tuple[int, str]:
    folder = tmp_dir if tmp_dir is not None else target.parent
    while True:
        tmp = str(folder / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, _FLAGS, 0o666 if mode is None else mode)
        except FileExistsError:
            continue  # another writer drew the same name: draw again
        except FileNotFoundError:
            if tmp_dir is not None or folder.exists():
                raise
            folder.mkdir(parents=True, exist_ok=True)
            continue
        if mode is not None:
            try:
                os.fchmod(fd, mode)  # exactly ``mode``, whatever the umask
            except BaseException:
                os.close(fd)
                os.unlink(tmp)
                raise
        return fd, tmp
