"""Salts are stored durably before a commit, survive restarts, and export/import with validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain.errors import SecretsError
from chain.secrets import (
    SecretStore,
    SubmissionSecret,
    TestDataSecret,
    new_salt,
    submission_commitment,
    test_data_commitment,
)
from protocol import Hyperparameters

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
HP = Hyperparameters(lstm_layers=2, lstm_units=48)


def _submission(participant: str = ALICE, hp: Hyperparameters = HP, bounty_id: int = 1) -> SubmissionSecret:
    return SubmissionSecret(31337, CONTRACT, bounty_id, participant, hp, new_salt())


def _test_data() -> TestDataSecret:
    return TestDataSecret(31337, CONTRACT, BOB, b"\x07" * 32, new_salt(), test_data_cid="QmX", bounty_id=1)


def test_salts_are_random_and_32_bytes() -> None:
    salts = {new_salt() for _ in range(50)}
    assert len(salts) == 50 and all(len(s) == 32 for s in salts)


def test_commitments_bind_everything() -> None:
    salt = b"\x05" * 32
    base = submission_commitment(1, CONTRACT, 1, ALICE, HP, salt)
    assert len(base) == 32
    assert base != submission_commitment(2, CONTRACT, 1, ALICE, HP, salt)
    assert base != submission_commitment(1, CONTRACT, 2, ALICE, HP, salt)
    assert base != submission_commitment(1, CONTRACT, 1, BOB, HP, salt)
    assert base != submission_commitment(1, CONTRACT, 1, ALICE, Hyperparameters(), salt)
    assert base != submission_commitment(1, CONTRACT, 1, ALICE, HP, b"\x06" * 32)
    assert test_data_commitment(b"\1" * 32, salt) != test_data_commitment(b"\2" * 32, salt)


def test_store_survives_a_new_store_object_and_keeps_replacements(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets")
    first = _submission()
    second = _submission(hp=Hyperparameters(lstm_units=256))
    path = store.save(first)
    store.save(second)
    assert path.stat().st_mode & 0o077 == 0
    assert not list((tmp_path / "secrets").rglob("*.tmp"))  # nothing half-written left behind
    reopened = SecretStore(tmp_path / "secrets")
    assert reopened.submission(31337, CONTRACT, 1, ALICE) == second  # latest by default
    assert reopened.submission(31337, CONTRACT, 1, ALICE, commitment=first.commitment) == first
    assert [s.commitment for s in reopened.submissions(31337, CONTRACT, 1, ALICE)] == [
        first.commitment,
        second.commitment,
    ]
    secret = _test_data()
    reopened.save(secret)
    assert store.test_data(31337, CONTRACT, secret.commitment) == secret
    with pytest.raises(SecretsError, match=r"No salt for .* stored on this machine"):
        store.submission(31337, CONTRACT, 2, ALICE)
    with pytest.raises(SecretsError, match="test data is not stored"):
        store.test_data(31337, CONTRACT, b"\0" * 32)


def test_the_salt_is_never_in_a_repr() -> None:
    secret = _submission()
    assert secret.salt.hex() not in repr(secret) and "salt" not in repr(secret)
    assert secret.salt.hex() not in repr(_test_data())


def test_export_then_import_elsewhere(tmp_path: Path) -> None:
    here = SecretStore(tmp_path / "here")
    mine, theirs, test = _submission(ALICE), _submission(BOB, bounty_id=2), _test_data()
    for secret in (mine, theirs, test):
        here.save(secret)
    exported = here.export_json()
    assert json.loads(exported)["format"] == "hyperbounty-secrets"
    there = SecretStore(tmp_path / "there")
    assert there.import_json(exported) == 3
    assert there.submission(31337, CONTRACT, 1, ALICE) == mine
    assert there.test_data(31337, CONTRACT, test.commitment) == test
    only_bob = json.loads(here.export_json(account=BOB))["secrets"]
    assert [s["participant"] for s in only_bob if s["kind"] == "submission"] == [BOB]
    assert all(s.get("owner", BOB) == BOB for s in only_bob)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["secrets"][1].update(salt="0x" + "00" * 32),
            r"Secret #2: .*does not match its commitment",
        ),
        (
            lambda d: d["secrets"][0]["hyperparameters"].update(lstm_units=9999),
            r"Secret #1: Invalid hyperparameters",
        ),
        (lambda d: d["secrets"][0].update(participant="bob"), r"participant must be an Ethereum address"),
        (lambda d: d["secrets"][0].update(salt="0x1234"), r"exactly 32 bytes"),
        (lambda d: d.update(format="something else"), r"not a HyperBounty secrets export"),
        (lambda d: d.update(version=99), r"has version 99"),
        (lambda d: d["secrets"].append({"kind": "mystery"}), r"Secret #3 is not a submission"),
    ],
)
def test_import_validates_everything_and_stores_nothing_on_error(
    tmp_path: Path, mutate, message: str
) -> None:
    here = SecretStore(tmp_path / "here")
    here.save(_submission(ALICE))
    here.save(_submission(BOB))
    document = json.loads(here.export_json())
    mutate(document)
    there = SecretStore(tmp_path / "there")
    with pytest.raises(SecretsError, match=message):
        there.import_json(json.dumps(document))
    assert there.all() == []


def test_import_of_a_file_that_is_not_json(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match="not valid JSON"):
        SecretStore(tmp_path).import_json("this is not json")


def _damages(right: SubmissionSecret) -> dict[str, bytes]:
    """Ways a stale salt file gets damaged: garbage, cut short, the wrong shape, another's content."""
    full = json.dumps(_submission().to_json()).encode()
    salt_as_number = {**_submission().to_json(), "salt": 7}
    return {
        "unparseable": b"\x00\xff\xfe not json at all",
        "truncated": full[: len(full) // 2],
        "a list": b"[1, 2, 3]",
        "a number as salt": json.dumps(salt_as_number).encode(),
        "no kind": json.dumps({"salt": "0x" + "11" * 32}).encode(),
        "another commitment": json.dumps(right.to_json()).encode(),
    }


@pytest.mark.parametrize("damage", list(_damages(_submission())))
def test_a_damaged_stale_salt_beside_the_right_one_is_skipped_and_named(tmp_path: Path, damage) -> None:
    store = SecretStore(tmp_path / "secrets")
    stale = _submission()
    right = _submission(hp=Hyperparameters(lstm_units=256))
    stale_path = store.save(stale)
    store.save(right)
    broken = _damages(right)[damage]
    for path in (stale_path, store.backup / stale_path.relative_to(store.folder)):
        path.write_bytes(broken)  # both copies of the stale salt damaged alike
    reopened = SecretStore(tmp_path / "secrets")
    assert reopened.submission(31337, CONTRACT, 1, ALICE, commitment=right.commitment) == right
    assert reopened.submissions(31337, CONTRACT, 1, ALICE) == [right]
    readout = reopened.read_submissions(31337, CONTRACT, 1, ALICE)
    assert [d.path for d in readout.damaged] == [stale_path]
    sentence = readout.damaged[0].sentence()
    assert str(stale_path) in sentence and "damaged" in sentence and "skipped" in sentence
    with pytest.raises(SecretsError, match=r"No salt .*" + stale_path.name):  # the damage is named
        reopened.submission(31337, CONTRACT, 1, ALICE, commitment=b"\0" * 32)


def test_export_works_for_every_account_despite_a_damaged_file(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets")
    mine, theirs, test = _submission(ALICE), _submission(BOB, bounty_id=2), _test_data()
    for secret in (mine, theirs, test):
        store.save(secret)
    stale_path = store.save(_submission(ALICE, bounty_id=3))
    for path in (stale_path, store.backup / stale_path.relative_to(store.folder)):
        path.write_text("{ truncated")
    alice = store.export(ALICE)
    assert alice.count == 1  # her readable submission (the test data is BOB's)
    assert [s["commitment"] for s in json.loads(alice.text)["secrets"]] == ["0x" + mine.commitment.hex()]
    assert [d.path for d in alice.skipped] == [stale_path]
    bob = store.export(BOB)
    assert bob.count == 2 and bob.skipped == []  # ALICE's damaged file is not BOB's business
    everything = SecretStore(tmp_path / "elsewhere")
    assert everything.import_json(store.export_json()) == 3
    assert everything.submission(31337, CONTRACT, 2, BOB) == theirs


def test_every_salt_is_written_twice_and_recovered_from_its_copy(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets")
    assert store.backup == tmp_path / "secrets-backup"
    secret, test = _submission(), _test_data()
    main, test_main = store.save(secret), store.save(test)
    copy = tmp_path / "secrets-backup" / main.relative_to(tmp_path / "secrets")
    assert json.loads(copy.read_text()) == json.loads(main.read_text())
    assert copy.stat().st_mode & 0o077 == 0
    main.unlink()  # missing in the main place
    test_main.write_text('{"kind": "test-data"')  # damaged in the main place
    reopened = SecretStore(tmp_path / "secrets")
    assert reopened.submission(31337, CONTRACT, 1, ALICE) == secret
    assert reopened.test_data(31337, CONTRACT, test.commitment) == test
    assert reopened.read_all().damaged == []
    # and put back in the main place
    assert SecretStore(tmp_path / "secrets", backup=tmp_path / "nowhere").all() == [secret, test]


def test_a_salt_written_before_copies_existed_gets_one(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets")
    main = store.save(_submission())
    copy = store.backup / main.relative_to(store.folder)
    copy.unlink()
    assert len(store.all()) == 1
    assert copy.read_bytes() == main.read_bytes()
