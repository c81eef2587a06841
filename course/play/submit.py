"""Submit a module from the app through nbgrader's own exchange, as the trainee.

nbgrader's ``submit`` command names the submission after the Unix user; on a shared server or
JupyterHub that is not the trainee, so the app passes the trainee's id explicitly.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError, ExchangeFactory
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

TRAINEE_ENV = "COURSE_TRAINEE_ID"


class SubmitError(RuntimeError):
    """Submission did not reach the exchange; the message says why, for the trainee."""


def trainee_id() -> str:
    """Who is playing: the JupyterHub user, else the configured trainee, else the OS user."""
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get(TRAINEE_ENV) or getpass.getuser()


def load_nbgrader_config(*extra_dirs: Path) -> Config:
    """nbgrader's configuration as its own apps see it: Jupyter config dirs, then ``extra_dirs``."""
    config = Config()
    for folder in [*reversed(jupyter_config_path()), *map(str, extra_dirs)]:
        for loader, name in (
            (JSONFileConfigLoader, "nbgrader_config.json"),
            (PyFileConfigLoader, "nbgrader_config.py"),
        ):
            if (Path(folder) / name).is_file():
                config.merge(loader(name, path=str(folder)).load_config())
    return config


def submit_module(folder: Path, student_id: str | None = None) -> str:
    """Submit the assignment folder ``folder`` (named after the module); return the timestamp."""
    folder = folder.resolve()
    config = load_nbgrader_config(folder.parent)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = folder.name
    coursedir.student_id = student_id or trainee_id()
    exchange = ExchangeFactory(config=config)
    submit = exchange.Submit(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    submit.assignment_dir = str(folder.parent)
    try:
        submit.start()
    except ExchangeError as exc:
        raise SubmitError(str(exc) or "the exchange refused the submission") from exc
    return str(submit.timestamp)
