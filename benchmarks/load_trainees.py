"""Concurrent trainees on `course serve`: success rate, time to first widget, server CPU and memory,
and whether any answer was lost.

Run: ``python3 -m uv run python benchmarks/load_trainees.py --sessions 50 100 200 [--ramp 0]``.

For each number of sessions it builds the self-study site in a scratch folder and starts `course
serve` on it (a free port, a scratch progress folder), one server per level. Each session is a
browser of its own (its own learner cookie) that speaks Voila's HTTP and kernel websocket
protocol (``benchmarks/voila_client.py``; no browser engine, which would cost the machine about 4
CPU-seconds a page): it opens one scenario page chosen at random (``--seed``), waits for the first
decision's radio buttons, plays the scenario to an ending choosing options at random and pressing
"Confirm choice", waiting for each outcome, pausing ``--think`` seconds (0.5-1.5x, at random) before
each choice as a reader would, writes the reflection, and leaves the page as a closed tab does (the
kernel shutdown beacon). The sessions arrive all at once, or evenly over ``--ramp`` seconds.

Time to first widget: from the page's request to the first decision's RadioButtons state received
from the kernel, options filled in and enabled (the moment the page's widget manager can draw
it; the browser's own script and style work is not in it). Baseline: the same, one session alone
on the same server just before the burst (the median of ``--baseline`` sessions, after one
warm-up); the ratio is the burst's p50 over it.

Afterwards every session's answers are read from the server's progress folder
(``progress/<learner>/<module>/<scenario>.answers.json``) and compared with the choices, the option
orders shown and the reflection the session made: a session succeeds only if it played to its
end and its answers on disk are exactly those. A page the server refuses as busy (HTTP 503) is
counted as turned away, with its response time, not as a failure. CPU seconds and memory (RSS
and USS summed) are those of the server's process tree, its kernels included, sampled by a
separate process every ``--sample`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import multiprocessing
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the course and the tests' helpers

from benchmarks.voila_client import (
    Kernel,
    PageProblem,
    browser,
    cookie,
    leave_page,
    open_page,
    page_config,
    page_trouble,
    page_views,
)
from course.build.notebooks import build_course
from course.documents import MODULE_DOCUMENT, SCENARIO_SUFFIX, ScenarioData, read_play_document
from course.paths import REPO
from course.play.answers import read_answers
from course.play.learner import LEARNER_COOKIE
from course.scenario.catalog import load_course
from course.warm_kernels import usable_cores
from tests.conftest import KERNEL_COMMAND, free_port, http_server, tool_env

PLAYED, TURNED_AWAY, FAILED = "played", "turned away", "failed"
KERNEL_CHECK_SECONDS = 15  # the course template asks the server about its kernel this often
FREED_WITHIN = 60.0  # how long to wait, after the last session, for the server to free kernels
GIB = 2**30
TROUBLE = re.compile(r"^\[[EWC] |ERROR|WARNING|Traceback|Exception")  # Tornado's and Jupyter's log lines
# Said for every page whatever the load: Voila's notebooks are never signed, kernels talk over loopback TCP.
ROUTINE = re.compile(r"is not trusted|Kernel is running over TCP without encryption")
VARYING = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}|\d+(\.\d+)?")
MAX_LOG_LINES = 12
KERNEL = re.compile(KERNEL_COMMAND)


# -- the server ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """A scenario page a trainee may open: its module folder, its URL path, its scenario."""

    module: str
    path: str
    scenario: ScenarioData


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    progress: Path
    log: Path
    pages: list[Page]


def scenario_pages(site: Path) -> list[Page]:
    """Every scenario and knowledge check of the self-study site under ``site/practice``."""
    pages = []
    for module in sorted((site / "practice").glob(f"*/{MODULE_DOCUMENT}")):
        for play in sorted(module.parent.glob(f"*{SCENARIO_SUFFIX}")):
            page_id = play.name.removesuffix(SCENARIO_SUFFIX)
            scenario = read_play_document(module.parent, page_id)["scenario"]
            path = f"/voila/render/practice/{module.parent.name}/{page_id}.ipynb"
            pages.append(Page(module.parent.name, path, scenario))
    return pages


@contextmanager
def course_serve(folder: Path, voila_args: tuple[str, ...] = ()) -> Iterator[Served]:
    """`course serve` in a process of its own, on a free port, over the self-study site built in
    ``folder``, keeping progress in a scratch folder there; stopped afterwards."""
    site, progress, log = folder / "site", folder / "progress", folder / "serve.log"
    build_course(load_course(), source_dir=None, practice_dir=site / "practice")
    port = free_port()
    args = [
        *(sys.executable, "-m", "course.cli", "serve", "--root", str(site), "--port", str(port)),
        *("--progress", str(progress), "--", *voila_args),
    ]
    env = tool_env(PYTHONPATH=str(REPO))  # this tree's course, whichever way we were started
    with http_server(args, port, log, cwd=REPO, env=env) as url:
        (server,) = [p for p in psutil.Process().children() if str(port) in p.cmdline()]
        yield Served(url, server.pid, progress, log, scenario_pages(site))


# -- sampling the server's process tree -----------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic(), the same clock in every process
    cpu: float  # CPU seconds of the tree so far, reaped kernels included
    rss: int
    uss: int
    kernels: int
    available: int  # the machine's memory still available
    fds: int  # files and sockets the server process holds open (its limit: ulimit -n)


def tree_sample(root: psutil.Process) -> Sample:
    cpu, rss, uss, kernels = 0.0, 0, 0, 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            with proc.oneshot():
                times, memory = proc.cpu_times(), proc.memory_full_info()
                kernels += bool(KERNEL.search(" ".join(proc.cmdline())))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue  # a kernel that ended meanwhile: the server's children times hold it now
        cpu += times.user + times.system + times.children_user + times.children_system
        rss, uss = rss + memory.rss, uss + memory.uss
    fds = root.num_fds()
    return Sample(time.monotonic(), cpu, rss, uss, kernels, psutil.virtual_memory().available, fds)


def _sample_until_stopped(pid: int, every: float, ready, stop, out) -> None:
    root, samples, began = psutil.Process(pid), [], time.process_time()
    while True:
        with suppress(psutil.NoSuchProcess):
            samples.append(tree_sample(root))
        ready.set()
        if stop.wait(every):
            break
    out.send((samples, time.process_time() - began))


class Sampler:
    """Samples the server's tree in a process of its own, so that reading /proc for hundreds of
    kernels never holds up the sessions' event loop. Returns once it has taken a first sample."""

    def __init__(self, pid: int, every: float) -> None:
        context = multiprocessing.get_context("spawn")
        ready, self.stop, (self.receive, send) = context.Event(), context.Event(), context.Pipe(duplex=False)
        target, args = _sample_until_stopped, (pid, every, ready, self.stop, send)
        self.process = context.Process(target=target, args=args, daemon=True)
        self.process.start()
        if not ready.wait(120):
            raise RuntimeError("the resource sampler did not start")

    def finish(self) -> tuple[list[Sample], float]:
        """The samples, and the CPU seconds the sampling itself cost."""
        self.stop.set()
        samples, cpu = self.receive.recv()
        self.process.join()
        return samples, cpu


