"""Marking reflections in nbgrader's gradebook, one scenario at a time: what each trainee wrote,
beside the path they took and the rubric, and the tutor's mark and comment saved where nbgrader's
formgrader saves them.

A reflection is the manually graded cell ``reflection`` of a scenario notebook. Its mark is that
grade's ``manual_score`` and its comment that cell's ``manual_comment``, written the way the
formgrader's own API handlers write them, so the formgrader, ``course cohort export`` and the
feedback pages read the same figures. What the trainee wrote comes from the guard's verdict beside
the autograded notebook (validated JSON data); nothing of a submission is ever executed.

Pure of widgets: the dashboard's marking view and the tests call these functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from ..documents import REFLECTION_CELL, GradingKey, KeyUnavailable, read_verdict
from ..grading.extensions import recompute_penalties
from ..grading.gradebook import course_directory, open_gradebook
from ..grading.released import released_key, released_modules
from ..grading.tutor_view import note_markdown, reflection_markdown
from ..status import VerdictStatus


class MarkRefused(ValueError):
    """A mark that cannot be saved (not a number, out of range, no such reflection): nothing was
    written."""


@dataclass(frozen=True)
class Reflection:
    """One trainee's reflection on one scenario, as the tutor marks it."""

    module: str
    scenario: str
    student: str
    name: str  # the roster's first and last name ("" for an id not on the roster)
    status: VerdictStatus | None  # the guard's verdict; None when autograde did not complete
    text: str  # as the trainee wrote it ("" when none)
    # The tutor's view: path taken, rubric, then the reflection as literal text (or, with nothing
    # to grade, why), as markdown whose every piece of text is escaped (course.grading.tutor_view).
    markdown: str
    score: float | None  # the mark (manual, else nbgrader's automatic 0 for nothing written)
    max_score: float
    comment: str
    needs_marking: bool  # nbgrader's "needs manual grade"


def roster_names(gb: Gradebook) -> dict[str, str]:
    return {s.id: " ".join(p for p in (s.first_name, s.last_name) if p) for s in gb.students}


def reflection_scenarios(course_dir: Path, module: str) -> dict[str, str]:
    """The scenarios of ``module`` that have a reflection to mark (id -> title), in the module's
    order (its pages as released)."""
    with open_gradebook(course_dir, must_exist=True) as gb:
        try:
            notebooks = gb.find_assignment(module).notebooks
        except MissingEntry as exc:
            raise MarkRefused(f"module {module} has not been released to this cohort") from exc
        found = {nb.name for nb in notebooks if any(c.name == REFLECTION_CELL for c in nb.grade_cells)}
    pages = {
        page["id"]: page["title"] for page in released_modules(course_dir).get(module, {}).get("pages", [])
    }
    order = list(pages)
    ordered = sorted(found, key=lambda name: (order.index(name) if name in order else len(order), name))
    return {name: pages.get(name, name) for name in ordered}


def _graded_folder(course_dir: Path, student: str, module: str) -> Path:
    coursedir = course_directory(course_dir)
    return Path(coursedir.format_path(coursedir.autograded_directory, student, module))


def _released_key(gb: Gradebook, module: str, scenario: str) -> GradingKey | KeyUnavailable:
    try:
        return released_key(gb, module, scenario)
    except KeyUnavailable as exc:  # the reflection is still shown, with why the path is not
        return exc


def _reflection(
    gb: Gradebook,
    course_dir: Path,
    module: str,
    scenario: str,
    student: str,
    name: str,
    key: GradingKey | KeyUnavailable,
) -> Reflection:
    grade = gb.find_grade(REFLECTION_CELL, scenario, module, student)
    try:
        comment = gb.find_comment(REFLECTION_CELL, scenario, module, student).manual_comment or ""
    except MissingEntry:
        comment = ""
    verdict = read_verdict(_graded_folder(course_dir, student, module), scenario)
    if verdict is None:
        markdown = "**No reflection to grade:** autograde did not complete for this submission."
    else:
        markdown = note_markdown(verdict) or ""
        if not markdown:
            markdown = reflection_markdown(verdict.reflection, verdict.choices, key)[0]
    return Reflection(
        module=module,
        scenario=scenario,
        student=student,
        name=name,
        status=verdict.status if verdict else None,
        text=verdict.reflection if verdict else "",
        markdown=markdown,
        score=grade.score if (grade.manual_score is not None or grade.auto_score is not None) else None,
        max_score=float(grade.max_score),
        comment=comment,
        needs_marking=bool(grade.needs_manual_grade),
    )


