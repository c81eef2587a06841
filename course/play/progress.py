"""Where a trainee is in the course, derived from their saved answers (and, when assessed,
from what they have submitted through nbgrader's exchange)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build.documents import READING, read_play_document
from ..policy import revised_since
from .answers import InvalidAnswers, read_answers
from .engine import walk
from .learner import answers_folder

NOT_STARTED, IN_PROGRESS, COMPLETED = "not started", "in progress", "completed"
NEEDS_RETAKE = "needs retake"  # completed before the policy revised a clause it rests on
SUBMITTED, FEEDBACK_READY = "submitted", "feedback ready"


@dataclass(frozen=True)
class Submission:
    """A module's latest submission through the exchange, as the trainee's side sees it."""

    timestamp: str
    feedback: bool  # the tutor has released feedback on it


@dataclass(frozen=True)
class PageProgress:
    id: str
    title: str
    status: str
    updated: str = ""  # when the trainee last answered here (ISO 8601), "" if never
    changed_clauses: tuple[str, ...] = ()  # revised since the answers were given


@dataclass(frozen=True)
class ModuleProgress:
    id: str
    title: str
    pages: tuple[PageProgress, ...]
    submission: Submission | None = None

    @property
    def graded(self) -> tuple[PageProgress, ...]:
        return tuple(p for p in self.pages if p.id != READING)

    @property
    def progress(self) -> str:
        """Status from the answers alone."""
        states = {p.status for p in self.graded}
        if NEEDS_RETAKE in states:
            return NEEDS_RETAKE
        if states == {COMPLETED}:
            return COMPLETED
        return NOT_STARTED if states == {NOT_STARTED} else IN_PROGRESS

    @property
    def status(self) -> str:
        if self.submission is not None:
            return FEEDBACK_READY if self.submission.feedback else SUBMITTED
        return self.progress

    @property
    def done(self) -> int:
        return sum(p.status == COMPLETED for p in self.graded)

    @property
    def changed_clauses(self) -> tuple[str, ...]:
        return tuple(sorted({c for p in self.graded for c in p.changed_clauses}))


def page_progress(
    pages: Path, answers: Path, page: Mapping[str, str], revisions: Mapping[str, str] | None = None
) -> PageProgress:
    """One page's status. ``revisions`` are the module's clauses and the versions their wording
    dates from (``module.json``); answers given under an older version need a retake."""
    if page["id"] == READING:
        return PageProgress(page["id"], page["title"], NOT_STARTED)
    document = read_play_document(pages, page["id"])
    try:
        saved = read_answers(answers, document["scenario"])
    except InvalidAnswers:
        saved = None  # the player sets such answers aside and starts afresh
    if saved is None or not saved.choices:
        return PageProgress(page["id"], page["title"], NOT_STARTED)
    if not walk(document["scenario"], saved.choices).finished:
        return PageProgress(page["id"], page["title"], IN_PROGRESS, saved.updated)
    changed = tuple(revised_since(revisions or {}, saved.policy_version))
    status = NEEDS_RETAKE if changed else COMPLETED
    return PageProgress(page["id"], page["title"], status, saved.updated, changed)


def module_progress(
    modules_dir: Path, module: Mapping[str, Any], submission: Submission | None = None
) -> ModuleProgress:
    pages = modules_dir / module["id"]
    answers = answers_folder(pages, module["mode"])
    return ModuleProgress(
        module["id"],
        module["title"],
        tuple(page_progress(pages, answers, p, module["clauses"]) for p in module["pages"]),
        submission,
    )


def course_progress(
    modules_dir: Path, catalog: Mapping[str, Any], submissions: Mapping[str, Submission] | None = None
) -> list[ModuleProgress]:
    """Every module of ``catalog`` (see ``read_catalog``) whose pages are in ``modules_dir``."""
    submissions = submissions or {}
    return [module_progress(modules_dir, m, submissions.get(m["id"])) for m in catalog["modules"]]


def continue_target(progress: list[ModuleProgress]) -> tuple[ModuleProgress, PageProgress] | None:
    """The page to continue with: the most recently touched unfinished one, else the first one
    to retake, else the first page not yet done; None when there is nothing left to do.
    Submitted modules are done with until the tutor says otherwise."""
    open_modules = [m for m in progress if m.submission is None]
    unfinished = [(m, p) for m in open_modules for p in m.graded if p.status == IN_PROGRESS]
    if unfinished:
        return max(unfinished, key=lambda mp: mp[1].updated)
    retake = [(m, p) for m in open_modules for p in m.graded if p.status == NEEDS_RETAKE]
    if retake:
        return retake[0]
    for module in open_modules:
        for page in module.pages:
            if page.status == NOT_STARTED and (page.id != READING or module.status == NOT_STARTED):
                return module, page
    return None
