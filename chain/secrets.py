"""Salts: the secrets that let a participant reveal, and the owner reveal the test data.

A commitment is worthless without its salt: a participant that loses it cannot reveal and
loses its bond; an owner that loses the test-data salt cannot score and the reward is split.
So a secret is written to disk (temp file, fsync, rename, fsync of the folder) *before* the
transaction that commits to it is sent, and never rewritten in place. Each secret is filed
under its commitment, so replacing a commitment keeps the old secret until the chain says which
one counts, and a commit that failed leaves nothing inconsistent behind.

Layout below ``<data>/secrets/<chain id>/<contract>/``:
``submissions/<participant>/<commitment>.json`` and ``test-data/<commitment>.json``.
Nothing here is ever logged; ``repr`` of a secret hides the salt.
"""

from __future__ import annotations

import json
import secrets as _random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import is_address, keccak, to_checksum_address

import durable
from chain.errors import SecretsError
from protocol import HyperparameterError, Hyperparameters
from settings import Settings, get_settings

HP_ABI_TYPE = "(uint8,uint16,uint8,uint8,uint8,uint16,uint32)"
EXPORT_FORMAT = "hyperbounty-secrets"
EXPORT_VERSION = 1


def new_salt() -> bytes:
    """32 random bytes from the OS's CSPRNG."""
    return _random.token_bytes(32)


def submission_commitment(
    chain_id: int, contract: str, bounty_id: int, participant: str, hp: Hyperparameters, salt: bytes
) -> bytes:
    """keccak256(abi.encode(chainid, contract, bountyId, participant, hp, salt)), as the contract does."""
    return keccak(
        abi_encode(
            ["uint256", "address", "uint256", "address", HP_ABI_TYPE, "bytes32"],
            [
                int(chain_id),
                to_checksum_address(contract),
                int(bounty_id),
                to_checksum_address(participant),
                hp.as_tuple(),
                _bytes32(salt),
            ],
        )
    )


