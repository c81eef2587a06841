"""``course cohort dashboard``: Voila on the dashboard notebook alone.

This module imports Voila (seconds); the dashboard's kernel never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from tornado.web import RedirectHandler

from ...paths import GRADING_DIR
from ...serve import CourseVoila, run_voila
from .select import COHORTS_ENV

NOTEBOOK = GRADING_DIR / "tutor-dashboard.ipynb"


class DashboardVoila(CourseVoila):
    """The course's Voila (its page handler sets the cookie Voila's kernel shutdown needs)
    without the redirect of the root URL to the trainees' landing page: the root is the
    dashboard here. Its warm kernel has the dashboard imported (pandas and all)."""

    def initialize(self, argv: list[str] | None = None) -> None:
        self.config.WarmKernelManager.warm_kernels = 1
        self.config.WarmKernelManager.warm_imports = ["course.cohort.dashboard"]
        super().initialize(argv)

    def init_handlers(self) -> list:
        return [h for h in super().init_handlers() if h[1] is not RedirectHandler]


def serve_dashboard(
    port: int = 8867,
    cohorts: Iterable[Path] = (GRADING_DIR,),
    ip: str = "127.0.0.1",
    voila_args: Sequence[str] = (),
) -> None:
    """Run Voila on the dashboard notebook alone (single-notebook mode) until interrupted, with
    the repository's ``voila.json`` and the course's template; the kernel reads ``cohorts`` from
    the ``COURSE_COHORTS`` environment variable. ``voila_args`` are Voila's own options (they win)."""
    dirs = [Path(c).resolve() for c in cohorts]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        raise FileNotFoundError(f"no cohort course directory at {', '.join(missing)}")
    os.environ[COHORTS_ENV] = os.pathsep.join(map(str, dirs))  # the kernels inherit it
    run_voila(DashboardVoila, NOTEBOOK, port, ip, voila_args)
