#!/usr/bin/env bash
# Install what the tests need (the locked Python environment, Debian packages), lint, and run
# the whole suite: unit tests, the end-to-end nbgrader test and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# Debian packages: chromium for the browser tests, hunspell's British dictionary for the lint.
if ! command -v chromium >/dev/null 2>&1 || ! command -v hunspell >/dev/null 2>&1 \
    || [ ! -f /usr/share/hunspell/en_GB.dic ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium hunspell hunspell-en-gb >/dev/null
fi
# axe-core for the accessibility audit and the hub's configurable-http-proxy (npm, package-lock.json).
if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -x node_modules/.bin/configurable-http-proxy ]; then
  npm ci --no-audit --no-fund --silent
fi
python3 -m uv run --frozen ruff check .
exec python3 -m uv run --frozen pytest "$@"
