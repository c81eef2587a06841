"""Where a trainee is in the course, derived from their saved answers (and, when assessed,
from what they have submitted through nbgrader's exchange)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..documents import (
    READING,
    Catalog,
    InvalidAnswers,
    ModuleDocument,
    PageEntry,
    read_play_document,
    revised_since,
)
from ..engine import Walk, walk, walk_score
from ..status import PageStatus
from .answers import read_answers
from .learner import answers_folder

FEEDBACK_FOLDER = "feedback"  # where nbgrader fetch_feedback puts it, inside the module folder
# The notebook's total on nbgrader's feedback page (its feedback template's heading).
_FEEDBACK_SCORE = re.compile(r"\(Score: ([0-9.]+) / ([0-9.]+)\)</h4>")


@dataclass(frozen=True)
class Submission:
    """A module's latest submission through the exchange, as the trainee's side sees it."""

    timestamp: str
    feedback: bool  # the tutor has released feedback on it


@dataclass(frozen=True)
class PageProgress:
    id: str
    title: str
    status: PageStatus
    updated: str = ""  # when the trainee last answered here (ISO 8601), "" if never
    changed_clauses: tuple[str, ...] = ()  # revised since the answers were given
    # The knowledge check in self-study (assessed pages carry no points): the percentage scored,
    # and the clauses of the questions not answered in full, i.e. what to revisit.
    score: float | None = None
    missed: tuple[str, ...] = ()
    # The knowledge check's pass: known at once in self-study, from the released feedback when
    # assessed, None while unknown (or for any other page).
    passed: bool | None = None
    # Points got and the most there were, for a finished page whose key the trainee holds
    # (self-study); None otherwise (assessed pages carry no points).
    points: tuple[float, float] | None = None


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
    def progress(self) -> PageStatus:
        """Status from the answers alone."""
        states = {p.status for p in self.graded}
        if PageStatus.NEEDS_RETAKE in states:
            return PageStatus.NEEDS_RETAKE
        if PageStatus.BELOW_PASS_MARK in states:
            return PageStatus.BELOW_PASS_MARK
        if states == {PageStatus.COMPLETED}:
            return PageStatus.COMPLETED
        return PageStatus.NOT_STARTED if states == {PageStatus.NOT_STARTED} else PageStatus.IN_PROGRESS

    @property
    def status(self) -> PageStatus:
        if self.submission is not None:
            return PageStatus.FEEDBACK_READY if self.submission.feedback else PageStatus.SUBMITTED
        return self.progress

    @property
    def done(self) -> int:
        return sum(p.status == PageStatus.COMPLETED for p in self.graded)

    @property
    def score(self) -> float | None:
        """The percentage of points got on the finished pages, while the trainee holds the key
        (self-study); None before any is finished, or when assessed."""
        scored = [p.points for p in self.graded if p.points is not None]
        best = sum(b for _, b in scored)
        return 100 * sum(g for g, _ in scored) / best if best else None

    @property
    def changed_clauses(self) -> tuple[str, ...]:
        return tuple(sorted({c for p in self.graded for c in p.changed_clauses}))

    @property
    def passed(self) -> bool | None:
        """Whether the module's knowledge check is passed (None: not known yet)."""
        return next((p.passed for p in self.graded if p.passed is not None), None)

    @property
    def missed(self) -> tuple[str, ...]:
        """The clauses to revisit before retaking the knowledge check."""
        below = PageStatus.BELOW_PASS_MARK
        return tuple(sorted({c for p in self.graded if p.status == below for c in p.missed}))


READ_MARK = "reading.read"  # in a self-study learner's module folder, once its reading was opened


def mark_read(answers: Path) -> None:
    """Note that the reading of the module whose answers are in ``answers`` was opened."""
    answers.mkdir(parents=True, exist_ok=True)
    (answers / READ_MARK).touch()


def percent_text(score: float) -> str:
    """A score as a whole percentage, rounded down: 79.5% is not shown as a pass mark of 80%."""
    return f"{math.floor(score + 1e-9)}%"


def places(module: ModuleDocument, clause_ids: Iterable[str]) -> str:
    """Clauses named as a trainee finds them in the policy: "Privacy, point 2; ...". A module
    document built before places were recorded falls back to the ids."""
    known = module.get("places", {})
    return "; ".join(known.get(c, c) for c in clause_ids)


def latest_feedback(folder: Path) -> Path | None:
    """The module folder's latest fetched feedback (one folder per submission time), if any."""
    stamps = sorted(p for p in (folder / FEEDBACK_FOLDER).glob("*") if p.is_dir())
    return stamps[-1] if stamps else None


def released_score(pages: Path, page_id: str) -> float | None:
    """The percentage nbgrader's latest released feedback gives a page (assessed), or None."""
    stamp = latest_feedback(pages)
    if stamp is None:
        return None
    try:
        with open(stamp / f"{page_id}.html", encoding="utf-8", errors="replace") as fh:
            head = fh.read(1_000_000)  # the score is in the page's heading
    except OSError:
        return None
    match = _FEEDBACK_SCORE.search(head)
    if match is None or float(match[2]) <= 0:
        return None
    return 100 * float(match[1]) / float(match[2])


