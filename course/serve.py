"""Serve the course with Voila: the landing page at the root URL, scenarios under it, and each
self-study browser its own progress."""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop
from tornado.web import RedirectHandler
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .hashed_assets import with_hashed_assets
from .paths import NOTEBOOKS_DIR, PROGRESS_DIR, REPO
from .play.learner import (
    LEARNER_COOKIE,
    LEARNER_COOKIE_OPTIONS,
    LEARNER_HEADER,
    PROGRESS_ENV,
    new_learner_id,
    valid_learner_id,
)
from .play.resume import RESUME_ROUTE
from .reflections_route import REFLECTIONS_ROUTE, ReflectionsPdfHandler
from .resume_route import ResumeHandler, Throttle
from .template_cache import share_compiled_templates
from .verification import PDF_ROUTE, VERIFY_ROUTE, CertificatePdfHandler, VerifyHandler, page

BUSY_RETRY_SECONDS = 60
BUSY_PAGE = page(
    "The course is busy",
    "<h1>The course is busy right now</h1>"
    "<p>Every place on this server is taken by other trainees at the moment. Nothing you have done "
    "is lost: your answers are saved as you give them.</p>"
    "<p>Please try again in a minute. This page tries again by itself after "
    f"{BUSY_RETRY_SECONDS} seconds.</p>"
    '<p><a href="">Try again now</a></p>',
)

LANDING = "index.ipynb"
CERTIFICATE = "certificate.ipynb"
SHARE_DIR = Path(__file__).parent / "share" / "jupyter"  # the course's own Voila template


class CourseRenderHandler(TornadoVoilaHandler):
    """Voila's page handler, plus two cookies.

    ``_xsrf``: when a page is left, Voila's front end posts the kernel shutdown with the token it
    reads from that cookie; Voila never reads ``xsrf_token`` itself, so Tornado never sets the
    cookie, the shutdown is refused (403, a console error) and the kernel lives on until culled.

    The learner cookie: a random id per browser, handed to the page's kernel as a request
    header Voila passes on (``http_header_envs`` in voila.json), so that each self-study
    learner keeps their own progress without an account.

    Capacity: when the kernel manager (``course.warm_kernels``) has as many pages open as it may,
    a new page is answered at once with a "busy, try again in a minute" page (HTTP 503 with
    ``Retry-After``) instead of a kernel the machine cannot afford; the pages it admits start a
    few at a time, in order of arrival, and one that waits too long for its turn gets the busy
    page too, never a page that does not come.
    """

    _admitted = False

    async def prepare(self) -> None:
        result = super().prepare()  # jupyter_server resolves the user here (async)
        if inspect.isawaitable(result):
            await result
        if self._finished:
            return
        admit = getattr(self.kernel_manager, "admit", None)
        if admit is not None:
            if not await admit():
                self.log.warning("At capacity: %s turned away", self.request.path)
                self.set_status(503)
                self.set_header("Retry-After", str(BUSY_RETRY_SECONDS))
                self.set_header("Cache-Control", "no-store")
                self.set_header("Refresh", str(BUSY_RETRY_SECONDS))
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(BUSY_PAGE)
                return
            self._admitted = True
        self.xsrf_token  # noqa: B018 - reading it is what makes Tornado set the cookie
        learner = valid_learner_id(self.get_cookie(LEARNER_COOKIE))
        if learner is None:
            learner = new_learner_id()
            self.set_cookie(LEARNER_COOKIE, learner, **LEARNER_COOKIE_OPTIONS)
        self.request.headers[LEARNER_HEADER] = learner  # replaces whatever the browser sent

    def _arrived(self) -> None:
        if self._admitted:  # the page's kernel, if it has one, is counted from now on
            self._admitted = False
            self.kernel_manager.arrived()

    def on_finish(self) -> None:
        self._arrived()
        super().on_finish()

    def on_connection_close(self) -> None:
        self._arrived()  # a visitor who left before the page came frees their place too
        super().on_connection_close()


class CourseVoila(Voila):
    """Voila in directory mode whose root URL is the course's landing page, not a file tree;
    its templates compiled once (``course.template_cache``) and its kernel manager's warm
    kernels (``course.warm_kernels``, set in voila.json) started with the server."""

    def initialize(self, argv: list[str] | None = None) -> None:
        share_compiled_templates()
        super().initialize(argv)

    def start(self) -> None:
        IOLoop.current().add_callback(self._warm_up)  # runs once the server's loop does
        super().start()

    def _warm_up(self) -> None:
        fill = getattr(self.kernel_manager, "fill", None)
        if fill is not None:
            fill()

    def init_handlers(self) -> list:
        handlers = [
            (route, CourseRenderHandler, *rest)
            if handler is TornadoVoilaHandler
            else (route, handler, *rest)
            for route, handler, *rest in with_hashed_assets(super().init_handlers())
        ]
        landing = f"{self.server_url.rstrip('/')}/voila/render/{LANDING}"
        where = {"root": Path(self.root_dir), "progress": Path(os.environ.get(PROGRESS_ENV, PROGRESS_DIR))}
        certificates = [
            (url_path_join(self.server_url, PDF_ROUTE), CertificatePdfHandler, where),
            (url_path_join(self.server_url, VERIFY_ROUTE), VerifyHandler, where),
            (url_path_join(self.server_url, REFLECTIONS_ROUTE), ReflectionsPdfHandler, where),
        ]
        resume = {"progress": where["progress"], "landing": landing, "throttle": Throttle()}
        ours = [*certificates, (url_path_join(self.server_url, RESUME_ROUTE), ResumeHandler, resume)]
        return [(self.server_url, RedirectHandler, {"url": landing}), *ours, *handlers]


def install_pages(root: Path) -> None:
    """Put the landing page and the certificate in a trainee's folder served in assessed mode.
    Never overwrites a notebook of the same name that is not the course's own."""
    for name in (LANDING, CERTIFICATE):
        ours, path = (NOTEBOOKS_DIR / name).read_bytes(), root / name
        theirs = path.read_bytes() if path.exists() else None
        if theirs == ours:
            continue
        if theirs is not None and b"course.play." not in theirs:
            raise FileExistsError(f"{path} exists and is not the course's {name}; move it to serve {root}")
        path.write_bytes(ours)  # new, or an earlier version of the course's page


def serve(
    port: int = 8866,
    root: Path = NOTEBOOKS_DIR,
    ip: str = "127.0.0.1",
    progress: Path = PROGRESS_DIR,
    voila_args: Sequence[str] = (),
) -> None:
    """Run Voila until interrupted. Settings come from the repository's ``voila.json``, then
    ``voila_args`` (Voila's own command-line options, which win); self-study answers go to
    ``progress``, one folder per learner."""
    root = root.resolve()
    if root != NOTEBOOKS_DIR:
        install_pages(root)
    os.environ[PROGRESS_ENV] = str(progress.resolve())  # the kernels inherit it
    run_voila(CourseVoila, root, port, ip, voila_args)


def run_voila(app_class: type[Voila], target: Path, port: int, ip: str, voila_args: Sequence[str]) -> None:
    """Voila on ``target`` (a folder or one notebook) until interrupted, configured by the
    repository's ``voila.json`` and finding the course's own template; ``voila_args`` win."""
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(SHARE_DIR), os.environ.get("JUPYTER_PATH", "")) if p
    )
    app = app_class(config_file_paths=[str(REPO), *jupyter_config_path()])
    app.initialize([str(target), f"--port={port}", f"--Voila.ip={ip}", "--no-browser", *voila_args])
    app.start()