# -- one trainee ----------------------------------------------------------------------------------
@dataclass
class Session:
    """What one trainee's session did and saw."""

    number: int
    page: Page
    outcome: str = FAILED
    doing: str = "waiting to start"  # what it was doing or waiting for (the failure's place)
    problem: str = ""
    status: int | None = None  # the page's HTTP status
    retry_after: str | None = None
    learner: str | None = None
    page_seconds: float | None = None  # request to the page's last byte
    first_widget: float | None = None  # request to the first decision usable
    answered_seconds: list[float] = field(default_factory=list)  # each busy page's response time
    seconds: float = 0.0
    choices: list[dict[str, str]] = field(default_factory=list)  # each confirmed by the page
    orders: dict[str, list[str]] = field(default_factory=dict)  # option ids in the order shown
    reflection: str = ""  # once the kernel has handled it
    kernel_checks: list[int] = field(default_factory=list)  # the page's api/kernels/<id> statuses
    shutdown: int | None = None  # the status of the kernel shutdown beacon
    page_html: str = ""  # a page that showed no widget, kept for the report


def reflection_text(rng: random.Random, number: int) -> str:
    """A trainee's reflection: plain words, a line break and a few characters beyond ASCII."""
    reasons = ("the client's privacy", "my professional boundaries", "what my supervisor advised")
    return (
        f"Trainee {number}: I weighed {rng.choice(reasons)} before deciding.\n"
        f"Next time I would ask first — café note #{rng.randrange(10**6)}."
    )


