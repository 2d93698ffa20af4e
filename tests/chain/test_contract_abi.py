"""BountyBoard's ABI is a public interface: other clients call it by these names, so it must not drift.

``bountyboard_abi.txt`` lists every entry of the ABI (functions, events, errors, constructor) with its
argument names and types, as it was before IBountyBoard.sol existed, plus the dispute entries (ERC-792,
issue 10) appended after them, every earlier line unchanged; the committed artifact must match it as a
set. ``internalType`` (a Solidity-side type name such as ``struct IBountyBoard.BountyView``) is left
out: it names where a type is declared, not what a client encodes. To change the ABI on purpose, edit
the contract, run ``python -m chain.compile`` and update the snapshot in the same commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chain.compile import CONTRACTS_DIR, compile_contract, compiler_available, load_artifact
from tests.tooling import require

SNAPSHOT = Path(__file__).with_name("bountyboard_abi.txt")


def _type(param: dict[str, Any]) -> str:
    """A parameter's type, with tuple components spelled out (``(uint8 lstmLayers,...)[]``)."""
    kind = param["type"]
    if not kind.startswith("tuple"):
        return kind
    inner = ",".join(_param(c) for c in param["components"])
    return f"({inner}){kind[len('tuple') :]}"


def _param(param: dict[str, Any]) -> str:
    indexed = " indexed" if param.get("indexed") else ""
    return f"{_type(param)}{indexed} {param.get('name', '')}".rstrip()


def signature(entry: dict[str, Any]) -> str:
    """One ABI entry as a line: kind, name, arguments, and for functions mutability and outputs."""
    head = " ".join(part for part in (entry["type"], entry.get("name")) if part)
    line = f"{head}({', '.join(_param(p) for p in entry.get('inputs', []))})"
    if entry["type"] in ("function", "constructor", "fallback", "receive"):
        line += f" {entry['stateMutability']}"
    if entry["type"] == "function":
        line += f" returns ({', '.join(_param(p) for p in entry.get('outputs', []))})"
    if entry.get("anonymous"):
        line += " anonymous"
    return line


def signatures(abi: list[dict[str, Any]]) -> set[str]:
    return {signature(entry) for entry in abi}


def _snapshot() -> set[str]:
    return {line for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.strip()}


def test_committed_abi_matches_the_published_interface():
    actual, expected = signatures(load_artifact()["abi"]), _snapshot()
    assert actual == expected, (
        f"BountyBoard's public ABI changed.\nmissing: {sorted(expected - actual)}\n"
        f"new: {sorted(actual - expected)}"
    )


def test_the_interface_declares_every_public_entry_of_the_contract():
    """IBountyBoard.sol declares every function, event and error of BountyBoard, with the same
    argument names and types (the constructor aside; return names are the contract's)."""
    require(compiler_available(), "solc 0.8.37 (native, or npm solc through tools/solc/solc)")
    interface = compile_contract(CONTRACTS_DIR / "IBountyBoard.sol")
    assert interface["bytecode"] == "0x"  # an interface deploys nothing

    def shapes(abi: list[dict[str, Any]]) -> set[str]:
        return {
            signature({**e, "outputs": [{**o, "name": ""} for o in e.get("outputs", [])]})
            for e in abi
            if e["type"] != "constructor"
        }

    assert shapes(interface["abi"]) == shapes(load_artifact()["abi"])
