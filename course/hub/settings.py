"""The names and places a JupyterHub deployment of the course is built from.

One source for ``deploy/jupyterhub/jupyterhub_config.py``, the install and account commands and
the tests that hold ``deploy/kubernetes/`` to the same course id, default URL, groups and culler.
The places default to a Linux server's usual folders; each can be moved with an environment
variable (the tests put a whole deployment in a temporary folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

COURSE_ID = "mip-social-media"  # nbgrader's course id (grading/nbgrader_config.py)
TUTOR_GROUP = f"formgrade-{COURSE_ID}"  # nbgrader's convention; a Unix group and a hub group
TRAINEE_GROUP = "mip-trainees"  # Unix group of every trainee account the course creates
GRADER_USER = f"grader-{COURSE_ID}"  # the Unix account the tutors' service runs as
SERVICE_NAME = COURSE_ID  # the hub service: /services/mip-social-media/
SERVICE_URL_PATH = f"/services/{SERVICE_NAME}/"
CERTIFICATE_SERVICE = "mip-certificates"  # signs trainees' certificates, running as the grader
TRAINEE_FOLDER = "mip-course"  # in each trainee's home: what their server serves
LANDING_ROUTE = "course"  # a trainee's server: fetch what was released, then the landing page
DEFAULT_URL = f"/{LANDING_ROUTE}"  # Spawner.default_url
CULL_IDLE_SECONDS = 3600  # jupyterhub-idle-culler: a trainee's server idle this long is stopped
CULL_EVERY_SECONDS = 300
# A page's kernel left behind by a crashed tab (no websocket, idle): freed within two minutes, as
# on `course serve` (voila.json); an open page is never culled (``cull_connected`` false).
KERNEL_CULL_IDLE_SECONDS = 90
KERNEL_CULL_EVERY_SECONDS = 20


@dataclass(frozen=True)
class Places:
    """Where a deployment lives on the server.

    ``prefix`` holds the course (``app/``, readable by every trainee except its ``scenarios/``,
    which carry the key) and its Python environment (``venv/``); ``cohort`` is the tutors' nbgrader
    course directory (the grader's, mode 0700: the gradebook and the source notebooks are there);
    ``exchange`` is nbgrader's shared exchange; ``state`` the hub's own database and secrets."""

    prefix: Path
    cohort: Path
    exchange: Path
    state: Path

    @classmethod
    def from_env(cls) -> Places:
        env = os.environ.get
        return cls(
            prefix=Path(env("MIP_HUB_PREFIX", "/opt/mip-course")),
            cohort=Path(env("MIP_HUB_COHORT", "/srv/mip-course/cohort")),
            exchange=Path(env("MIP_HUB_EXCHANGE", "/srv/nbgrader/exchange")),
            state=Path(env("MIP_HUB_STATE", "/srv/jupyterhub")),
        )

    @property
    def app(self) -> Path:
        return self.prefix / "app"

    @property
    def venv(self) -> Path:
        return self.prefix / "venv"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def deploy(self) -> Path:
        """The deployment's own configuration inside the installed course."""
        return self.app / "deploy" / "jupyterhub"