def step_shown(scenario: ScenarioData, labels: list[str]) -> dict[str, Any]:
    """The step whose options the radio buttons show (the page never shows option ids)."""
    found = [s for s in scenario["steps"] if sorted(o["text"] for o in s["options"]) == sorted(labels)]
    if len(found) != 1:
        raise PageProblem(f"the options shown {labels!r} match {len(found)} steps of {scenario['id']}")
    return found[0]


async def check_kernel(http: aiohttp.ClientSession, base: str, kernel_id: str, session: Session) -> None:
    """The course template's check while the page is open: is the page's kernel still there?"""
    while True:
        await asyncio.sleep(KERNEL_CHECK_SECONDS)
        async with http.get(f"{base}/api/kernels/{kernel_id}") as response:
            session.kernel_checks.append(response.status)


async def play(
    session: Session, base: str, rng: random.Random, think: float, timeout: float, come_back: int = 0
) -> None:
    """One trainee: open the page (turned away, back when the busy page reloads itself, at most
    ``come_back`` times), play its scenario to an ending, reflect, leave."""
    start = time.monotonic()
    try:
        async with browser(timeout) as http:
            await _play(http, session, base, rng, think, timeout, start, come_back)
    except PageProblem as exc:
        session.problem = str(exc)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        session.problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:  # the page sent what this client did not expect: one session fails
        session.problem = f"unexpected {type(exc).__name__} in the load generator: {exc!r}"
    session.seconds = time.monotonic() - start


async def _play(
    http, session: Session, base: str, rng, think: float, timeout: float, start: float, come_back: int
) -> None:
    while True:
        session.doing = "waiting for the page"
        try:  # Voila keeps a slow page's connection alive with heartbeats: bound the whole page
            response, body, session.page_seconds = await asyncio.wait_for(
                open_page(http, base + session.page.path), timeout
            )
        except TimeoutError:
            raise PageProblem(f"the page did not arrive within {timeout:.0f} s") from None
        session.status = response.status
        if response.status != 503:
            break
        # The server is at capacity: a "busy, try again" page, which reloads itself after its
        # Refresh seconds, as a trainee who leaves it open sees it do.
        session.answered_seconds.append(session.page_seconds)
        session.retry_after = response.headers.get("Retry-After")
        if len(session.answered_seconds) > come_back:
            session.outcome = TURNED_AWAY
            return
        session.doing = "on the busy page, until it reloads"
        await asyncio.sleep(float(response.headers.get("Refresh", session.retry_after or 60)))
    if response.status != 200:
        raise PageProblem(f"the page answered HTTP {response.status}")
    session.learner = cookie(http, LEARNER_COOKIE)
    kernel_id, views = page_config(body)["kernelId"], page_views(body)
    kernel: Kernel | None = None
    try:
        if not views:
            session.page_html = body
            raise PageProblem(f"the page displays no widget; it shows: {page_trouble(body)}")
        session.doing = "waiting for api/kernels/<id>"
        async with http.get(f"{base}/api/kernels/{kernel_id}") as model:
            if model.status != 200:
                raise PageProblem(f"api/kernels/{kernel_id} answered HTTP {model.status}")
        session.doing = "connecting to the kernel"
        kernel = await Kernel.connect(http, base, kernel_id, timeout)
        checking = asyncio.create_task(check_kernel(http, base, kernel_id, session))
        try:
            await _use(kernel, views, session, rng, think, start)
        finally:
            checking.cancel()
    finally:  # a page left, however it went, posts its kernel's shutdown
        try:
            session.shutdown = await leave_page(http, base, kernel, kernel_id)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            session.problem = session.problem or f"leaving the page: {exc!r}"


