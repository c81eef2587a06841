"""Where a trainee is in the course, derived from the answers saved beside each page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build.documents import READING, read_play_document
from .answers import InvalidAnswers, read_answers
from .engine import walk

NOT_STARTED, IN_PROGRESS, COMPLETED = "not started", "in progress", "completed"


@dataclass(frozen=True)
class PageProgress:
    id: str
    title: str
    status: str
    updated: str = ""  # when the trainee last answered here (ISO 8601), "" if never


@dataclass(frozen=True)
class ModuleProgress:
    id: str
    title: str
    pages: tuple[PageProgress, ...]

    @property
    def graded(self) -> tuple[PageProgress, ...]:
        return tuple(p for p in self.pages if p.id != READING)

    @property
    def status(self) -> str:
        states = {p.status for p in self.graded}
        if states == {COMPLETED}:
            return COMPLETED
        return NOT_STARTED if states == {NOT_STARTED} else IN_PROGRESS

    @property
    def done(self) -> int:
        return sum(p.status == COMPLETED for p in self.graded)


def page_progress(folder: Path, page: dict[str, str]) -> PageProgress:
    if page["id"] == READING:
        return PageProgress(page["id"], page["title"], NOT_STARTED)
    document = read_play_document(folder, page["id"])
    try:
        answers = read_answers(folder, document["scenario"])
    except InvalidAnswers:
        answers = None  # the player sets such answers aside and starts afresh
    if answers is None or not answers.choices:
        return PageProgress(page["id"], page["title"], NOT_STARTED)
    finished = walk(document["scenario"], answers.choices).finished
    return PageProgress(page["id"], page["title"], COMPLETED if finished else IN_PROGRESS, answers.updated)


def course_progress(practice_dir: Path, catalog: dict[str, Any]) -> list[ModuleProgress]:
    return [
        ModuleProgress(
            m["id"], m["title"], tuple(page_progress(practice_dir / m["id"], p) for p in m["pages"])
        )
        for m in catalog["modules"]
    ]


def continue_target(progress: list[ModuleProgress]) -> tuple[ModuleProgress, PageProgress] | None:
    """The page to continue with: the most recently touched unfinished one, else the first page
    not yet done; None when everything is complete."""
    unfinished = [(m, p) for m in progress for p in m.graded if p.status == IN_PROGRESS]
    if unfinished:
        return max(unfinished, key=lambda mp: mp[1].updated)
    for module in progress:
        for page in module.pages:
            if page.status == NOT_STARTED and (page.id != READING or module.status == NOT_STARTED):
                return module, page
    return None
