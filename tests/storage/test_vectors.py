"""Boundary vectors from a real node, checked offline; and again against the daemon when present."""

from __future__ import annotations

import hashlib
import io

import pytest

from storage import ipfs_cid
from storage.cid import DagBuilder, digest_to_cid
from tests.storage.vectors import SIZES, load_vectors, pattern

VECTORS = load_vectors()


def test_vectors_cover_every_boundary():
    assert [v["size"] for v in VECTORS] == list(SIZES.values())
    assert VECTORS[0]["cid"] == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"  # kubo's empty file


@pytest.mark.parametrize("vector", VECTORS, ids=[v["label"] for v in VECTORS])
def test_cid_matches_the_node(vector):
    assert ipfs_cid(pattern(vector["size"])) == vector["cid"]


def test_file_path_gives_the_vector_cid(tmp_path):
    vector = next(v for v in VECTORS if v["size"] == 174 * 256 * 1024 + 1)
    path = tmp_path / "big.bin"
    path.write_bytes(pattern(vector["size"]))
    assert ipfs_cid(path) == vector["cid"]


@pytest.mark.ipfsd
@pytest.mark.parametrize("vector", VECTORS, ids=[v["label"] for v in VECTORS])
def test_daemon_still_gives_the_vector_cid(kubo_store, vector):
    client = kubo_store._client
    answer = client.add(io.BytesIO(pattern(vector["size"])), cid_version=0, chunker="size-262144", pin=False)
    assert answer["Hash"] == vector["cid"]


# --- deeper trees than a test can afford to add to a node --------------------------------


def _reference_cid(chunks: list[bytes], max_links: int) -> str:
    """A direct port of go-unixfs' balanced.Layout (recursive, the way kubo writes it), independent of
    storage.cid's streaming builder; with small max_links it reaches depths of 3-5 with few chunks."""

    def varint(n: int) -> bytes:
        out = b""
        while n >= 0x80:
            out += bytes([(n & 0x7F) | 0x80])
            n >>= 7
        return out + bytes([n])

    def field(number: int, payload: bytes) -> bytes:
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    def leaf(chunk: bytes):
        unixfs = b"\x08\x02" + (field(2, chunk) if chunk else b"") + b"\x18" + varint(len(chunk))
        block = field(1, unixfs)
        return hashlib.sha256(block).digest(), len(block), len(chunk)

    def internal(children):
        links = b"".join(
            field(2, field(1, b"\x12\x20" + d) + field(2, b"") + b"\x18" + varint(t)) for d, t, _ in children
        )
        total = sum(s for _, _, s in children)
        unixfs = b"\x08\x02\x18" + varint(total) + b"".join(b"\x20" + varint(s) for _, _, s in children)
        block = links + field(1, unixfs)
        return hashlib.sha256(block).digest(), len(block) + sum(t for _, t, _ in children), total

    queue = list(chunks)

    def fill(depth: int, first=None):
        children = [first] if first else []
        while len(children) < max_links and queue:
            children.append(leaf(queue.pop(0)) if depth == 1 else fill(depth - 1))
        return internal(children)

    root = leaf(queue.pop(0) if queue else b"")
    depth = 1
    while queue:
        root = fill(depth, root)
        depth += 1
    return digest_to_cid(root[0])


def _streaming_cid(chunks: list[bytes], max_links: int) -> str:
    builder = DagBuilder(max_links=max_links)
    for chunk in chunks:
        builder.add_chunk(chunk)
    return builder.finish()


@pytest.mark.parametrize("max_links", [2, 3, 4, 174])
def test_streaming_builder_matches_kubos_recursive_layout(max_links):
    for count in range(0, 70):
        chunks = [bytes([i % 251]) * (1 + i % 7) for i in range(count)]
        assert _streaming_cid(chunks, max_links) == _reference_cid(chunks, max_links), (count, max_links)


def test_reference_layout_agrees_with_the_node_on_a_two_level_tree():
    """Guards the guard: the independent reference reproduces a vector from the real node."""
    vector = next(v for v in VECTORS if v["size"] == 2 * 174 * 256 * 1024 + 5)
    data = pattern(vector["size"])
    chunks = [data[i : i + 262144] for i in range(0, len(data), 262144)]
    assert _reference_cid(chunks, 174) == vector["cid"]