async def _use(kernel: Kernel, views: list[str], session: Session, rng, think: float, start: float) -> None:
    """The page open: its widgets loaded, the scenario played to an ending, the reflection written."""
    session.doing = "waiting for the kernel's info"
    await kernel.request("kernel_info_request", {})
    session.doing = "waiting for the widgets' states"
    await kernel.widget_states()
    if missing := [view for view in views if view not in kernel.models]:
        raise PageProblem(f"the kernel has no state for the page's widget(s) {missing}")
    radio = kernel.find("RadioButtonsModel", "mip-options")
    state = kernel.state(radio)
    await kernel.until(lambda: bool(state["_options_labels"]) and not state["disabled"], "a decision")
    session.first_widget = time.monotonic() - start
    await _decide(kernel, session, rng, think, radio)
    reflection = session.page.scenario.get("reflection")
    if reflection:
        text = reflection_text(rng, session.number)
        session.doing = "writing the reflection"
        sent = await kernel.update(kernel.find("TextareaModel", "mip-reflection"), value=text)
        await kernel.until_idle(sent, "the reflection handled")
        session.reflection = text
    session.outcome, session.doing = PLAYED, "done"


async def _decide(kernel: Kernel, session: Session, rng, think: float, radio: str) -> None:
    """Each decision: choose an option at random, confirm it, wait for its outcome; to an ending."""
    scenario = session.page.scenario
    confirm = kernel.find("ButtonModel", "mip-confirm")
    announce = kernel.find("HTMLModel", "mip-announce")
    steps = {s["id"]: s for s in scenario["steps"]}
    node = scenario["start"]
    while node in steps:
        number = len(session.choices) + 1
        labels = list(kernel.state(radio)["_options_labels"])
        step = step_shown(scenario, labels)
        if step["id"] != node:
            raise PageProblem(f"decision {number}: the page shows step {step['id']}, the path is at {node}")
        by_text = {o["text"]: o for o in step["options"]}
        index = rng.randrange(len(labels))
        option = by_text[labels[index]]
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))  # reading the situation or the feedback
        session.doing = f"waiting for the outcome of decision {number} ({step['id']}: {option['id']})"
        heard = kernel.updates.get(announce, 0)
        await kernel.update(radio, index=index)
        await kernel.click(confirm)
        said = f"You chose: {option['text']}"
        outcome = f"the outcome of {step['id']}"
        await kernel.until(lambda h=heard: kernel.updates.get(announce, 0) > h, outcome)
        told = html.unescape(kernel.state(announce)["value"])
        if not told.startswith(said):
            raise PageProblem(f"decision {number}: the page announced {told[:80]!r}, not {said!r}")
        session.choices.append({"step": step["id"], "option": option["id"]})
        session.orders[step["id"]] = [by_text[label]["id"] for label in labels]
        node = option["next"]
    ending = next((e for e in scenario["endings"] if e["id"] == node), None)
    if ending is None or ending["title"] not in html.unescape(kernel.state(announce)["value"]):
        raise PageProblem(f"the path ended at {node}, which the page did not announce as an ending")


def lost_answers(session: Session, progress: Path) -> list[str]:
    """What the page confirmed but the server's progress folder does not hold exactly."""
    if session.learner is None:
        return []
    saved = read_answers(progress / session.learner / session.page.module, session.page.scenario)
    choices = saved.choices if saved else []
    problems = []
    if choices[: len(session.choices)] != session.choices or (
        session.outcome == PLAYED and choices != session.choices
    ):
        problems.append(f"choices on disk {choices}, played {session.choices}")
    orders = {step: saved.orders.get(step) for step in session.orders} if saved else {}
    if session.orders and orders != session.orders:
        problems.append(f"option orders on disk {orders}, shown {session.orders}")
    if session.reflection and (saved is None or saved.reflection != session.reflection):
        on_disk = saved.reflection if saved else None
        problems.append(f"reflection on disk {on_disk!r}, written {session.reflection!r}")
    return problems


