#!/usr/bin/env bash
# Build the course from scenarios/ and serve it at http://127.0.0.1:8866 (self-study mode).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec python3 -m uv run --frozen course serve "$@"
