"""Compile the contracts with py-solc-x and write the committed artifacts.

Two artifacts are committed (:data:`ARTIFACTS`): ``contracts/build/BountyBoard.json`` and
``contracts/build/SimpleArbitrator.json`` (the minimal ERC-792 arbitrator that dev chains deploy for
disputes). The dashboard never needs a compiler: it reads them through :func:`load_artifact`.
Developers regenerate both with ``python -m chain.compile`` after editing a contract; a test fails
while a committed artifact is stale.

Which compiler: ``settings.solc`` (env ``HYPERBOUNTY_SOLC``) if set, else a native ``solc`` on PATH
if it is exactly the pinned version, else the repo's Node shim ``tools/solc/solc`` over npm's solcjs
(no native solc installs on every machine; the shim makes solcjs answer like native solc). Both give
the same bytecode for the same version and settings. Outputs are cached under the data directory by
the sha256 of source, settings and compiler version (a solcjs compile takes several seconds).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import solcx
from solcx.wrapper import get_version_str_from_solc_binary

import durable
from settings import REPO_ROOT, Settings, get_settings

SOLC_VERSION = "0.8.37"
CONTRACT_NAME = "BountyBoard"
CONTRACTS_DIR = REPO_ROOT / "contracts"
SOURCE_PATH = CONTRACTS_DIR / "BountyBoard.sol"
ARTIFACT_PATH = REPO_ROOT / "contracts" / "build" / "BountyBoard.json"
ARBITRATOR_SOURCE_PATH = CONTRACTS_DIR / "SimpleArbitrator.sol"
ARBITRATOR_ARTIFACT_PATH = REPO_ROOT / "contracts" / "build" / "SimpleArbitrator.json"
# every committed artifact: source -> artifact (``python -m chain.compile`` writes them all)
ARTIFACTS: dict[Path, Path] = {SOURCE_PATH: ARTIFACT_PATH, ARBITRATOR_SOURCE_PATH: ARBITRATOR_ARTIFACT_PATH}
SHIM_PATH = REPO_ROOT / "tools" / "solc" / "solc"

# evmVersion "prague": the newest fork both py-evm 0.12 (embedded chain) and anvil execute.
# viaIR: the IR pipeline packs the storage reads and writes of the hot paths best, and lets
# postScores keep its loop readable without stack-depth workarounds.
EVM_VERSION = "prague"
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": EVM_VERSION,
    "optimizer": {"enabled": True, "runs": 1000},
    "viaIR": True,
}
_OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"]


class CompilerUnavailable(RuntimeError):
    """No usable solc: neither a native 0.8.37 nor Node with npm's solc package."""


class CompileError(RuntimeError):
    """The compiler rejected the source; the message holds solc's own diagnostics."""


def _solc_version(binary: str) -> str | None:
    """The full version string (e.g. ``0.8.37+commit.f401782d``) a binary reports, or None."""
    try:
        return get_version_str_from_solc_binary(binary)
    except Exception:  # missing, not executable, crashed or unparseable: not a usable solc
        return None


def _shim_usable(settings: Settings) -> bool:
    solcjs = Path(settings.node_tools_dir) / "node_modules" / "solc" / "package.json"
    return shutil.which("node") is not None and solcjs.is_file() and SHIM_PATH.is_file()


def find_solc(settings: Settings | None = None) -> tuple[str, str]:
    """The solc to use and how it was found (``"setting"``, ``"native"`` or ``"solcjs-shim"``)."""
    settings = settings or get_settings()
    if settings.solc:
        version = _solc_version(settings.solc)
        if version is None or not version.startswith(SOLC_VERSION + "+"):
            raise CompilerUnavailable(
                f"HYPERBOUNTY_SOLC={settings.solc} is not a working solc {SOLC_VERSION} "
                f"(it reports {version or 'nothing'}); point it at solc {SOLC_VERSION} or unset it."
            )
        return settings.solc, "setting"
    native = shutil.which("solc")
    if native and Path(native).resolve() != SHIM_PATH.resolve():
        version = _solc_version(native)
        if version and version.startswith(SOLC_VERSION + "+"):
            return native, "native"
    if _shim_usable(settings):
        return str(SHIM_PATH), "solcjs-shim"
    raise CompilerUnavailable(
        f"No solc {SOLC_VERSION} found: install Node.js and run `bash scripts/setup.sh --dev` (it installs "
        f"npm's solc into tools/node), or set HYPERBOUNTY_SOLC to a native solc {SOLC_VERSION}."
    )


def compiler_available(settings: Settings | None = None) -> bool:
    """Whether :func:`compile_contract` can run here (tests use it with ``tests.tooling.require``)."""
    try:
        find_solc(settings)
    except CompilerUnavailable:
        return False
    return True


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _standard_input(source_name: str, source: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {source_name: {"content": source}},
        "settings": {**settings, "outputSelection": {"*": {"*": _OUTPUTS}}},
    }


