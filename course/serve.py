"""Serve the course with Voila: the landing page at the root URL, scenarios under it."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from tornado.web import RedirectHandler
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .paths import NOTEBOOKS_DIR, REPO

LANDING = "index.ipynb"
SHARE_DIR = Path(__file__).parent / "share" / "jupyter"  # the course's own Voila template


class XsrfCookieRenderHandler(TornadoVoilaHandler):
    """Voila's page handler, issuing the ``_xsrf`` cookie.

    When a page is left, Voila's front end posts the kernel shutdown with the ``_xsrf`` token it
    reads from that cookie; Voila never reads ``xsrf_token`` itself, so Tornado never sets the
    cookie, the shutdown is refused (403, a console error) and the kernel lives on until culled.
    """

    async def prepare(self) -> None:
        result = super().prepare()  # jupyter_server resolves the user here (async)
        if inspect.isawaitable(result):
            await result
        self.xsrf_token  # noqa: B018 - reading it is what makes Tornado set the cookie


class CourseVoila(Voila):
    """Voila in directory mode whose root URL is the course's landing page, not a file tree."""

    def init_handlers(self) -> list:
        handlers = [
            (route, XsrfCookieRenderHandler, *rest)
            if handler is TornadoVoilaHandler
            else (route, handler, *rest)
            for route, handler, *rest in super().init_handlers()
        ]
        landing = f"{self.server_url.rstrip('/')}/voila/render/{LANDING}"
        return [(self.server_url, RedirectHandler, {"url": landing}), *handlers]


def serve(port: int = 8866, root: Path = NOTEBOOKS_DIR, ip: str = "127.0.0.1") -> None:
    """Run Voila until interrupted. Settings come from the repository's ``voila.json``."""
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(SHARE_DIR), os.environ.get("JUPYTER_PATH", "")) if p
    )
    app = CourseVoila(config_file_paths=[str(REPO), *jupyter_config_path()])
    app.initialize([str(root), f"--port={port}", f"--Voila.ip={ip}", "--no-browser"])
    app.start()
