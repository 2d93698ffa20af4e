"""Test vectors: deterministic content around every chunking boundary, and the CIDs a real node gave.

``vectors.json`` was written by ``python -m tests.storage.vectors`` from the answers of a real
js-ipfs 0.66.1 daemon (npm ``ipfs``, which adds files exactly as kubo does by default), so the CID
tests also run without a daemon. Run it again to regenerate; the test suite re-checks every vector
against the daemon whenever one is available.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

K = 256 * 1024
VECTORS_PATH = Path(__file__).with_name("vectors.json")
PATTERN = "blocks of 32 KiB: sha256(b'hyperbounty-vector' + i.to_bytes(8, 'big')) * 1024 for i = 0, 1, ..."

SIZES = {
    "empty": 0,
    "one byte": 1,
    "one chunk - 1": K - 1,
    "one chunk": K,
    "one chunk + 1": K + 1,
    "two chunks": 2 * K,
    "174 chunks - 1 byte": 174 * K - 1,
    "174 chunks (one full node)": 174 * K,
    "174 chunks + 1 byte (two levels, 1-leaf subtree)": 174 * K + 1,
    "175 chunks": 175 * K,
    "2 x 174 chunks + 5 bytes (two levels, three subtrees)": 2 * 174 * K + 5,
}


def pattern(size: int) -> bytes:
    """Deterministic bytes that differ from chunk to chunk (so a misplaced chunk changes the CID)."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(b"hyperbounty-vector" + i.to_bytes(8, "big")).digest() * 1024
        i += 1
    del out[size:]
    return bytes(out)


def load_vectors() -> list[dict]:
    return json.loads(VECTORS_PATH.read_text())["vectors"]


def _regenerate() -> None:
    from storage.jsipfs import JsIpfsDaemon
    from storage.kubo import KuboStore

    with tempfile.TemporaryDirectory() as tmp, JsIpfsDaemon(Path(tmp) / "repo") as daemon:
        client = KuboStore(daemon.api_multiaddr)._client
        version = client.version()["Version"]
        vectors = []
        for label, size in SIZES.items():
            upload = io.BytesIO(pattern(size))
            answer = client.add(upload, cid_version=0, chunker=f"size-{K}", raw_leaves=False)
            vectors.append({"label": label, "size": size, "cid": answer["Hash"]})
            print(f"{size:>12}  {answer['Hash']}  {label}", file=sys.stderr)
    document = {
        "source": f"js-ipfs {version} daemon (npm ipfs 0.66.1), `ipfs add` defaults: CIDv0, size-262144",
        "content": PATTERN,
        "vectors": vectors,
    }
    VECTORS_PATH.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    _regenerate()
