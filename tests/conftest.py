"""Shared fixtures: a scratch nbgrader course and exchange, a Voila server, Debian's Chromium."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from course.build.notebooks import build_course
from course.cohort.setup import new_cohort
from course.paths import NOTEBOOKS_DIR, REPO
from course.play.learner import LEARNER_COOKIE, PROGRESS_ENV, new_learner_id
from course.play.site import PROFILE_FILE
from course.scenario.catalog import Course, load_course
from course.scenario.schema import Ending, Option, Scenario, Step

BIN = Path(sys.executable).parent  # nbgrader shells out to `alembic`, which lives here
# ...also when a test opens a new gradebook in-process, whichever way pytest was started.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
CHROMIUM = "/usr/bin/chromium"
# A kernel's command line names its connection file, whichever launcher started it (the course's
# pages use course.page_kernel, not ipykernel_launcher).
KERNEL_COMMAND = r"kernel-[0-9a-f-]+\.json"
# The two devices the trainee's pages are tried on: a laptop, and a phone (touch, high density).
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
COURSE_ID = "mip-social-media"


def tool_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}
    env.pop("JUPYTERHUB_USER", None)
    return env


def run(args: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    """Run a real command (nbgrader, course) and keep its output for the failure message."""
    proc = subprocess.run(args, cwd=cwd, env=tool_env(**env), capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


Taken = list[tuple[Step, Option]]


def walk_model(
    scn: Scenario, pick: Callable[[Step], Option], stop: Callable[[Step], bool] | None = None
) -> Taken:
    """Follow ``scn`` from its start on the authored (pydantic) model, never with
    ``course.engine``, so that tests can check the engine and the tools built on it against it.
    At each step ``pick(step)`` chooses the option taken; ``stop(step)``, when given and true,
    leaves the scenario unfinished before that decision. The (step, option) pairs taken, in order."""
    steps = {s.id: s for s in scn.steps}
    node, taken = scn.start, []
    while node in steps:
        step = steps[node]
        if stop is not None and stop(step):
            break
        if len(taken) == len(steps):
            raise AssertionError(f"{scn.id}: the path never reaches an ending")
        option = pick(step)
        taken.append((step, option))
        node = option.next
    return taken


def choices_of(taken: Taken) -> list[dict[str, str]]:
    """The (step, option) pairs as the choices an answers file records."""
    return [{"step": step.id, "option": option.id} for step, option in taken]


def ending_of(scn: Scenario, taken: Taken) -> Ending | None:
    """The ending the path reaches, or ``None`` if it was left unfinished."""
    last = taken[-1][1].next if taken else scn.start
    return next((e for e in scn.endings if e.id == last), None)


def best_option(step: Step) -> Option:
    """The option worth the most points (the first of them, if several are)."""
    return max(step.options, key=lambda o: o.points)


def graded_status(scn: Scenario, reflection: str) -> str:
    """The status grading gives a scenario answered in the app and not tampered with: awaiting
    marking while a reflection written for it waits for the tutor's mark (nbgrader scores an empty
    one 0 by itself), else graded."""
    waits = bool(reflection.strip()) and scn.reflection is not None and scn.reflection.points > 0
    return "awaiting-marking" if waits else "graded"


def best_path(scn: Scenario) -> list[dict[str, str]]:
    """The choices a trainee makes taking the best option at every step (from the model)."""
    return choices_of(walk_model(scn, best_option))


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course()


@dataclass
class NbgraderCourse:
    """A scratch nbgrader course directory and exchange using the repository's configuration."""

    root: Path
    exchange: Path
    homes: Path

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run([str(BIN / "nbgrader"), *args], cwd=self.root, check=check)

    def trainee_home(self, trainee: str) -> Path:
        """A trainee's home folder whose nbgrader config points at the exchange (as on a hub)."""
        home = self.homes / trainee
        home.mkdir(parents=True, exist_ok=True)
        (home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(self.exchange)!r}\n"
            # nbgrader keeps a trainee's own copy of each submission in ~/.local by default;
            # keep it in this scratch home so that runs never see each other's submissions.
            f"c.Exchange.cache = {str(home / '.nbgrader-cache')!r}\n",
            encoding="utf-8",
        )
        return home