def check_result(played: Walk, max_points: int) -> tuple[float, tuple[str, ...]] | None:
    """A finished knowledge check's percentage and the clauses of the questions not answered in
    full; None where the page carries no points (assessed: the key stays with the tutor)."""
    if not all("points" in option for _, option in played.taken):
        return None
    missed = {
        c for step, option in played.taken if option["points"] < step["points"] for c in option["clauses"]
    }
    return 100 * walk_score(played) / max_points, tuple(sorted(missed))


def page_progress(
    pages: Path,
    answers: Path,
    page: PageEntry,
    revisions: Mapping[str, str] | None = None,
    pass_mark: int | None = None,
) -> PageProgress:
    """One page's status. ``revisions`` are the module's clauses and the versions their wording
    dates from (``module.json``); answers given under an older version need a retake.
    ``pass_mark``: this page is the module's knowledge check, to be passed at that percentage."""
    if page["id"] == READING:
        read = (answers / READ_MARK).exists()
        return PageProgress(
            page["id"], page["title"], PageStatus.COMPLETED if read else PageStatus.NOT_STARTED
        )
    document = read_play_document(pages, page["id"])
    try:
        saved = read_answers(answers, document["scenario"])
    except InvalidAnswers:
        saved = None  # the player sets such answers aside and starts afresh
    if saved is None or not saved.choices:
        return PageProgress(page["id"], page["title"], PageStatus.NOT_STARTED)
    played = walk(document["scenario"], saved.choices)
    if not played.finished:
        return PageProgress(page["id"], page["title"], PageStatus.IN_PROGRESS, saved.updated)
    changed = tuple(revised_since(revisions or {}, saved.policy_version))
    status = PageStatus.NEEDS_RETAKE if changed else PageStatus.COMPLETED
    scored = all("points" in option for _, option in played.taken)
    points = (walk_score(played), document["max_points"]) if scored else None
    if pass_mark is None:
        return PageProgress(page["id"], page["title"], status, saved.updated, changed, points=points)
    result = check_result(played, document["max_points"])
    if result is None:  # assessed: the tutor's released feedback says, once there is some
        score, missed = released_score(pages, page["id"]), ()
    else:
        score, missed = result
    passed = None if score is None else score >= pass_mark
    if status == PageStatus.COMPLETED and passed is False:
        status = PageStatus.BELOW_PASS_MARK
    return PageProgress(
        page["id"], page["title"], status, saved.updated, changed, score, missed, passed, points
    )


def missing_reflections(pages: Path, module: ModuleDocument, learner: Path | None) -> list[str]:
    """The titles of the module's scenarios whose graded reflection is still empty."""
    answers, missing = answers_folder(pages, module["mode"], learner), []
    for page in module["pages"]:
        if page["id"] == READING:
            continue
        scenario = read_play_document(pages, page["id"])["scenario"]
        if not scenario.get("reflection") or not scenario["reflection"]["points"]:
            continue
        try:
            saved = read_answers(answers, scenario)
        except InvalidAnswers:
            saved = None
        if saved is None or not saved.reflection.strip():
            missing.append(page["title"])
    return missing


def module_progress(
    modules_dir: Path, module: ModuleDocument, learner: Path | None, submission: Submission | None = None
) -> ModuleProgress:
    """The module's progress from the answers in ``learner``'s folder (see ``answers_folder``)."""
    pages = modules_dir / module["id"]
    answers = answers_folder(pages, module["mode"], learner)
    # A module released before pass marks has none: its check is never known to be passed.
    check, mark = module.get("check"), module.get("pass_mark")
    return ModuleProgress(
        module["id"],
        module["title"],
        tuple(
            page_progress(pages, answers, p, module["clauses"], mark if p["id"] == check else None)
            for p in module["pages"]
        ),
        submission,
    )


def course_progress(
    modules_dir: Path,
    catalog: Catalog,
    learner: Path | None,
    submissions: Mapping[str, Submission] | None = None,
) -> list[ModuleProgress]:
    """Every module of ``catalog`` (see ``read_catalog``) whose pages are in ``modules_dir``, from
    the answers in ``learner``'s folder."""
    submissions = submissions or {}
    return [module_progress(modules_dir, m, learner, submissions.get(m["id"])) for m in catalog["modules"]]


def continue_target(progress: list[ModuleProgress]) -> tuple[ModuleProgress, PageProgress] | None:
    """The page to continue with: the most recently touched unfinished one, else the first one
    to retake, else the first page not yet done (in a module already begun, if there is one);
    None when there is nothing left to do.
    Submitted modules are done with until the tutor says otherwise."""
    open_modules = [m for m in progress if m.submission is None]
    unfinished = [(m, p) for m in open_modules for p in m.graded if p.status == PageStatus.IN_PROGRESS]
    if unfinished:
        return max(unfinished, key=lambda mp: mp[1].updated)
    again = (PageStatus.NEEDS_RETAKE, PageStatus.BELOW_PASS_MARK)
    retake = [(m, p) for m in open_modules for p in m.graded if p.status in again]
    if retake:
        return retake[0]
    # A module already begun is finished before a new one is started.
    begun = [m for m in open_modules if m.status == PageStatus.IN_PROGRESS]
    for module in begun + open_modules:
        for page in module.pages:
            fresh = page.status == PageStatus.NOT_STARTED
            if fresh and (page.id != READING or module.status == PageStatus.NOT_STARTED):
                return module, page
    return None
