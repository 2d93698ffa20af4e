"""A bounty's task as everyone must see it: its manifest and files, its revealed submissions, its seeds.

Participants, the owner and verifiers all train on what the chain committed to, so every one of
them reads the task through here: the manifest by the digest the chain holds, each file checked
against its CID, and the training seeds derived from the chain the same way for all.

Reads go through ``backend.reader`` (``storage.open_reader``): this install's store first, then its
IPFS node or gateway, so a participant whose own store lacks the owner's files fetches them (every
byte checked against the CID) and keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import storage
from actions.errors import ActionError
from chain.blocks import first_block_at_or_after
from ml import scoring
from ml.manifest import TaskManifest
from ml.preprocess import check_files

if TYPE_CHECKING:
    from actions.session import Backend
    from chain.client import Bounty, Submission


def manifest_cid(bounty: Bounty) -> str:
    return storage.digest_to_cid(bounty.manifest_digest)


def fetch_task(
    backend: Backend, bounty_id: int, with_test: bool = False
) -> tuple[TaskManifest, dict[str, bytes]]:
    """The bounty's manifest and split files through the reader, each checked against its CID.

    The manifest is found by the digest the chain holds, so a participant trains on exactly
    what the owner committed to; ``with_test`` also fetches the test file once it is revealed.
    """
    bounty = backend.client.bounty(bounty_id)
    reader = backend.reader
    cid = manifest_cid(bounty)
    data = reader.cat(cid)
    if storage.ipfs_cid(data) != cid:
        raise ActionError(f"The content store returned other bytes for the manifest {cid}; not using them.")
    manifest = TaskManifest.from_bytes(data)
    files = {
        "train": reader.cat(manifest.data.train_cid),
        "validation": reader.cat(manifest.data.validation_cid),
    }
    expected_test = None
    if with_test:
        if not bounty.test_data_revealed:
            raise ActionError(f"The owner of bounty {bounty_id} has not revealed the test data yet.")
        expected_test = storage.digest_to_cid(bounty.test_data_digest)
        files["test"] = reader.cat(expected_test)
    check_files(manifest, files, expected_test)
    return manifest, files


def training_seeds(
    backend: Backend, bounty_id: int, manifest: TaskManifest
) -> tuple[list[int], dict[str, int | str]]:
    """The protocol's training seeds and where they came from (recorded in the report's JSON).

    ``reveal_block``: from the hash of the first block at or after the reveal deadline, which
    owner and verifiers read from the chain alike; ``fixed``: the manifest's seeds.
    """
    protocol = manifest.evaluation
    if protocol.seed_rule != "reveal_block":
        return scoring.fixed_seeds(protocol.seed, protocol.seeds), {}
    deadline = backend.client.bounty(bounty_id).reveal_deadline
    block = first_block_at_or_after(backend.client.w3, deadline)
    if block is None:
        raise ActionError(
            "The training seeds come from the first block at or after the reveal deadline, and no such "
            "block is mined yet: wait until the reveal window has closed."
        )
    seeds = scoring.derive_seeds(block.hash, protocol.seeds)
    return seeds, {"block_number": block.number, "block_hash": "0x" + block.hash.hex()}


def revealed_submissions(backend: Backend, bounty_id: int) -> list[Submission]:
    return [s for s in backend.index.submissions(bounty_id) if s.revealed]
