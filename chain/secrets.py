"""Salts: the secrets that let a participant reveal, and the owner reveal the test data.

A commitment is worthless without its salt: a participant that loses it cannot reveal and
loses its bond; an owner that loses the test-data salt cannot score and the reward is split.
So a secret is written to disk (temp file, fsync, rename, fsync of the folder) *before* the
transaction that commits to it is sent, and never rewritten in place. Each secret is filed
under its commitment, so replacing a commitment keeps the old secret until the chain says which
one counts, and a commit that failed leaves nothing inconsistent behind.

Layout below ``<data>/secrets/<chain id>/<contract>/``:
``submissions/<bounty id>/<participant>/<commitment>.json`` and ``test-data/<commitment>.json``.
Every file is written twice, the second copy with the same layout below ``<data>/secrets-backup/``,
both before the commit is sent.

Reading is per file: a damaged file (unreadable, truncated, not a secret, or not the commitment its
name says) is skipped and reported as a :class:`DamagedSecret` naming the file, and never hides the
other salts. A file missing or damaged in the main place is read from its copy and put back; a
readable file without a copy (written before copies existed) gets one. No salt is ever logged;
``repr`` of a secret hides the salt.
"""

from __future__ import annotations

import contextlib
import json
import logging
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
BACKUP_SUFFIX = "-backup"  # <data>/secrets -> <data>/secrets-backup

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class DamagedSecret:
    """A stored salt file that could not be used (and no good copy of it either)."""

    path: Path
    reason: str

    def sentence(self) -> str:
        return (
            f"The salt file {self.path} is damaged ({self.reason}) and was skipped; the other salts "
            "are unaffected. If it held a salt you still need, import the secrets file you exported."
        )


@dataclass(frozen=True)
class Readout:
    """What a read of the store found: the usable secrets, oldest first, and the damaged files."""

    secrets: list[Secret]
    damaged: list[DamagedSecret]


@dataclass(frozen=True)
class SecretsExport:
    """An export document, how many secrets it holds, and the files that could not be included."""

    text: str
    count: int
    skipped: list[DamagedSecret]