def make_nbgrader_course(tmp: Path, course: Course, name: str = "course") -> NbgraderCourse:
    """A cohort ``name`` in ``tmp`` made as `course cohort new` makes one (its nbgrader
    configuration, its source built), with its exchange beside it. (A cohort is named after its
    course directory.)"""
    made = new_cohort(tmp / name, course, exchange=tmp / "exchange")
    root, exchange = made.root, made.exchange
    return NbgraderCourse(root, exchange, tmp / "homes")


@pytest.fixture
def nbgrader_course(tmp_path: Path, course: Course) -> NbgraderCourse:
    return make_nbgrader_course(tmp_path, course)


@pytest.fixture
def practice_site(tmp_path: Path, course: Course) -> Path:
    """The self-study site as `course serve` builds it, in a scratch folder."""
    site = tmp_path / "site"
    site.mkdir()
    for authored in ("index.ipynb", "certificate.ipynb"):
        (site / authored).write_bytes((NOTEBOOKS_DIR / authored).read_bytes())
    build_course(course, source_dir=None, practice_dir=site / "practice")
    return site


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own: the browser tests' driver keeps an event loop
    running in this one, and ``asyncio.run`` refuses to start beside it (CI failed on it twice)."""
    import asyncio

    with ThreadPoolExecutor(1, thread_name_prefix="test-loop") as thread:
        return thread.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    log: Path
    progress: Path  # self-study answers, one folder per learner

    def learner_folder(self, page) -> Path:
        """Where the server keeps the answers of the browser ``page`` belongs to."""
        (cookie,) = [c for c in page.context.cookies() if c["name"] == LEARNER_COOKIE]
        return self.progress / cookie["value"]


def voila_answers(url: str) -> bool:
    """Whether a Voila server answers at ``url`` (any HTTP status will do)."""
    try:
        urllib.request.urlopen(f"{url}/voila/api/shutdown/x", timeout=1)
    except urllib.error.HTTPError:
        return True  # 405/404: it is up
    except OSError:
        return False
    return True


@contextmanager
def http_server(
    args: list[str],
    port: int,
    log: Path,
    *,
    up: Callable[[str], bool] = voila_answers,
    cwd: Path | None = None,
    start_seconds: float = 180,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run the server command ``args`` (listening on ``port``, output to ``log``); yield its base
    URL once ``up(url)`` says it answers (a busy 2-core machine may take a while), and stop it
    afterwards."""
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env or tool_env(), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while not up(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{' '.join(args)} did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def voila(root: Path, *voila_args: str, **env: str) -> Iterator[Server]:
    """`course serve --root ROOT` on a free port; yields its base URL, log file and progress
    folder. ``voila_args`` go to Voila itself."""
    port = free_port()
    log, progress = root.parent / f"voila-{port}.log", root.parent / f"progress-{port}"
    args = [
        *(str(BIN / "course"), "serve", "--root", str(root), "--port", str(port)),
        *("--progress", str(progress), "--", *voila_args),
    ]
    with http_server(args, port, log, env=tool_env(**env)) as url:
        yield Server(url, log, progress)


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where page screenshots go: docs/screenshots when COURSE_SCREENSHOTS names it (the README
    shows those), else a scratch folder, so ordinary runs leave the repository untouched."""
    folder = Path(os.environ.get("COURSE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@dataclass
class PageWatch:
    """What a page did that it should not: console errors, page errors, requests off the machine."""

    errors: list[str]
    external: list[str]


def watch(page) -> PageWatch:
    seen = PageWatch([], [])
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(LOCAL) else seen.external.append(r.url))
    return seen


def axe_violations(page) -> list[dict]:
    """axe-core (from npm, injected from disk) with the WCAG 2.0-2.2 A/AA tags."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    assert result["passes"], "axe evaluated nothing"
    # A page laid out in clipping panels is "off screen" to axe, which then checks no colour at all
    # (axe-core issues 3883, 3996): the page template lays pages out flat; this keeps it so.
    contrast = [r for r in result["passes"] + result["violations"] if r["id"] == "color-contrast"]
    assert sum(len(r["nodes"]) for r in contrast), "axe checked no text's colour contrast"
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]]


