#!/usr/bin/env bash
# Sets up HyperBounty in this checkout. Idempotent: a second run only checks.
#   bash scripts/setup.sh          Python environment for the dashboard (needs only pip)
#   bash scripts/setup.sh --dev    plus test tools: npm tools (solc, anvil, js-ipfs),
#                                  Debian chromium for browser tests, slither's own venv
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

stamp_ok() { # stamp file, inputs...: true when the stamp is newer than every input
  local stamp=$1; shift
  [ -f "$stamp" ] || return 1
  for f in "$@"; do [ "$f" -nt "$stamp" ] && return 1; done
  return 0
}

# --- Python -----------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
reqs=(requirements.txt)
[ $DEV = 1 ] && reqs+=(requirements-dev.txt)
stamp=.venv/.installed-$DEV
# a dev install covers the runtime one
if ! stamp_ok "$stamp" "${reqs[@]}" && ! stamp_ok .venv/.installed-1 requirements.txt requirements-dev.txt; then
  log "installing Python packages (${reqs[*]})"
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  args=(); for r in "${reqs[@]}"; do args+=(-r "$r"); done
  .venv/bin/pip install -q --disable-pip-version-check "${args[@]}"
  touch "$stamp"
fi
[ $DEV = 1 ] || exit 0

# --- Node tools: solcjs, anvil, js-ipfs --------------------------------------
if ! command -v npm >/dev/null; then
  echo "npm is needed for the test tools (solc, anvil, js-ipfs); install Node.js 20 and npm." >&2
  exit 1
fi
if ! stamp_ok tools/node/node_modules/.installed tools/node/package-lock.json; then
  log "installing Node tools (solc, anvil, js-ipfs) into tools/node"
  # `npm install`, not `npm ci`: js-ipfs has an optional dependency on a GitHub tarball that
  # cannot be fetched here, so it is missing from the lock file and `npm ci` refuses the lock.
  (cd tools/node && npm install --no-audit --no-fund --loglevel=error)
  touch tools/node/node_modules/.installed
fi

# --- Chromium for the browser tests -----------------------------------------
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "Chromium is needed for the browser tests: install Debian's 'chromium' package." >&2
    exit 1
  fi
fi

# --- slither in its own venv (it needs web3 < 8) ----------------------------
if ! stamp_ok .venv-slither/.installed requirements-slither.txt; then
  log "installing slither into .venv-slither"
  "$PYTHON" -m venv .venv-slither
  .venv-slither/bin/pip install -q --disable-pip-version-check -r requirements-slither.txt
  touch .venv-slither/.installed
fi
log "ready"