class SecretStore:
    """Durable, per-chain, per-contract salts on this machine, each kept in two places."""

    def __init__(self, folder: Path, backup: Path | None = None) -> None:
        self.folder = folder
        self.backup = backup if backup is not None else folder.with_name(folder.name + BACKUP_SUFFIX)

    @classmethod
    def open(cls, settings: Settings | None = None) -> SecretStore:
        settings = settings or get_settings()
        return cls(settings.path("secrets"), settings.path("secrets" + BACKUP_SUFFIX))

    def _base(self, chain_id: int, contract: str) -> Path:
        return Path(str(int(chain_id))) / to_checksum_address(contract)

    def _relative_path(self, secret: Secret) -> Path:
        base = self._base(secret.chain_id, secret.contract)
        if isinstance(secret, SubmissionSecret):
            folder = base / "submissions" / str(secret.bounty_id) / secret.participant
        else:
            folder = base / "test-data"
        return folder / f"{_hex(secret.commitment)}.json"

    def save(self, secret: Secret) -> Path:
        """Store a secret durably, in both places; call this before sending the transaction that
        commits to it. Returns the main file."""
        relative = self._relative_path(secret)
        atomic_write_json(self.folder / relative, secret.to_json())
        atomic_write_json(self.backup / relative, secret.to_json())
        return self.folder / relative

    def read_submissions(self, chain_id: int, contract: str, bounty_id: int, participant: str) -> Readout:
        """One participant's secrets for one bounty (oldest first) and the damaged files among them."""
        folder = (
            self._base(chain_id, contract)
            / "submissions"
            / str(int(bounty_id))
            / to_checksum_address(participant)
        )
        return self._read_many(self._names(folder, recursive=False))

    def submissions(
        self, chain_id: int, contract: str, bounty_id: int, participant: str
    ) -> list[SubmissionSecret]:
        """Every readable stored secret of one participant for one bounty, oldest first."""
        found = self.read_submissions(chain_id, contract, bounty_id, participant).secrets
        return [s for s in found if isinstance(s, SubmissionSecret)]

    def submission(
        self, chain_id: int, contract: str, bounty_id: int, participant: str, commitment: bytes | None = None
    ) -> SubmissionSecret:
        """The secret for ``commitment`` (the one on chain), or the latest one when it is not given."""
        readout = self.read_submissions(chain_id, contract, bounty_id, participant)
        found = [s for s in readout.secrets if isinstance(s, SubmissionSecret)]
        if commitment is not None:
            found = [s for s in found if s.commitment == bytes(commitment)]
        if not found:
            raise SecretsError(
                f"No salt for {to_checksum_address(participant)}'s submission to bounty {bounty_id} is "
                "stored on "
                "this machine, so it cannot be revealed from here. If you committed from another machine "
                "or data folder, import the secrets file you exported there."
                + "".join(" " + d.sentence() for d in readout.damaged)
            )
        return found[-1]

    def test_data(self, chain_id: int, contract: str, commitment: bytes) -> TestDataSecret:
        relative = self._base(chain_id, contract) / "test-data" / f"{_hex(commitment)}.json"
        secret, damage = self._load(relative)
        if not isinstance(secret, TestDataSecret):
            raise SecretsError(
                "The salt of this bounty's test data is not stored on this machine, so its test data "
                "cannot be revealed from here. Import the secrets file exported where the bounty was created."
                + ("" if damage is None else " " + damage.sentence())
            )
        return secret

    def read_all(self) -> Readout:
        """Every readable secret of every chain and account, and the damaged files."""
        return self._read_many(self._names(Path(), recursive=True))

    def all(self) -> list[Secret]:
        return self.read_all().secrets

    def export(self, account: str | None = None) -> SecretsExport:
        """All readable secrets (or one account's) as a JSON document to keep somewhere safe, and the
        damaged files left out (another participant's are not named in one account's export)."""
        wanted = to_checksum_address(account) if account else None
        readout = self.read_all()
        chosen = [s for s in readout.secrets if wanted is None or _account_of(s) == wanted]
        skipped = [d for d in readout.damaged if wanted is None or _may_belong_to(d.path, wanted)]
        text = json.dumps(
            {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "secrets": [s.to_json() for s in chosen]},
            indent=2,
        )
        return SecretsExport(text, len(chosen), skipped)

    def export_json(self, account: str | None = None) -> str:
        """All readable secrets (or one account's) as a JSON document (see :meth:`export`)."""
        return self.export(account).text

    # -- reading, one file at a time --------------------------------------------------------

    def _names(self, relative_folder: Path, recursive: bool) -> list[Path]:
        """Paths (relative to either place) of the secret files below ``relative_folder``."""
        names: set[Path] = set()
        for root in (self.folder, self.backup):
            folder = root / relative_folder
            found = folder.rglob("0x*.json") if recursive else folder.glob("0x*.json")
            names.update(path.relative_to(root) for path in found if path.is_file())
        return sorted(names)

    def _read_many(self, names: list[Path]) -> Readout:
        secrets: list[Secret] = []
        damaged: list[DamagedSecret] = []
        for relative in names:
            secret, damage = self._load(relative)
            if secret is not None:
                secrets.append(secret)
            elif damage is not None:
                damaged.append(damage)
        return Readout(sorted(secrets, key=lambda s: s.created_at), damaged)

    def _load(self, relative: Path) -> tuple[Secret | None, DamagedSecret | None]:
        """The secret filed at ``relative``: from the main place, else from the copy (which then
        restores the main file); (None, the damage) when neither is usable, (None, None) if absent."""
        main, copy = self.folder / relative, self.backup / relative
        main_secret, main_problem = _parse_file(main)
        if main_secret is not None:
            if not copy.exists():
                _best_effort_write(copy, main_secret)  # salts written before copies existed
            return main_secret, None
        copy_secret, copy_problem = _parse_file(copy)
        if copy_secret is not None:
            if main_problem is not None:
                log.warning("Salt file %s is damaged (%s); recovered from %s", main, main_problem, copy)
            _best_effort_write(main, copy_secret)
            return copy_secret, None
        if main_problem is None and copy_problem is None:
            return None, None
        path, reason = (main, main_problem) if main_problem is not None else (copy, copy_problem)
        if copy_problem is not None and main_problem is not None:
            same = copy_problem == main_problem
            reason = f"{main_problem}; its copy in {self.backup} is damaged " + (
                "too" if same else f"too: {copy_problem}"
            )
        elif main_problem is not None:
            reason = f"{main_problem}; there is no copy in {self.backup}"
        damage = DamagedSecret(path, str(reason))
        log.warning("%s", damage.sentence())
        return None, damage

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
        raise SecretsError(f"it cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SecretsError("it holds JSON but not a secret (not an object)")
    return data


def _parse_file(path: Path) -> tuple[Secret | None, str | None]:
    """(the secret, None), or (None, why it is unusable), or (None, None) when there is no file."""
    if not path.exists():
        return None, None
    try:
        secret = _secret_from_json(_read(path))
    except SecretsError as exc:
        return None, str(exc)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a wrong shape inside
        return None, f"its content has the wrong shape ({type(exc).__name__})"
    if path.stem.lower() != _hex(secret.commitment):
        return None, "its content is the secret of another commitment than its name says"
    return secret, None


def _secret_from_json(data: dict[str, Any]) -> Secret:
    kind = data.get("kind")
    if kind == "submission":
        return SubmissionSecret.from_json(data)
    if kind == "test-data":
        return TestDataSecret.from_json(data)
    raise SecretsError(f"kind {kind!r} is neither a submission nor test data")


def _best_effort_write(path: Path, secret: Secret) -> None:
    """Restore or add a copy; a read never fails because the copy cannot be written."""
    with contextlib.suppress(OSError):
        atomic_write_json(path, secret.to_json())


def _account_of(secret: Secret) -> str:
    return secret.participant if isinstance(secret, SubmissionSecret) else secret.owner


def _may_belong_to(path: Path, account: str) -> bool:
    """A damaged submission file names its participant in its folder; a test-data file does not."""
    parts = path.parts
    if "submissions" in parts:
        return parts[-2] == account
    return True