def _run_solc(binary: str, standard_input: dict[str, Any], base_path: Path) -> dict[str, Any]:
    try:
        output = solcx.compile_standard(
            standard_input, solc_binary=binary, allow_empty=True, base_path=base_path, allow_paths=base_path
        )
    except solcx.exceptions.SolcError as exc:
        raise CompileError(str(exc)) from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    return output


def compile_contract(
    source_path: Path | None = None,
    contract_name: str | None = None,
    *,
    settings: Settings | None = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """Compile one contract of a source file and return its artifact (see :func:`load_artifact`).

    ``contract_name`` defaults to the file's stem. Test contracts (``contracts/test/``) compile
    through this too.
    """
    settings = settings or get_settings()
    source_path = Path(source_path or SOURCE_PATH).resolve()
    contract_name = contract_name or source_path.stem
    source = source_path.read_text(encoding="utf-8")
    binary, how = find_solc(settings)
    version = _solc_version(binary) or SOLC_VERSION
    source_sha = _sha256(source.encode())
    root, importable = _import_root(source_path)
    unit_name = source_path.relative_to(root).as_posix()
    # any importable file's change invalidates the cache too
    imports = [_sha256(p.read_bytes()) for p in importable]
    key = _sha256(json.dumps([source_sha, imports, contract_name, COMPILER_SETTINGS, version]).encode())
    cache_file = settings.path("compile-cache", f"{key}.json")
    if use_cache and cache_file.is_file():
        return json.loads(cache_file.read_text(encoding="utf-8"))

    standard_input = _standard_input(unit_name, source, COMPILER_SETTINGS)
    output = _run_solc(binary, standard_input, root)
    try:
        contract = output["contracts"][unit_name][contract_name]
    except KeyError as exc:
        raise CompileError(f"{source_path.name} has no contract named {contract_name}.") from exc
    artifact = _artifact(source_path, contract_name, contract, version, how, source_sha)
    _write_json(cache_file, artifact)
    return artifact


def _import_root(source_path: Path) -> tuple[Path, list[Path]]:
    """Where imports resolve from, and the .sol files they may reach.

    A source under ``contracts/`` is named relative to it (``BountyBoard.sol``,
    ``test/ReentrantAttacker.sol``), so a test contract imports ``../IBountyBoard.sol``. Any other
    source resolves imports next to itself.
    """
    if source_path.is_relative_to(CONTRACTS_DIR.resolve()):
        return CONTRACTS_DIR.resolve(), sorted(CONTRACTS_DIR.resolve().rglob("*.sol"))
    return source_path.parent, sorted(source_path.parent.glob("*.sol"))


def _artifact(
    source_path: Path, name: str, contract: dict[str, Any], version: str, how: str, source_sha: str
) -> dict[str, Any]:
    try:
        shown = source_path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        shown = source_path.name
    return {
        "_generated": (
            f"Generated by `python -m chain.compile` from {shown} with solc {version} "
            "through py-solc-x; do not edit by hand."
        ),
        "contractName": name,
        "sourcePath": shown,
        "sourceSha256": source_sha,
        "compiler": {"version": version, "binary": how},
        "settings": COMPILER_SETTINGS,
        "abi": contract["abi"],
        "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
        "methodIdentifiers": contract["evm"]["methodIdentifiers"],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, so a crash never leaves half an artifact behind."""
    durable.atomic_write_json(path, data, indent=1, sort_keys=False, newline=True, mode=0o600)


def write_artifact(artifact: dict[str, Any], path: Path = ARTIFACT_PATH) -> Path:
    """Write an artifact where :func:`load_artifact` finds it."""
    _write_json(path, artifact)
    return path


def load_artifact(path: Path | None = None) -> dict[str, Any]:
    """A committed artifact (abi, bytecode, ...), BountyBoard's by default; needs no compiler."""
    path = Path(path or ARTIFACT_PATH)
    try:
        artifact = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"The contract artifact {path} is missing: restore it from git or run `python -m chain.compile`."
        ) from exc
    if not isinstance(artifact.get("abi"), list) or not str(artifact.get("bytecode", "")).startswith("0x"):
        raise ValueError(f"{path} is not a contract artifact: run `python -m chain.compile` to rebuild it.")
    return artifact


def main(argv: list[str] | None = None) -> int:
    """``python -m chain.compile``: recompile every contract of :data:`ARTIFACTS` and rewrite its
    committed artifact."""
    del argv
    for source, target in ARTIFACTS.items():
        try:
            artifact = compile_contract(source, use_cache=False)
        except (CompilerUnavailable, CompileError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        path = write_artifact(artifact, target)
        size = (len(artifact["deployedBytecode"]) - 2) // 2
        print(
            f"wrote {path.relative_to(REPO_ROOT)}: solc {artifact['compiler']['version']} "
            f"({artifact['compiler']['binary']}), runtime code {size} bytes, "
            f"source sha256 {artifact['sourceSha256'][:12]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