def test_data_commitment(test_data_digest: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(testDataDigest, salt)), the value createBounty stores."""
    return keccak(abi_encode(["bytes32", "bytes32"], [_bytes32(test_data_digest), _bytes32(salt)]))


test_data_commitment.__test__ = False  # type: ignore[attr-defined]  # a pytest name clash, not a test


def _bytes32(value: bytes | str) -> bytes:
    if isinstance(value, str):
        text = value[2:] if value.startswith("0x") else value
        try:
            value = bytes.fromhex(text)
        except ValueError as exc:
            raise SecretsError(
                f"{value!r} is not hexadecimal; a salt or digest is 32 bytes as 0x + 64 hex digits."
            ) from exc
    if len(value) != 32:
        raise SecretsError(f"A salt or digest must be exactly 32 bytes, got {len(value)}.")
    return bytes(value)


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


@dataclass(frozen=True)
class SubmissionSecret:
    """What a participant needs to reveal one commitment."""

    chain_id: int
    contract: str
    bounty_id: int
    participant: str
    hyperparameters: Hyperparameters
    salt: bytes = field(repr=False)
    created_at: float = field(default_factory=time.time)

    @property
    def commitment(self) -> bytes:
        return submission_commitment(
            self.chain_id, self.contract, self.bounty_id, self.participant, self.hyperparameters, self.salt
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "submission",
            "chain_id": self.chain_id,
            "contract": to_checksum_address(self.contract),
            "bounty_id": self.bounty_id,
            "participant": to_checksum_address(self.participant),
            "hyperparameters": self.hyperparameters.to_dict(),
            "salt": _hex(self.salt),
            "commitment": _hex(self.commitment),
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionSecret:
        secret = cls(
            chain_id=_int(data, "chain_id"),
            contract=_address(data, "contract"),
            bounty_id=_int(data, "bounty_id"),
            participant=_address(data, "participant"),
            hyperparameters=_hp(data),
            salt=_bytes32(_field(data, "salt")),
            created_at=float(data.get("created_at", 0.0)),
        )
        _check_commitment(data, secret.commitment, f"submission to bounty {secret.bounty_id}")
        return secret


@dataclass(frozen=True)
class TestDataSecret:
    """What an owner needs to reveal its hidden test split: the digest and the salt."""

    chain_id: int
    contract: str
    owner: str
    test_data_digest: bytes
    salt: bytes = field(repr=False)
    test_data_cid: str = ""
    bounty_id: int | None = None
    created_at: float = field(default_factory=time.time)

    __test__ = False  # not a pytest test class despite the name

    @property
    def commitment(self) -> bytes:
        return test_data_commitment(self.test_data_digest, self.salt)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "test-data",
            "chain_id": self.chain_id,
            "contract": to_checksum_address(self.contract),
            "owner": to_checksum_address(self.owner),
            "test_data_digest": _hex(self.test_data_digest),
            "test_data_cid": self.test_data_cid,
            "bounty_id": self.bounty_id,
            "salt": _hex(self.salt),
            "commitment": _hex(self.commitment),
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestDataSecret:
        bounty = data.get("bounty_id")
        secret = cls(
            chain_id=_int(data, "chain_id"),
            contract=_address(data, "contract"),
            owner=_address(data, "owner"),
            test_data_digest=_bytes32(_field(data, "test_data_digest")),
            salt=_bytes32(_field(data, "salt")),
            test_data_cid=str(data.get("test_data_cid") or ""),
            bounty_id=None if bounty is None else _int(data, "bounty_id"),
            created_at=float(data.get("created_at", 0.0)),
        )
        _check_commitment(data, secret.commitment, "test data")
        return secret


Secret = SubmissionSecret | TestDataSecret


def _field(data: dict[str, Any], name: str) -> Any:
    if name not in data:
        raise SecretsError(
            f"A secret in the file has no {name!r}; the file is incomplete or not a secrets export."
        )
    return data[name]


def _int(data: dict[str, Any], name: str) -> int:
    value = _field(data, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SecretsError(f"{name} must be a non-negative whole number, got {value!r}.")
    return value


def _address(data: dict[str, Any], name: str) -> str:
    value = _field(data, name)
    if not isinstance(value, str) or not is_address(value):
        raise SecretsError(f"{name} must be an Ethereum address (0x + 40 hex digits), got {value!r}.")
    return to_checksum_address(value)


def _hp(data: dict[str, Any]) -> Hyperparameters:
    value = _field(data, "hyperparameters")
    if not isinstance(value, dict):
        raise SecretsError("hyperparameters must be an object with the seven fields of a submission.")
    try:
        return Hyperparameters.from_dict(value)
    except (HyperparameterError, TypeError) as exc:
        raise SecretsError(f"Invalid hyperparameters in the secret: {exc}") from exc


def _check_commitment(data: dict[str, Any], computed: bytes, what: str) -> None:
    stated = data.get("commitment")
    if stated is not None and str(stated).lower() != _hex(computed):
        raise SecretsError(
            f"The {what} secret does not match its commitment {stated}: the salt or a field was changed. "
            "Import the file exactly as it was exported."
        )


def atomic_write_json(path: Path, data: Any) -> None:
    """Owner-only (0600) JSON: a crash leaves the old file or the new one, never half of either."""
    durable.atomic_write_json(path, data, indent=2, sort_keys=True, mode=0o600)


class SecretStore:
    """Durable, per-chain, per-contract salts on this machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def open(cls, settings: Settings | None = None) -> SecretStore:
        return cls((settings or get_settings()).path("secrets"))

    def _base(self, chain_id: int, contract: str) -> Path:
        return self.folder / str(int(chain_id)) / to_checksum_address(contract)

    def _submission_path(self, secret: SubmissionSecret) -> Path:
        base = self._base(secret.chain_id, secret.contract)
        return (
            base
            / "submissions"
            / str(secret.bounty_id)
            / secret.participant
            / f"{_hex(secret.commitment)}.json"
        )

    def _test_data_path(self, secret: TestDataSecret) -> Path:
        return self._base(secret.chain_id, secret.contract) / "test-data" / f"{_hex(secret.commitment)}.json"

    def save(self, secret: Secret) -> Path:
        """Store a secret durably; call this before sending the transaction that commits to it."""
        if isinstance(secret, SubmissionSecret):
            path = self._submission_path(secret)
        else:
            path = self._test_data_path(secret)
        atomic_write_json(path, secret.to_json())
        return path

    def submissions(
        self, chain_id: int, contract: str, bounty_id: int, participant: str
    ) -> list[SubmissionSecret]:
        """Every stored secret of one participant for one bounty, oldest first."""
        folder = (
            self._base(chain_id, contract)
            / "submissions"
            / str(int(bounty_id))
            / to_checksum_address(participant)
        )
        found = [SubmissionSecret.from_json(_read(p)) for p in sorted(folder.glob("0x*.json"))]
        return sorted(found, key=lambda s: s.created_at)

    def submission(
        self, chain_id: int, contract: str, bounty_id: int, participant: str, commitment: bytes | None = None
    ) -> SubmissionSecret:
        """The secret for ``commitment`` (the one on chain), or the latest one when it is not given."""
        found = self.submissions(chain_id, contract, bounty_id, participant)
        if commitment is not None:
            found = [s for s in found if s.commitment == bytes(commitment)]
        if not found:
            raise SecretsError(
                f"No salt for {to_checksum_address(participant)}'s submission to bounty {bounty_id} is "
                "stored on "
                "this machine, so it cannot be revealed from here. If you committed from another machine "
                "or data folder, import the secrets file you exported there."
            )
        return found[-1]

    def test_data(self, chain_id: int, contract: str, commitment: bytes) -> TestDataSecret:
        path = self._base(chain_id, contract) / "test-data" / f"{_hex(commitment)}.json"
        if not path.exists():
            raise SecretsError(
                "The salt of this bounty's test data is not stored on this machine, so its test data "
                "cannot be revealed from here. Import the secrets file exported where the bounty was created."
            )
        return TestDataSecret.from_json(_read(path))

    def all(self) -> list[Secret]:
        items: list[Secret] = []
        for path in sorted(self.folder.rglob("0x*.json")):
            data = _read(path)
            items.append(
                SubmissionSecret.from_json(data)
                if data.get("kind") == "submission"
                else TestDataSecret.from_json(data)
            )
        return items

    def export_json(self, account: str | None = None) -> str:
        """All secrets (or one account's) as a JSON document to keep somewhere safe."""
        wanted = to_checksum_address(account) if account else None
        chosen = [
            s
            for s in self.all()
            if wanted is None or (s.participant if isinstance(s, SubmissionSecret) else s.owner) == wanted
        ]
        return json.dumps(
            {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "secrets": [s.to_json() for s in chosen]},
            indent=2,
        )

    def import_json(self, text: str | bytes) -> int:
        """Validate every secret first, then store them all; returns how many were stored."""
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SecretsError(
                f"The secrets file is not valid JSON ({exc}); choose the file you exported."
            ) from exc
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise SecretsError(
                "This file is not a HyperBounty secrets export (its 'format' field is missing or wrong)."
            )
        if document.get("version") != EXPORT_VERSION:
            raise SecretsError(
                f"This secrets export has version {document.get('version')!r}; this dashboard reads version "
                f"{EXPORT_VERSION}."
            )
        raw = document.get("secrets")
        if not isinstance(raw, list):
            raise SecretsError("The secrets export has no 'secrets' list.")
        parsed: list[Secret] = []
        for number, item in enumerate(raw, start=1):
            if not isinstance(item, dict) or item.get("kind") not in ("submission", "test-data"):
                raise SecretsError(
                    f"Secret #{number} is not a submission or test-data secret; nothing was imported."
                )
            try:
                parsed.append(
                    SubmissionSecret.from_json(item)
                    if item["kind"] == "submission"
                    else TestDataSecret.from_json(item)
                )
            except SecretsError as exc:
                raise SecretsError(f"Secret #{number}: {exc} Nothing was imported.") from exc
        for secret in parsed:
            self.save(secret)
        return len(parsed)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SecretsError(f"The stored secret {path.name} cannot be read ({exc}).") from exc
    if not isinstance(data, dict):
        raise SecretsError(f"The stored secret {path.name} is not a JSON object.")
    return data
