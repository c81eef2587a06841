"""The README's two set-up commands, timed on a clean clone.

Run: ``python3 -m uv run python benchmarks/fresh_setup.py [--empty-uv-cache] [--tests]``.

1. ``git clone`` of this checkout's HEAD into a scratch folder: what a new machine starts from.
2. ``scripts/serve.sh --port N`` there, as the README gives it (uv installed if missing, the
   locked environment made, the course built from ``scenarios/``, Voila started). Timed from the
   command until the landing page and then a scenario page answer (HTTP 200, each drawn by its
   kernel: the server is serving the course, not just listening).
3. The baseline, in the same run: the server stopped and ``scripts/serve.sh`` started again in
   the same clone, set up already (the environment in place, the build up to date). The ratio
   fresh / again is what the first set-up costs over an ordinary start.

``--empty-uv-cache`` gives uv an empty cache of its own, so every package is downloaded as on a
machine that never had them (needs the network; the course itself needs none). Without it, uv's
cache on this machine is used, as on a machine that has installed the course before.
``--tests`` also times ``scripts/test.sh`` (the README's test command, with ``CI=true`` as
``.ci/run`` gives it) in the clone: the whole test suite, tens of minutes.
Not part of the test suite's pass or fail.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import free_port  # noqa: E402

LANDING = "voila/render/index.ipynb"
SCENARIO = "voila/render/practice/01-public-and-permanent/late-night-placement-post.ipynb"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what the checkout's own environment put in it."""
    ours = {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    bin_dir = str(REPO / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    return {**env, **extra}


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def timed_serve(clone: Path, env: dict[str, str], log: Path, limit: float) -> dict[str, float]:
    """Start ``scripts/serve.sh`` in ``clone``; seconds until the landing page and a scenario page
    answer. The server is stopped before returning."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/serve.sh", "--port", str(port)],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    figures: dict[str, float] = {}
    try:
        for name, path in (("landing", LANDING), ("scenario", SCENARIO)):
            while not answers(f"{base}/{path}"):
                if proc.poll() is not None:
                    raise SystemExit(f"scripts/serve.sh exited {proc.returncode}:\n{log.read_text()[-3000:]}")
                if time.monotonic() - start > limit:
                    raise SystemExit(f"no {name} page within {limit:.0f} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
            figures[name] = time.monotonic() - start
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.terminate()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--empty-uv-cache", action="store_true", help="download every package afresh")
    parser.add_argument("--tests", action="store_true", help="also time scripts/test.sh (tens of minutes)")
    parser.add_argument("--limit", type=float, default=1800, help="the longest wait for a page, seconds")
    parser.add_argument("--keep", type=Path, help="keep the clone and the logs here")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="mip-fresh-"))
    clone = scratch / "clone"
    extra = {"UV_CACHE_DIR": str(scratch / "uv-cache")} if args.empty_uv_cache else {}
    env = clean_env(**extra)
    try:
        start = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, env=env)
        cloned = time.monotonic() - start
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
        ).stdout.strip()
        fresh = timed_serve(clone, env, scratch / "serve-fresh.log", args.limit)
        again = timed_serve(clone, env, scratch / "serve-again.log", args.limit)
        tests = None
        if args.tests:
            start = time.monotonic()
            done = subprocess.run(
                ["bash", "scripts/test.sh"],
                cwd=clone,
                env={**env, "CI": "true"},
                stdout=open(scratch / "tests.log", "w"),  # noqa: SIM115 - closed with the process
                stderr=subprocess.STDOUT,
            )
            tests = (time.monotonic() - start, done.returncode)
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for log in scratch.glob("*.log"):
                shutil.copy(log, args.keep / log.name)
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"\nFresh set-up, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}: "
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load "
        f"{os.getloadavg()[0]:.1f}; clone of {head}; uv cache: "
        f"{'empty (every package downloaded)' if args.empty_uv_cache else 'as this machine has it'}"
    )
    print(f"  git clone:                          {cloned:7.1f} s")
    for name in ("landing", "scenario"):
        ratio = fresh[name] / again[name]
        print(
            f"  scripts/serve.sh -> {name:8} page:   {fresh[name]:7.1f} s fresh, "
            f"{again[name]:6.1f} s started again  x{ratio:.1f}"
        )
    if tests is not None:
        seconds, code = tests
        print(f"  scripts/test.sh (CI=true):          {seconds:7.1f} s  exit {code}")


if __name__ == "__main__":
    main()
