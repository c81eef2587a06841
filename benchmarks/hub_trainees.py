"""Memory and CPU per trainee on the single-server hub: the figures behind the Kubernetes
requests, limits and trainees-per-node table (``deploy/kubernetes/``, ``course/hub/sizing.py``).

Run, as root (it makes Unix accounts, removed afterwards):
``python3 -m uv run python benchmarks/hub_trainees.py [--trainees 8] [--parallel 2] [--write]``.

It starts the hub as the README and ``tests/hub`` do (``deploy/jupyterhub/start.sh`` in a scratch
folder, accounts from a roster), the tutor releases the shortest module, then N trainees log in
with headless Chromium, ``--parallel`` at a time, and each plays the module to its end by the
app's links and submits (``tests/hub/test_journey.play``). A sampler reads, every 0.25 s, the USS
and CPU time of every process of each trainee's Unix account (their server and page kernels,
kernels already gone included through the server's reaped-children times) and of the hub's own
processes. Per trainee: USS mean (landing page to submission) and peak; CPU seconds and the
highest CPU rate from the login (the server's start included); session length. The baseline is
the same trainee's server idle on the landing page just after login; the ratio says what
playing costs over it. ``--write`` saves the figures to ``deploy/kubernetes/sizing.json`` (then
put ``resources()`` in values.yaml and ``sizing_table()`` in its README, as
tests/hub/test_kubernetes.py checks).
"""

from __future__ import annotations

import argparse
import os
import platform
import pwd
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' hub, run from anywhere

from course.hub.settings import GRADER_USER
from course.hub.sizing import Measured, dump, resources, sizing_table
from course.paths import REPO
from course.scenario.catalog import load_course
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, best_option
from tests.hub.conftest import scratch_hub
from tests.hub.test_journey import MODULE, play

SAMPLE_SECONDS = 0.25
SIZING = REPO / "deploy" / "kubernetes" / "sizing.json"


def _usage(procs: list[psutil.Process]) -> tuple[float, float]:
    """USS in MiB and CPU seconds (own and reaped children's) of ``procs``; vanished ones skipped."""
    mib = cpu = 0.0
    for proc in procs:
        try:
            with proc.oneshot():
                mib += proc.memory_full_info().uss / 2**20
                times = proc.cpu_times()
                cpu += times.user + times.system + times.children_user + times.children_system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return mib, cpu


