"""The app's side of nbgrader's exchange, as the trainee: submit a module, fetch its feedback.

nbgrader's ``submit`` command names the submission after the Unix user; on a shared server or
JupyterHub that is not the trainee, so the app passes the trainee's id explicitly.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from ..nbgrader_settings import load_nbgrader_config
from .progress import FEEDBACK_FOLDER, Submission, latest_feedback

TRAINEE_ENV = "COURSE_TRAINEE_ID"


class ExchangeProblem(RuntimeError):
    """The exchange refused a submission or feedback request; the message says why."""


def trainee_id() -> str:
    """Who is playing: the JupyterHub user, else the configured trainee, else the OS user."""
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get(TRAINEE_ENV) or getpass.getuser()


def _exchange(config_dir: Path, assignment_id: str, student_id: str | None):
    """nbgrader's exchange factory and the parts each exchange action takes.

    nbgrader is imported here, not at the top: importing it takes ~2.5 s, and every scenario
    page imports this module - in Voila and in each notebook autograde runs - without needing it."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory

    config = load_nbgrader_config(config_dir)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment_id
    coursedir.student_id = student_id or trainee_id()
    parts = {"coursedir": coursedir, "authenticator": Authenticator(config=config), "config": config}
    return ExchangeFactory(config=config), parts


def _start(action: Any, refused: str) -> Any:
    """Run an exchange action; nbgrader's refusal becomes an ExchangeProblem saying why."""
    from nbgrader.exchange import ExchangeError

    try:
        return action.start()
    except ExchangeError as exc:
        raise ExchangeProblem(str(exc) or refused) from exc


def submit_module(folder: Path, student_id: str | None = None) -> str:
    """Submit the assignment folder ``folder`` (named after the module); return the timestamp."""
    folder = folder.resolve()
    factory, parts = _exchange(folder.parent, folder.name, student_id)
    submit = factory.Submit(**parts)
    submit.assignment_dir = str(folder.parent)
    _start(submit, "the exchange refused the submission")
    return str(submit.timestamp)


def fetch_feedback(folder: Path, student_id: str | None = None) -> Path | None:
    """Fetch released feedback into ``folder/feedback/<timestamp>/``; return the newest
    timestamp folder, or None if the tutor has released none yet."""
    folder = folder.resolve()
    factory, parts = _exchange(folder.parent, folder.name, student_id)
    fetch = factory.FetchFeedback(**parts)
    fetch.assignment_dir = str(folder.parent)
    if not (Path(fetch.root) / parts["coursedir"].course_id / FEEDBACK_FOLDER).is_dir():
        return latest_feedback(folder)  # nothing released to anyone yet: not an error
    _start(fetch, "the exchange refused the request")
    return latest_feedback(folder)


def fetch_released(root: Path, student_id: str | None = None) -> list[str]:
    """Fetch into ``root`` every module released to the course that is not there yet, through
    nbgrader's exchange as the trainee (their own Unix user on JupyterHub); return the modules
    fetched. Nothing released yet is not an error."""
    root = root.resolve()
    factory, parts = _exchange(root, "", student_id)
    listing = factory.List(**parts)
    listing.assignment_dir = str(root)
    released = [
        found["assignment_id"]
        for found in _start(listing, "the exchange could not list the released modules")
        if found["status"] == "released"
    ]
    for module in released:
        factory, parts = _exchange(root, module, student_id)
        fetch = factory.FetchAssignment(**parts)
        fetch.assignment_dir = str(root)
        _start(fetch, f"the exchange refused to hand out {module}")
    return released


def submissions(root: Path, student_id: str | None = None) -> dict[str, Submission]:
    """Each module the trainee has submitted from ``root``: the latest submission and whether
    the tutor has released feedback on it, from nbgrader's own listing of the trainee's cache."""
    root = root.resolve()
    factory, parts = _exchange(root, "", student_id)
    listing = factory.List(**parts)
    listing.cached, listing.assignment_dir = True, str(root)
    found = _start(listing, "the exchange could not list submissions")
    latest = {}
    for assignment in found:
        last = assignment["submissions"][-1]  # nbgrader sorts them by timestamp
        feedback = bool(last["has_exchange_feedback"] or last["has_local_feedback"])
        latest[assignment["assignment_id"]] = Submission(str(last["timestamp"]), feedback)
    return latest