async def run_sessions(
    base: str,
    pages: list[Page],
    count: int,
    *,
    seed: int,
    ramp: float,
    think: float,
    timeout: float,
    come_back: int = 0,
    first: int = 1,
) -> list[Session]:
    """``count`` trainees, numbered from ``first``, arriving evenly over ``ramp`` seconds."""

    async def one(n: int) -> Session:
        rng = random.Random(f"{seed}-{n}")
        session = Session(n, rng.choice(pages))
        await asyncio.sleep(ramp * (n - first) / count)
        await play(session, base, rng, think, timeout, come_back)
        return session

    return list(await asyncio.gather(*(one(n) for n in range(first, first + count))))


# -- a level: one server, a baseline, a burst --------------------------------------------------------
@dataclass
class Level:
    sessions: list[Session]
    baseline: list[Session]
    wall: float
    burst: list[Sample]
    idle: Sample
    kernels_left: int
    freed_seconds: float | None
    lost: dict[int, list[str]]
    generator_cpu: float
    sampler_cpu: float
    trouble: list[str]  # the server log's errors and warnings
    cost_alone: float | None  # CPU-seconds a page cost before the crowd, as the server measured it


def succeeded(session: Session, lost: dict[int, list[str]]) -> bool:
    return session.outcome == PLAYED and not lost.get(session.number)


async def measure_level(served: Served, count: int, args: argparse.Namespace) -> Level:
    options = {"seed": args.seed, "think": args.think, "timeout": args.timeout}
    await run_sessions(served.url, served.pages, 1, ramp=0, first=0, **options)  # warm-up, not counted
    baseline = []
    for n in range(args.baseline):  # one trainee alone on the server, one after the other
        baseline += await run_sessions(served.url, served.pages, 1, ramp=0, first=-1 - n, **options)
    await kernels_freed(served.pid)
    cost_alone = page_cost(served.log)  # what the server paces a first crowd on
    sampler = Sampler(served.pid, args.sample)
    server = psutil.Process(served.pid)
    idle = tree_sample(server)  # the server at rest, every baseline kernel shut down
    began, cpu = time.monotonic(), time.process_time()
    sessions = await run_sessions(
        served.url, served.pages, count, ramp=args.ramp, come_back=args.come_back, **options
    )
    wall = time.monotonic() - began
    generator_cpu = time.process_time() - cpu
    left, freed = await kernels_freed(served.pid)
    end = tree_sample(server)  # every kernel gone and reaped: its CPU time is in the server's
    samples, sampler_cpu = sampler.finish()
    lost = {s.number: lost_answers(s, served.progress) for s in [*sessions, *baseline]}
    return Level(
        sessions,
        baseline,
        wall,
        [idle, *(s for s in samples if began <= s.at <= end.at), end],
        idle,
        left,
        freed,
        {n: p for n, p in lost.items() if p},
        generator_cpu,
        sampler_cpu,
        server_trouble(served.log),
        cost_alone,
    )


def page_cost(log: Path) -> float | None:
    """The latest cost of a page the server logged (course.warm_kernels), if any."""
    found = re.findall(r"Pages cost ([0-9.]+) CPU-seconds", log.read_text(encoding="utf-8", errors="replace"))
    return float(found[-1]) if found else None