@dataclass
class Trace:
    """One trainee's samples: (time, MiB, CPU seconds)."""

    samples: list[tuple[float, float, float]] = field(default_factory=list)
    start: float = 0.0
    landed: float = 0.0
    end: float = 0.0

    def between(self, start: float, end: float) -> list[tuple[float, float, float]]:
        return [s for s in self.samples if start <= s[0] <= end]


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS, each watched account's processes, and the hub's own."""

    def __init__(self, trainees: list[str], prefix: Path) -> None:
        super().__init__(daemon=True)
        self.uids = {name: pwd.getpwnam(name).pw_uid for name in trainees}
        self.grader_uid = pwd.getpwnam(GRADER_USER).pw_uid
        self.prefix = str(prefix)
        self.traces = {name: Trace() for name in trainees}
        self.hub: list[float] = []
        self.grader: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            now = time.monotonic()
            by_uid: dict[int, list[psutil.Process]] = {}
            hub: list[psutil.Process] = []
            for proc in psutil.process_iter(["uids", "cmdline"]):
                uid = proc.info["uids"].real if proc.info["uids"] else -1
                by_uid.setdefault(uid, []).append(proc)
                cmdline = " ".join(proc.info["cmdline"] or [])
                if uid == 0 and self.prefix in cmdline:
                    hub.append(proc)  # jupyterhub, configurable-http-proxy, the idle culler
            for name, uid in self.uids.items():
                mib, cpu = _usage(by_uid.get(uid, []))
                self.traces[name].samples.append((now, mib, cpu))
            self.hub.append(_usage(hub)[0])
            self.grader.append(_usage(by_uid.get(self.grader_uid, []))[0])
            self.stopping.wait(SAMPLE_SECONDS)


@dataclass
class Figures:
    name: str
    idle_mib: float
    mean_mib: float
    peak_mib: float
    cpu_seconds: float
    peak_cores: float
    seconds: float


def figures(name: str, trace: Trace) -> Figures:
    session = trace.between(trace.start, trace.end)  # from the login: the server's start costs too
    playing = trace.between(trace.landed, trace.end)  # the server up, the trainee at work
    idle = trace.between(trace.landed, trace.landed + 1.0) or playing[:1]
    rates = [(b[2] - a[2]) / (b[0] - a[0]) for a, b in pairwise(session) if b[0] > a[0]]
    return Figures(
        name,
        idle_mib=statistics.mean(s[1] for s in idle),
        mean_mib=statistics.mean(s[1] for s in playing),
        peak_mib=max(s[1] for s in session),
        cpu_seconds=session[-1][2] - session[0][2],
        peak_cores=max(rates, default=0.0),
        seconds=trace.end - trace.start,
    )


def run_trainees(hub, names: list[str], parallel: int, sampler: Sampler) -> None:
    """Each trainee logs in and plays the module in their own Chromium, ``parallel`` at a time."""
    from playwright.sync_api import sync_playwright

    course = load_course()
    queue = list(names)
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            while True:
                with lock:
                    if not queue:
                        break
                    name = queue.pop(0)
                trace = sampler.traces[name]
                trace.start = time.monotonic()
                try:
                    context, _ = play(
                        browser, hub, name, course, best_option, landed=lambda t=trace: _mark(t)
                    )
                    trace.end = time.monotonic()
                    context.close()
                except Exception as exc:  # report it, go on with the others
                    trace.end = time.monotonic()
                    failures.append(f"{name}: {exc}")
            browser.close()

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit("trainees failed:\n" + "\n".join(failures))


def row(r: Figures) -> str:
    values = (r.idle_mib, r.mean_mib, r.peak_mib, r.cpu_seconds, r.peak_cores, r.seconds)
    return f"{r.name:<10} " + " ".join(f"{v:10.2f}" for v in values)


def _mark(trace: Trace) -> None:
    trace.landed = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--write", action="store_true", help=f"save the figures to {SIZING}")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run it as root: it makes Unix accounts (removed afterwards)")
    names = [f"bench-{n:03d}" for n in range(1, args.trainees + 1)]
    people = {name: ("Bench", f"Trainee {n}") for n, name in enumerate(names, start=1)}
    with scratch_hub(people, {}) as hub:
        due = (date.today() + timedelta(days=7)).isoformat()
        released = hub.grader("course", "cohort", "release", MODULE, "--due", due)
        assert released.returncode == 0, released.stderr
        sampler = Sampler(names, hub.places.prefix)
        sampler.start()
        time.sleep(2)  # the hub idle, before anyone logs in
        hub_idle = statistics.mean(sampler.hub)
        began = time.monotonic()
        run_trainees(hub, names, args.parallel, sampler)
        wall = time.monotonic() - began
        sampler.stopping.set()
        sampler.join()
    rows = [figures(name, sampler.traces[name]) for name in names]
    print(f"{args.trainees} trainees, {args.parallel} at a time, module {MODULE}, {wall:.0f} s in all")
    heads = ("idle MiB", "mean MiB", "peak MiB", "CPU s", "peak cores", "s")
    print(f"{'trainee':<10} " + " ".join(f"{h:>10}" for h in heads))
    for r in rows:
        print(row(r))
    mean = Figures(
        "mean",
        *(
            statistics.mean(getattr(r, f) for r in rows)
            for f in ("idle_mib", "mean_mib", "peak_mib", "cpu_seconds")
        ),
        peak_cores=max(r.peak_cores for r in rows),
        seconds=statistics.mean(r.seconds for r in rows),
    )
    print(row(mean))
    print(
        f"playing / idle on the landing page (baseline): {mean.mean_mib / mean.idle_mib:.2f}x mean, "
        f"{mean.peak_mib / mean.idle_mib:.2f}x peak"
    )
    grader = statistics.mean(sampler.grader)
    print(f"hub (jupyterhub, proxy, idle culler) idle: {hub_idle:.1f} MiB; grading service: {grader:.1f} MiB")
    measured = Measured(
        date=date.today().isoformat(),
        machine=f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        source=(
            f"benchmarks/hub_trainees.py: {args.trainees} trainees on the single-server hub, "
            f"{args.parallel} at a time in headless Chromium, each logging in and playing {MODULE} "
            "to its end and submitting; USS and CPU of each trainee's server and kernels sampled "
            f"every {SAMPLE_SECONDS} s; hub: jupyterhub, configurable-http-proxy and idle culler, idle"
        ),
        trainees=args.trainees,
        mib_per_trainee_mean=round(mean.mean_mib, 1),
        mib_per_trainee_peak=round(max(r.peak_mib for r in rows), 1),
        cpu_seconds_per_trainee=round(mean.cpu_seconds, 2),
        session_seconds=round(mean.seconds, 1),
        cpu_cores_per_trainee_peak=round(mean.peak_cores, 2),
        hub_mib=round(hub_idle, 1),
    )
    print("Kubernetes resources per trainee:", resources(measured))
    print(sizing_table(measured))
    if args.write:
        dump(measured, SIZING)
        print(f"written to {SIZING}")


if __name__ == "__main__":
    main()
