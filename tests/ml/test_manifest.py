"""The task manifest: validation, canonical bytes, CID and digest."""

from __future__ import annotations

import json

import pytest

import storage
from ml.data import DataError
from ml.manifest import TaskManifest


def test_same_manifest_same_bytes_same_cid(tiny_task):
    manifest, _ = tiny_task
    raw = manifest.to_bytes()
    again = TaskManifest.from_bytes(raw)
    assert again == manifest
    assert again.to_bytes() == raw
    assert manifest.cid() == storage.ipfs_cid(raw)
    assert manifest.digest() == storage.cid_to_digest(manifest.cid())
    assert len(manifest.digest()) == 32
    # key order in the input does not matter: canonical output sorts them
    shuffled = json.dumps(dict(reversed(list(json.loads(raw).items())))).encode()
    assert TaskManifest.from_bytes(shuffled).to_bytes() == raw


def test_manifest_names_everything_but_the_hidden_test_file(tiny_task):
    manifest, files = tiny_task
    doc = json.loads(manifest.to_bytes())
    assert doc["data"]["train_cid"] == storage.ipfs_cid(files["train"])
    assert doc["data"]["validation_cid"] == storage.ipfs_cid(files["validation"])
    assert storage.ipfs_cid(files["test"]) not in manifest.to_bytes().decode()
    assert doc["evaluation"]["backend"] == "jax"
    assert doc["evaluation"]["keras_version"]
    assert {
        "sequence_length",
        "future_period",
        "coins",
        "interval",
        "target_coin",
        "features",
        "split",
    } <= set(doc)


def test_any_change_changes_the_digest(tiny_task):
    manifest, _ = tiny_task
    changed = manifest.model_copy(update={"future_period": manifest.future_period + 1})
    assert changed.digest() != manifest.digest()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("target_coin",), "ETH", "target_coin ETH is not one of the coins"),
        (("interval",), "2m", "interval must be one of"),
        (("sequence_length",), 0, "sequence_length"),
        (("split", "test_permille"), 150, "add up to 1000"),
        (("data", "train_cid"), "not-a-cid", "train_cid"),
        (("surprise",), 1, "surprise"),
    ],
)
def test_invalid_manifests_are_refused_with_the_field_named(tiny_task, path, value, message):
    doc = json.loads(tiny_task[0].to_bytes())
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(DataError, match=message):
        TaskManifest.from_bytes(json.dumps(doc))


def test_garbage_is_not_a_manifest():
    with pytest.raises(DataError, match="not a valid HyperBounty task manifest"):
        TaskManifest.from_bytes(b"{not json")
