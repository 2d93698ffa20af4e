#!/usr/bin/env bash
# One command: set up everything the tests need, then lint and run every test.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/chain -x`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"
# Tests write only under a throwaway data directory, never the user's one.
export HYPERBOUNTY_DATA_DIR="${HYPERBOUNTY_TEST_DATA_DIR:-$(mktemp -d)}"
echo "[test] ruff"
ruff check .
ruff format --check .
# type-checks the files listed under [tool.mypy] in pyproject.toml (the layers below ui/ and pages/)
echo "[test] mypy"
mypy
echo "[test] pytest"
exec python -m pytest "$@"