def scenario_reflections(
    course_dir: Path, module: str, scenario: str, *, student: str | None = None
) -> list[Reflection]:
    """Every graded trainee's reflection on ``scenario`` of ``module`` (or only ``student``'s),
    those awaiting a mark first, then by trainee id. A trainee whose autograde did not complete
    (no graded copy) has nothing to mark and is left out, as :func:`course.cohort.cycle.unmarked`
    leaves them out."""
    with open_gradebook(course_dir, must_exist=True) as gb:
        names = roster_names(gb)
        try:
            submissions = gb.find_assignment(module).submissions
        except MissingEntry as exc:
            raise MarkRefused(f"module {module} has not been released to this cohort") from exc
        found = []
        key = _released_key(gb, module, scenario)  # once: the same for every trainee
        for submission in submissions:
            who = submission.student.id
            if (student is not None and who != student) or not _graded_folder(
                course_dir, who, module
            ).is_dir():
                continue
            try:
                found.append(_reflection(gb, course_dir, module, scenario, who, names.get(who, ""), key))
            except MissingEntry:  # this scenario has no reflection cell (a knowledge check)
                continue
    return sorted(found, key=lambda r: (not r.needs_marking, r.student))


def parse_mark(value: object, max_score: float, where: str) -> float:
    """The mark typed, as a number of points from 0 to ``max_score``; else :class:`MarkRefused`
    saying what was typed, for which reflection, and what is expected."""
    text = str(value).strip()
    try:
        mark = float(text.replace(",", "."))  # "1,5" as typed with a decimal comma
    except ValueError:
        mark = math.nan
    if not math.isfinite(mark) or not 0 <= mark <= max_score:
        raise MarkRefused(
            f"{where}: the mark {text!r} is not a number of points from 0 to {max_score:g}; nothing was saved"
        )
    return mark


def save_mark(
    course_dir: Path, module: str, scenario: str, student: str, mark: object, comment: str = ""
) -> Reflection:
    """Save the tutor's ``mark`` (points, 0..the cell's maximum) and ``comment`` for ``student``'s
    reflection on ``scenario``, as the formgrader does, recompute the submission's late penalty
    from the new score, and return the reflection as now saved.
    Raises :class:`MarkRefused` (nothing written) for a bad mark or an unknown reflection."""
    where = f"{student}'s reflection on {module}/{scenario}"
    if not _graded_folder(course_dir, student, module).is_dir():
        raise MarkRefused(
            f"{where}: this submission has not been autograded (no graded copy); nothing was saved"
        )
    with open_gradebook(course_dir, must_exist=True) as gb:
        try:
            grade = gb.find_grade(REFLECTION_CELL, scenario, module, student)
        except MissingEntry as exc:
            raise MarkRefused(f"{where}: there is no such reflection in the gradebook") from exc
        grade.manual_score = parse_mark(mark, float(grade.max_score), where)
        grade.needs_manual_grade = False  # as the formgrader's GradeHandler does
        try:
            gb.find_comment(REFLECTION_CELL, scenario, module, student).manual_comment = (
                comment.strip() or None
            )
        except MissingEntry as exc:
            gb.db.rollback()
            raise MarkRefused(f"{where}: the gradebook has no comment for it") from exc
        gb.db.commit()
    # A late penalty is a share of the score (the cohort's LatePenalty): the new mark changes it.
    recompute_penalties(course_dir, module, student)
    return scenario_reflections(course_dir, module, scenario, student=student)[0]
