#!/usr/bin/env bash
# Shared by serve.sh and test.sh: install uv if missing, then the locked environment (.venv).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -m uv --version >/dev/null 2>&1; then
  python3 -m pip install --quiet "uv==0.13.9"
fi
python3 -m uv sync --frozen --quiet