@contextmanager
def voila_in_thread(app_class: type, root: Path, port: int, *args: str) -> Iterator:
    """The course's Voila application ``app_class`` serving ``root`` on loopback ``port`` in a
    thread of this process, configured as ``course serve`` configures it (the repository's
    voila.json, the course's template); yields the app once it accepts connections."""
    import asyncio
    import signal
    import threading

    from jupyter_core.paths import jupyter_config_path
    from tornado.ioloop import IOLoop

    from course.serve import SHARE_DIR

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(
            "JUPYTER_PATH", os.pathsep.join(p for p in (str(SHARE_DIR), os.environ.get("JUPYTER_PATH")) if p)
        )
        app = app_class(config_file_paths=[str(REPO), *jupyter_config_path()])
        sigterm = signal.getsignal(signal.SIGTERM)
        try:
            app.initialize(
                [
                    str(root),
                    f"--port={port}",
                    "--Voila.ip=127.0.0.1",
                    "--no-browser",
                    "--Voila.port_retries=0",
                    *args,
                ]
            )
        finally:
            signal.signal(signal.SIGTERM, sigterm)  # Voila takes SIGTERM over; give it back to pytest
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                app.start()  # listens, then runs the loop until it is stopped
            finally:
                IOLoop.current().close(all_fds=True)  # the listening socket too

        thread = threading.Thread(target=run, name="course-voila", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while True:  # until it accepts connections, or its thread has died
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if not thread.is_alive() or time.monotonic() > deadline:
                        raise AssertionError(f"the course's Voila did not listen on port {port}") from None
                    time.sleep(0.05)
            yield app
        finally:
            if thread.is_alive():
                loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
            assert not thread.is_alive(), "the server thread did not stop"


@dataclass(frozen=True)
class ReadPdf:
    text: str  # every page's text, whitespace collapsed (lines wrap where the layout chose)
    links: list[str]  # the distinct link targets, sorted
    pages: int


def read_pdf(data: bytes) -> ReadPdf:
    """A PDF read as its reader would: its text and where its links go."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    links = sorted({a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])})
    return ReadPdf(text, links, len(reader.pages))


@dataclass
class CourseServer:
    """The course server's application in this process, on loopback, over a self-study site
    built in a scratch folder (``root``), keeping progress in ``progress``."""

    port: int
    progress: Path
    root: Path
    app: Any = field(default=None, repr=False, compare=False)  # the running CourseVoila

    def new_learner(self, name: str | None = None) -> tuple[str, Path]:
        """A new self-study learner's id and progress folder, with the certificate name they typed
        (``name``; none typed when None)."""
        learner = new_learner_id()
        folder = self.progress / learner
        if name is not None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / PROFILE_FILE).write_text(json.dumps({"name": name}), encoding="utf-8")
        return learner, folder

    def get(self, path: str, learner: str | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        """GET ``path`` as the browser of ``learner`` (their cookie), or with no cookie."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("GET", path, headers={"Cookie": f"{LEARNER_COOKIE}={learner}"} if learner else {})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body


@contextmanager
def course_server(
    tmp_path_factory, course: Course, kind: type[CourseServer] = CourseServer, voila_args: Sequence[str] = ()
) -> Iterator:
    """A ``kind`` of :class:`CourseServer` serving the course's pages, as `course serve` does;
    ``voila_args`` are Voila's own options."""
    from course.serve import CERTIFICATE, LANDING, CourseVoila

    root = tmp_path_factory.mktemp("site")
    for page in (LANDING, CERTIFICATE):
        (root / page).write_bytes((NOTEBOOKS_DIR / page).read_bytes())
    build_course(course, source_dir=None, practice_dir=root / "practice")
    progress = root.parent / "progress"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PROGRESS_ENV, str(progress))  # as `course serve --progress` sets it
        port = free_port()
        with voila_in_thread(CourseVoila, root, port, *voila_args) as app:
            yield kind(port, progress, root, app)


def page_text(body: bytes) -> str:
    """An HTML page's text as a person reads it: tags gone, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body.decode())).split())