def server_trouble(log: Path) -> list[str]:
    """The server log's errors and warnings but the routine ones, alike lines (ids and numbers
    aside) counted together: "N x line", the most frequent first."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    alike = Counter()
    example: dict[str, str] = {}
    for line in lines:
        if TROUBLE.search(line) and not ROUTINE.search(line):
            key = VARYING.sub("#", line)
            alike[key] += 1
            example.setdefault(key, line[:240])
    return [f"{n} x {example[key]}" for key, n in alike.most_common()]


async def kernels_freed(pid: int) -> tuple[int, float | None]:
    """Kernels still running once every page was left, and how long the server took to free them."""
    start, root = time.monotonic(), psutil.Process(pid)
    while True:
        left = tree_sample(root).kernels
        waited = time.monotonic() - start
        if left == 0 or waited > FREED_WITHIN:
            return left, waited if left == 0 else None
        await asyncio.sleep(0.5)


# -- the report --------------------------------------------------------------------------------------
def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def seconds(values: list[float]) -> str:
    if not values:
        return "none"
    return f"p50 {quantile(values, 0.5):.2f} s, p95 {quantile(values, 0.95):.2f} s, max {max(values):.2f} s"


def report(level: Level, args: argparse.Namespace) -> list[str]:
    """The level's figures, then a line for each session that failed or saw something odd."""
    sessions, lost = level.sessions, level.lost
    count = len(sessions)
    ok = [s for s in sessions if succeeded(s, lost)]
    away = [s for s in sessions if s.outcome == TURNED_AWAY]
    failed = [s for s in sessions if s not in ok and s not in away]
    admitted = count - len(away)
    let_in = away and admitted  # worth its own rate only when some were turned away
    first = [s.first_widget for s in sessions if s.first_widget is not None]
    alone = [s.first_widget for s in level.baseline if s.first_widget is not None]
    ratio = (
        f"{quantile(first, 0.5) / statistics.median(alone):.2f}x" if first and alone else "none (no widget)"
    )
    burst = level.burst
    baseline_ok = sum(succeeded(s, lost) for s in level.baseline)
    cpu = burst[-1].cpu - burst[0].cpu
    arriving = "at once" if not args.ramp else f"evenly over {args.ramp:g} s"
    busy = [s for s in sessions if s.answered_seconds]  # shown the busy page at least once
    at_once = [s.first_widget for s in sessions if s.first_widget is not None and not s.answered_seconds]
    back = [s for s in busy if s.outcome != TURNED_AWAY]
    turned = f"{len(busy)} at first"
    if busy:
        retry = sorted({str(s.retry_after) for s in busy})
        answered = [t for s in busy for t in s.answered_seconds]
        first_told = [s.answered_seconds[0] for s in busy]
        turned += f" (busy page answered in {seconds(answered)}, Retry-After {retry}"
        turned += f"; on a first arrival within a second: {sum(t <= 1.0 for t in first_told)} of {len(busy)})"
        turned += f"; came back when it reloaded and let in: {len(back)}; turned away for good: {len(away)}"
    freed = (
        f"0, all freed {level.freed_seconds:.1f} s after the last session"
        if level.freed_seconds is not None
        else f"{level.kernels_left}, {FREED_WITHIN:.0f} s after the last session"
    )
    lines = [
        f"{count} trainee sessions arriving {arriving}, think {args.think:g} s, seed {args.seed}",
        f"  success: {len(ok)}/{count} ({100 * len(ok) / count:.1f}%) played to the end, answers on disk"
        + (f"; {len(ok)}/{admitted} ({100 * len(ok) / admitted:.1f}%) of those let in" if let_in else ""),
        f"  turned away (busy page): {turned}",
        f"  failed: {len(failed)}; lost answers: {sum(1 for s in sessions if s.number in lost)}",
        f"  time to first widget (from the first request, busy pages included): {seconds(first)}",
        *([f"    of those let in at once: {seconds(at_once)}"] if back else []),
        f"  baseline, one session alone: {seconds(alone)} ({baseline_ok}/{len(level.baseline)} succeeded); "
        f"burst p50 / baseline p50: {ratio}",
        f"  page HTML complete: {seconds([s.page_seconds for s in sessions if s.status == 200])}",
        f"  wall time: {level.wall:.1f} s; successful session length {seconds([s.seconds for s in ok])}",
        f"  server CPU (server and its kernels): {cpu:.1f} s, {cpu / level.wall:.2f} cores on average "
        "over the wall time",
        f"  pages drawn: {len(first)} by {max(first, default=0):.1f} s after the first request "
        f"({len(first) / max(max(first, default=0), 1e-9):.2f} a second); a page alone cost "
        + (
            f"{level.cost_alone:.2f} CPU-seconds before the crowd (the server's first pace: "
            f"{level.cost_alone / usable_cores():.2f} s a page on {usable_cores()} cores)"
            if level.cost_alone is not None
            else "nothing the server logged"
        ),
        f"  peak memory of the server's tree: RSS sum {max(s.rss for s in burst) / GIB:.2f} GiB, "
        f"USS sum {max(s.uss for s in burst) / GIB:.2f} GiB, {max(s.kernels for s in burst)} kernels "
        f"at most (idle server: RSS {level.idle.rss / GIB:.2f} GiB, USS {level.idle.uss / GIB:.2f} GiB)",
        f"  kernels still running once every page was left: {freed}",
        f"  lowest memory available on the machine: {min(s.available for s in burst) / GIB:.1f} GiB; "
        f"server's open files at most: {max(s.fds for s in burst)} (idle {level.idle.fds})",
        f"  load generator's own CPU: {level.generator_cpu:.1f} s (sampling: {level.sampler_cpu:.1f} s)",
        f"  server log: {len(level.trouble)} kind(s) of error or warning (routine per-page ones aside)",
        *(f"    {line}" for line in level.trouble[:MAX_LOG_LINES]),
    ]
    for s in failed:
        why = s.problem or "; ".join(lost.get(s.number, []))
        lines.append(
            f"  ! session {s.number} ({s.page.module}/{s.page.scenario['id']}, learner {s.learner}): "
            f"{s.outcome} after {s.seconds:.1f} s, {s.doing}: {why}"
        )
    for s in sessions:
        odd = [c for c in s.kernel_checks if c != 200]
        if odd or s.shutdown not in (None, 204):
            lines.append(f"  ! session {s.number}: kernel checks answered {odd}, shutdown {s.shutdown}")
    return lines


