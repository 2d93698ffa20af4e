"""Every custom error of BountyBoard has a sentence; raw revert data decodes whatever raised it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from chain.arbitrator import arbitrator_abi
from chain.compile import ARBITRATOR_ARTIFACT_PATH, load_artifact
from chain.errors import (
    EXPLAINERS,
    ContractRevert,
    _abi_type,
    _sig,
    decode_revert,
    hhmm,
    revert_data,
)

ABI = load_artifact()["abi"]
ERRORS = [item for item in ABI if item["type"] == "error"]
# the dev chains' arbitrator: its refusals reach the product too (chain.arbitrator decodes them)
ARBITRATOR_ABI = arbitrator_abi()
ARBITRATOR_ERRORS = [e for e in load_artifact(ARBITRATOR_ARTIFACT_PATH)["abi"] if e["type"] == "error"]
TS = 1_800_000_000  # 2027-01-15 08:00:00 UTC
ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _sample(abi_type: str, name: str) -> Any:
    if abi_type == "address":
        return ADDRESS
    if abi_type == "string":
        return "submissionDeadline"
    if abi_type == "bool":
        return True
    if abi_type.startswith("bytes"):
        return b"\x01" * int(abi_type[5:] or 32)
    if abi_type == "uint8":  # enums (phase, outcome)
        return 4
    if name in {"deadline", "now", "opensAt", "earliest", "mustBeAfter", "submissionDeadline"}:
        return TS
    return 3


def _revert_bytes(item: dict[str, Any]) -> bytes:
    types = [_abi_type(i) for i in item["inputs"]]
    values = [_sample(_abi_type(i), i["name"]) for i in item["inputs"]]
    return function_signature_to_4byte_selector(_sig(item)) + abi_encode(types, values)


def test_the_contract_has_custom_errors() -> None:
    assert len(ERRORS) >= 20


@pytest.mark.parametrize("item", ERRORS, ids=lambda e: e["name"])
def test_every_custom_error_has_a_sentence(item: dict[str, Any]) -> None:
    assert item["name"] in EXPLAINERS, f"add a sentence for {item['name']} to chain/errors.py"
    error = decode_revert(_revert_bytes(item), ABI, "Committing", {"phase": "reveal"})
    assert isinstance(error, ContractRevert) and error.error_name == item["name"]
    message = str(error)
    assert (message[0].isupper() or message.startswith("0x")) and message.endswith("."), message
    assert "{" not in message and "0x" + "01" * 4 not in message  # no raw blobs
    assert set(error.error_args) == {i["name"] for i in item["inputs"]}


@pytest.mark.parametrize("item", ARBITRATOR_ERRORS, ids=lambda e: e["name"])
def test_every_arbitrator_error_has_a_sentence(item: dict[str, Any]) -> None:
    assert item["name"] in EXPLAINERS, f"add a sentence for {item['name']} to chain/errors.py"
    error = decode_revert(_revert_bytes(item), ARBITRATOR_ABI, "Giving the ruling")
    message = str(error)
    assert error.error_name == item["name"] and message[0].isupper() and message.endswith("."), message
    assert "{" not in message


def test_window_errors_name_the_time_and_the_phase_now() -> None:
    item = next(e for e in ERRORS if e["name"] == "SubmissionWindowClosed")
    message = str(decode_revert(_revert_bytes(item), ABI, "Committing", {"phase": "reveal"}))
    assert message == (
        f"The submission window closed at {hhmm(TS)}; this bounty is now in its reveal window, "
        "so no new commitments are accepted."
    )
    assert re.fullmatch(r"\d\d:\d\d UTC", hhmm(TS))


def test_reason_strings_panics_and_strangers() -> None:
    reason = function_signature_to_4byte_selector("Error(string)") + abi_encode(["string"], ["nope"])
    assert (
        str(decode_revert(reason, ABI, "Finalizing")) == "Finalizing failed: the contract refused it: nope."
    )
    panic = function_signature_to_4byte_selector("Panic(uint256)") + abi_encode(["uint256"], [0x11])
    assert "panic code 0x11" in str(decode_revert(panic, ABI))
    assert "unknown error 0xdeadbeef" in str(decode_revert(bytes.fromhex("deadbeef"), ABI))
    assert "without a reason" in str(decode_revert(b"", ABI))


def test_revert_data_found_in_what_each_backend_raises() -> None:
    class TransactionFailed(Exception):
        pass

    class ContractCustomError(Exception):
        def __init__(self, message: str, data: str) -> None:
            super().__init__(message)
            self.data = data

    payload = bytes.fromhex("dc69dc16") + b"\0" * 32
    assert revert_data(TransactionFailed(f"execution reverted: {payload!r}")) == payload
    assert revert_data(ContractCustomError("0xdc69dc16", "0x" + payload.hex())) == payload
    assert revert_data(Exception("execution reverted: 0x" + payload.hex())) == payload
    assert revert_data(ValueError("connection refused")) is None


def test_a_moment_on_another_day_carries_its_date() -> None:
    item = next(e for e in ERRORS if e["name"] == "RevealWindowClosed")
    selector = function_signature_to_4byte_selector(_sig(item))
    data = selector + abi_encode(["uint256", "uint64", "uint64"], [7, TS, TS + 3 * 86400])
    assert "closed at 2027-01-15 08:00 UTC" in str(decode_revert(data, ABI))
