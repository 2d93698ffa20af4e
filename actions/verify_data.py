"""Anyone: rebuild a forward test's data by its manifest's rule and compare it with what the owner revealed.

A forward-test bounty commits to no test file at creation; after the window the owner builds the
file by the manifest's rule (``ml.forward``), adds it to the store and reveals its digest. Here a
verifier runs the same rule on the same public source and compares CIDs; when they differ, the
revealed file is fetched from the store and the first differing row is named. A bounty with a
private test split has no public rule: its reveal was already checked on chain against the
commitment made at creation, which binds the file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import storage
from actions.errors import ActionError, plain_error
from formatting import utc
from ml.data import DataError
from ml.forward import CandleSource, TestFileCheck, compare_test_files, rebuild_test_file, test_window
from ml.manifest import TaskManifest

if TYPE_CHECKING:
    from actions.session import Backend
    from chain.client import Bounty


class NoPublicRule(ActionError):
    """A private-data bounty: there is nothing to rebuild (pages show it as information)."""


def check_test_data(backend: Backend, bounty_id: int, source: CandleSource | None = None) -> TestFileCheck:
    """Rebuild the revealed test file of a forward-test bounty and compare it with the revealed CID.

    Returns an ``ml.forward.TestFileCheck``; ``source`` replaces the manifest's candle source (tests,
    or a mirror of the same data). Every refusal is an :class:`ActionError` with a sentence.
    """
    try:
        bounty = backend.client.bounty(bounty_id)
    except Exception as exc:
        raise ActionError(plain_error(exc)) from exc
    if not bounty.forward_test:
        raise NoPublicRule(
            f"Bounty {bounty_id} keeps a private test split: there is no public rule to rebuild it by. "
            "Its reveal was checked on chain against the commitment made at creation, which already "
            "binds the file the owner revealed."
        )
    manifest = _manifest(backend, bounty)
    if not bounty.test_data_revealed:
        try:
            _, end = test_window(manifest, bounty.reveal_deadline)
        except DataError as exc:
            raise ActionError(str(exc)) from exc
        raise ActionError(
            f"The owner of bounty {bounty_id} has not revealed its test data yet: the test window "
            f"closes at {utc(end)} and the reveal is due before {utc(bounty.evaluation_deadline)}."
        )
    try:
        rebuilt = rebuild_test_file(manifest, bounty.reveal_deadline, backend.now(), source)
    except DataError as exc:
        raise ActionError(f"Could not rebuild the test file of bounty {bounty_id}: {exc}") from exc
    revealed_cid = storage.digest_to_cid(bounty.test_data_digest)
    if storage.ipfs_cid(rebuilt) == revealed_cid:
        return compare_test_files(rebuilt, None, revealed_cid)
    revealed, problem = _revealed_file(backend, revealed_cid)
    check = compare_test_files(rebuilt, revealed, revealed_cid)
    return check if revealed is not None else replace(check, first_difference=problem)


def _manifest(backend: Backend, bounty: Bounty) -> TaskManifest:
    """The bounty's manifest from the store, by the digest the chain holds."""
    cid = storage.digest_to_cid(bounty.manifest_digest)
    try:
        data = backend.reader.cat(cid)
    except Exception as exc:
        raise ActionError(
            f"Could not fetch the manifest {cid} of bounty {bounty.id}: {plain_error(exc)}"
        ) from exc
    if storage.ipfs_cid(data) != cid:
        raise ActionError(f"The content store returned other bytes for the manifest {cid}; not using them.")
    try:
        return TaskManifest.from_bytes(data)
    except DataError as exc:
        raise ActionError(str(exc)) from exc


def _revealed_file(backend: Backend, cid: str) -> tuple[bytes | None, str]:
    """The revealed test file's bytes, or None and why they cannot be compared row by row."""
    try:
        data = backend.reader.cat(cid)
    except Exception as exc:
        return None, (
            f"The revealed file {cid} could not be fetched from the content store ({plain_error(exc)}), "
            "so the first differing row cannot be named."
        )
    if storage.ipfs_cid(data) != cid:
        return None, f"The content store returned other bytes for the revealed file {cid}."
    return data, ""
