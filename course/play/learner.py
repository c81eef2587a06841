"""Whose answers these are, and where they are kept.

Self-study needs no account, yet many people may use one server: `course serve` gives each
browser a random learner id in a cookie and hands it to the page's kernel (Voila's
``http_header_envs``, see ``course/serve.py``). Practice answers then live in that learner's own
folder under the progress directory. Assessed answers always stay beside the notebooks, because
the module folder is what nbgrader submits.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from ..status import Mode

LEARNER_HEADER = "X-Course-Learner"  # set by the server from the cookie, never by the browser
LEARNER_ENV = "HTTP_" + LEARNER_HEADER.upper().replace("-", "_")  # how Voila names it for the kernel
PROGRESS_ENV = "COURSE_PROGRESS_DIR"
LEARNER_COOKIE = "mip_learner"
LEARNER_COOKIE_DAYS = 400  # the longest a browser keeps a cookie
# How the server sets the learner cookie, wherever it does (a first visit, the resume page).
LEARNER_COOKIE_OPTIONS = {"expires_days": LEARNER_COOKIE_DAYS, "httponly": True, "samesite": "Lax"}
_ID = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_learner_id makes; anything else is ignored


def new_learner_id() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, unguessable


def valid_learner_id(value: str | None) -> str | None:
    """The id if it is one the server could have issued: it becomes a folder name."""
    return value if value and _ID.fullmatch(value) else None


def learner_root() -> Path | None:
    """This learner's own folder, when the server keeps practice progress per learner."""
    learner, progress = valid_learner_id(os.environ.get(LEARNER_ENV)), os.environ.get(PROGRESS_ENV)
    return Path(progress) / learner if learner and progress else None


def answers_folder(pages: Path, mode: str, learner: Path | None) -> Path:
    """Where the answers for the module whose pages are in ``pages`` are read and saved:
    ``learner`` is the learner's own folder (:func:`learner_root` in a page's kernel; the
    server names it from the cookie), None where answers stay beside the pages."""
    return learner / pages.name if mode == Mode.PRACTICE and learner is not None else pages
