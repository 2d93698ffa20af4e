#!/usr/bin/env bash
# One command: set up (first run only) and start the dashboard on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run dashboard.py "$@"
