#!/usr/bin/env bash
# Run the course on JupyterHub on this Linux server: as root, from a checkout of the course.
# Installs (or updates) the course where every trainee's server can read it, the grader account,
# its cohort and nbgrader's exchange (`course hub install`), then starts the hub on port 8000.
# Places and ports: MIP_HUB_PREFIX, MIP_HUB_COHORT, MIP_HUB_EXCHANGE, MIP_HUB_STATE, MIP_HUB_URL
# (see course/hub/settings.py and deploy/jupyterhub/jupyterhub_config.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "start.sh: run it as root (it makes Unix accounts and folders)" >&2; exit 1; }
if ! command -v npm >/dev/null 2>&1 || [ ! -x /usr/bin/python3.11 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm python3.11 >/dev/null
fi
scripts/bootstrap.sh
python3 -m uv run --frozen course hub install
prefix="${MIP_HUB_PREFIX:-/opt/mip-course}"
cd "${MIP_HUB_STATE:-/srv/jupyterhub}"
exec "$prefix/venv/bin/jupyterhub" -f "$prefix/app/deploy/jupyterhub/jupyterhub_config.py"
