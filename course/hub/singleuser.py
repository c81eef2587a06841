"""A trainee's own server on the hub: a Jupyter server extension (``deploy/jupyterhub/trainee``).

It puts the course's landing page and certificate in the folder served, and answers the
spawner's default URL (``/course``) by fetching, as the logged-in trainee, every module released
to the cohort that is not there yet (nbgrader's exchange), then sending them to the landing
page: a trainee sees new modules without running anything. The course's own routes
(the reflections PDF) are served behind the hub's login like every page of the server; the
certificate PDF comes from the hub's certificate service (course/hub/certificates.py).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from voila.utils import get_voila_labextensions_path

from ..hashed_assets import LABEXTENSIONS_ROUTE, HashedAssetsHandler
from ..play.exchange import ExchangeProblem, fetch_released
from ..reflections_route import REFLECTIONS_ROUTE, ReflectionsPdfHandler
from ..serve import LANDING, install_pages
from ..template_cache import share_compiled_templates
from ..verification import PDF_ROUTE
from .settings import CERTIFICATE_SERVICE, LANDING_ROUTE

LANDING_PAGE = f"voila/render/{LANDING}"


class FetchThenLand(JupyterHandler):
    """``/course``: fetch what the tutor has released since the last visit, then the landing page."""

    def initialize(self, root: Path) -> None:
        self.root = root

    @web.authenticated
    async def get(self) -> None:
        try:
            fetched = await asyncio.get_running_loop().run_in_executor(None, fetch_released, self.root)
        except ExchangeProblem as exc:  # the landing page still shows what is here
            self.log.warning("fetching released modules: %s", exc)
        else:
            if fetched:
                self.log.info("fetched %s", ", ".join(fetched))
        self.redirect(url_path_join(self.base_url, LANDING_PAGE))


class CertificateFromTheHub(JupyterHandler):
    """``certificate.pdf``: issued by the hub's certificate service from the tutors' records and
    signed there, never by the trainee's own server (which runs as the trainee)."""

    @web.authenticated
    def get(self) -> None:
        hub = os.environ.get("JUPYTERHUB_BASE_URL", "/")
        self.redirect(url_path_join(hub, "services", CERTIFICATE_SERVICE, PDF_ROUTE))


class TraineeReflectionsPdf(JupyterHandler, ReflectionsPdfHandler):
    """The reflections PDF of the folder served, for the server's own user only."""

    @web.authenticated
    async def get(self) -> None:
        await ReflectionsPdfHandler.get(self)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "course.hub.singleuser"}]


def _load_jupyter_server_extension(serverapp) -> None:
    root = Path(serverapp.root_dir).resolve()
    install_pages(root)
    share_compiled_templates()  # Voila's page templates compiled once per server, not per page
    base = serverapp.web_app.settings["base_url"]
    where = {"root": root, "progress": root / ".progress"}  # no learner cookie here: the folder served
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, LANDING_ROUTE), FetchThenLand, {"root": root}),
            (url_path_join(base, REFLECTIONS_ROUTE), TraineeReflectionsPdf, where),
            (url_path_join(base, PDF_ROUTE), CertificateFromTheHub),
            # Voila's own route for these, with content-hashed scripts cached for good. Extensions
            # load in name order (jupyter_server), so this is added, and matched, before Voila's.
            (
                url_path_join(base, LABEXTENSIONS_ROUTE),
                HashedAssetsHandler,
                {"path": get_voila_labextensions_path(), "no_cache_paths": ["/"]},
            ),
        ],
    )