def keep_failed_pages(sessions: list[Session], folder: Path) -> None:
    """The pages that showed no widget, as the server sent them, for a closer look."""
    for session in sessions:
        if session.page_html:
            pages = folder / "failed-pages"
            pages.mkdir(exist_ok=True)
            (pages / f"session-{session.number}.html").write_text(session.page_html, encoding="utf-8")


@contextmanager
def scratch_folder(keep: Path | None, count: int) -> Iterator[Path]:
    """Where a level's site, progress and server log go: ``keep/sessions-N``, else a temporary folder."""
    if keep is None:
        with TemporaryDirectory(prefix=f"load-{count}-") as scratch:
            yield Path(scratch)
        return
    folder = keep / f"sessions-{count}"
    folder.mkdir(parents=True, exist_ok=False)
    yield folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which sessions arrive")
    parser.add_argument("--think", type=float, default=2.0, help="seconds a trainee reads before a choice")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--come-back",
        type=int,
        default=0,
        help="times a trainee given the busy page stays until it reloads itself (its Refresh)",
    )
    parser.add_argument("--baseline", type=int, default=3, help="sessions alone for the baseline")
    parser.add_argument("--timeout", type=float, default=600.0, help="the longest wait for one thing")
    parser.add_argument("--sample", type=float, default=1.0, help="seconds between resource samples")
    parser.add_argument("--keep", type=Path, help="keep each level's site, progress and server log here")
    args = parser.parse_args()
    memory = psutil.virtual_memory().total / GIB
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, {memory:.0f} GiB; course serve from {REPO}",
        flush=True,
    )
    summary = []
    for count in args.sessions:
        with scratch_folder(args.keep, count) as folder, course_serve(folder) as served:
            level = asyncio.run(measure_level(served, count, args))
            lines = report(level, args)
            if args.keep:
                keep_failed_pages(level.sessions, folder)
        print("\n".join(lines), flush=True)
        summary.append([lines[1], lines[4], lines[5]])
    print("summary:")
    for count, lines in zip(args.sessions, summary, strict=True):
        print(f"{count:>5}: " + " |".join(line.strip() for line in lines))


if __name__ == "__main__":
    main()
