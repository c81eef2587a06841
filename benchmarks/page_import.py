"""What a scenario page's kernel spends importing the course before it can draw anything.

Every page Voila serves starts a kernel whose one code cell runs ``from course.play.app import
play_scenario``; the landing page imports ``course.play.landing``. Each is timed in a fresh
interpreter, interleaved with the baseline the page cannot avoid (``import ipywidgets``, which
Voila's kernel needs anyway), so that both see the same load on the machine. Prints the median
seconds, the course's own share above the baseline, and the heavy packages each import drags in.

Run: ``python3 -m uv run python benchmarks/page_import.py [--runs N] [--against DIR]``. With
``--against``, a checkout of another revision (``git worktree add DIR REV``) is timed too, in the
same interleaved rounds, so the two revisions can be compared on a machine whose load varies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {
    "baseline: import ipywidgets": "ipywidgets",
    "scenario page: course.play.app": "course.play.app",
    "landing page: course.play.landing": "course.play.landing",
}
# What a page should never need: the build and its schema, YAML, pydantic, nbgrader, pandas.
HEAVY = ("course.build", "course.scenario", "pydantic", "yaml", "nbgrader", "pandas", "matplotlib")
PROBE = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "import {module}\n"
    "elapsed = time.perf_counter() - t\n"
    "heavy = sorted({{m.split('.')[0] if not m.startswith('course.') else '.'.join(m.split('.')[:2])"
    " for m in sys.modules if m.startswith({heavy!r})}})\n"
    "print(json.dumps({{'seconds': elapsed, 'heavy': heavy}}))\n"
)


def probe(module: str, tree: Path = REPO) -> dict:
    """Import ``module`` in a fresh interpreter, with the ``course`` package of ``tree`` first on
    the path (run from a neutral folder, whose own files must not shadow it)."""
    code = PROBE.format(module=module, heavy=HEAVY)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against", type=Path, help="a checkout of another revision to time too")
    args = parser.parse_args()
    targets = {name: (module, REPO) for name, module in TARGETS.items()}
    if args.against:
        targets |= {
            f"{name} [{args.against.name}]": (module, args.against.resolve())
            for name, module in TARGETS.items()
            if module.startswith("course.")
        }
    probe("ipywidgets")  # warm the file cache once, for every target alike
    times: dict[str, list[float]] = {name: [] for name in targets}
    heavy: dict[str, list[str]] = {}
    for _ in range(args.runs):
        for name, (module, tree) in targets.items():
            result = probe(module, tree)
            times[name].append(result["seconds"])
            heavy[name] = result["heavy"]
    baseline = statistics.median(times["baseline: import ipywidgets"])
    print(f"median of {args.runs} fresh interpreters, interleaved")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:50} {median:6.3f} s  x{median / baseline:4.2f} of baseline"
            f"  (+{median - baseline:.3f} s)  heavy: {', '.join(heavy[name]) or 'none'}"
        )


if __name__ == "__main__":
    main()
