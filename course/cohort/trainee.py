"""One trainee's record in a cohort, as nbgrader holds it: each released module with its status,
submission time against the due date, score, each scenario's path and reflection with its mark
and comment, whether feedback was released, and the dated history nbgrader's files record.

The dashboard's trainee view and ``course cohort trainee ID`` show the same record
(:func:`trainee_record`, :func:`record_text`). Read only; nothing of a submission is executed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..documents import READING, KeyUnavailable, read_verdict
from ..grading.files import printable
from ..grading.gradebook import course_directory, open_gradebook
from ..grading.release_feedback import feedback_outbound, released_page
from ..grading.released import released_key, released_modules
from ..grading.results import grading_results
from ..grading.tutor_view import note_markdown, path_markdown
from .marking import Reflection, roster_names, scenario_reflections
from .scores import NOT_SUBMITTED, module_scores
from .submissions import submission_status


class UnknownTrainee(LookupError):
    """An id the cohort's gradebook does not hold."""


@dataclass(frozen=True)
class ScenarioRecord:
    scenario: str
    status: str  # the grading result (course.status.Result), "" if not graded
    score: float | None
    max_score: float | None
    path: str  # the path taken (markdown, every text escaped), or why there is none
    reflection: Reflection | None  # with its mark and comment; None for a scenario without one
    feedback_released: datetime | None  # when this scenario's feedback reached the exchange


@dataclass(frozen=True)
class ModuleRecord:
    module: str
    title: str
    status: str  # course.status.ModuleStatus
    due: datetime | None
    submitted: datetime | None  # UTC
    lateness: str  # "on time", "late by 2 days", "not submitted"
    score: float | None
    max_score: float | None
    scenarios: list[ScenarioRecord] = field(default_factory=list)
    history: list[tuple[datetime, str]] = field(default_factory=list)  # (when, what), oldest first


@dataclass(frozen=True)
class TraineeRecord:
    student: str
    name: str
    email: str
    modules: list[ModuleRecord]


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC).replace(tzinfo=None)


def _mtime(path: Path) -> datetime | None:
    return _utc(path.stat().st_mtime) if path.exists() else None


def _naive(value) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def trainee_record(course_dir: Path, student: str) -> TraineeRecord:
    """Everything the cohort at ``course_dir`` holds about ``student``. Raises
    :class:`UnknownTrainee` for an id the gradebook does not have."""
    coursedir = course_directory(course_dir)
    exchange = feedback_outbound(coursedir)
    documents = released_modules(course_dir)
    with open_gradebook(course_dir, must_exist=True) as gb:
        names = roster_names(gb)
        if student not in names:
            raise UnknownTrainee(f"{student!r} is not a trainee of the cohort in {course_dir}")
        email = gb.find_student(student).email or ""
        assignments = [
            (a.name, a.duedate, [nb.name for nb in a.notebooks if nb.name != READING]) for a in gb.assignments
        ]
    results = grading_results(course_dir)
    mine = results[results["student"] == student]
    scores = module_scores(mine).set_index("module") if not mine.empty else None
    modules = []
    for module, due, notebooks in assignments:
        pages = [page["id"] for page in documents[module]["pages"]] if module in documents else []
        notebooks = sorted(notebooks, key=lambda n: (pages.index(n) if n in pages else len(pages), n))
        status_row = submission_status(course_dir, module).set_index("student").loc[student]
        submitted = _naive(status_row["submitted"])
        graded = Path(coursedir.format_path(coursedir.autograded_directory, student, module))
        feedback = Path(coursedir.format_path(coursedir.feedback_directory, student, module))
        if scores is not None and module in scores.index:
            status, score, most = scores.loc[module, ["status", "score", "max_score"]]
        else:
            status, score, most = NOT_SUBMITTED, None, None
        rows = mine[mine["module"] == module].set_index("scenario")
        scenarios = [
            _scenario(course_dir, module, student, name, graded, feedback, exchange, rows)
            for name in notebooks
        ]
        history = [(due, "due")] if due else []
        released = Path(coursedir.format_path(coursedir.release_directory, ".", module))
        history += [(w, "released (generated for release)") for w in [_mtime(released)] if w]
        history += [(submitted, "submitted (as collected)")] if submitted else []
        notebooks_graded = [p.stat().st_mtime for p in graded.glob("*.ipynb")]
        history += [(_utc(max(notebooks_graded)), "autograded")] if notebooks_graded else []
        pages = [p.stat().st_mtime for p in feedback.glob("*.html")]
        history += [(_utc(max(pages)), "feedback generated")] if pages else []
        out = [s.feedback_released for s in scenarios if s.feedback_released]
        history += [(max(out), "feedback released to the trainee")] if out else []
        modules.append(
            ModuleRecord(
                module=module,
                title=documents.get(module, {}).get("title", module),
                status=str(status),
                due=due,
                submitted=submitted,
                lateness=str(status_row["status"]),
                score=None if score is None or pd.isna(score) else float(score),
                max_score=None if most is None or pd.isna(most) else float(most),
                scenarios=scenarios,
                history=sorted(history),
            )
        )
    return TraineeRecord(student, names[student], email, modules)


def _scenario(
    course_dir: Path,
    module: str,
    student: str,
    scenario: str,
    graded: Path,
    feedback: Path,
    exchange: Path,
    rows: pd.DataFrame,
) -> ScenarioRecord:
    row = rows.loc[scenario] if scenario in rows.index else None
    reflections = scenario_reflections(course_dir, module, scenario, student=student)
    reflection = reflections[0] if reflections else None
    verdict = read_verdict(graded, scenario)
    if verdict is None:
        path = "Not graded: no submission, or autograde did not complete."
    else:
        path = note_markdown(verdict) or ""
        if verdict.choices:
            with open_gradebook(course_dir) as gb:
                try:
                    path = path_markdown(released_key(gb, module, scenario), verdict.choices)
                except KeyUnavailable as exc:
                    path = f"The path taken cannot be shown: {exc}"
    page = released_page(exchange, feedback, scenario)
    released = None if page is None else _mtime(page)
    return ScenarioRecord(
        scenario=scenario,
        status="" if row is None else str(row["status"]),
        score=None if row is None or pd.isna(row["score"]) else float(row["score"]),
        max_score=None if row is None or pd.isna(row["max_score"]) else float(row["max_score"]),
        path=path,
        reflection=reflection,
        feedback_released=released,
    )


def _points(score: float | None, most: float | None) -> str:
    if score is None:
        return "no score"
    return f"{score:g} of {most:g} points" if most is not None else f"{score:g} points"


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "-"


def plain(markdown: str) -> str:
    """The tutor view's markdown (every text escaped) as plain text for a terminal."""
    return html.unescape(re.sub(r"\\([^\w\s])", r"\1", markdown.replace("**", "")))


def record_text(record: TraineeRecord) -> str:
    """The record as plain text (``course cohort trainee``): every value from the record, with
    trainee-written text and names stripped of control codes."""
    lines = [
        f"{printable(record.student)}: {printable(record.name) or '(not on the roster)'}"
        + (f" <{printable(record.email)}>" if record.email else "")
    ]
    for m in record.modules:
        lines += [
            "",
            f"{printable(m.title)} ({m.module}): {m.status}, {_points(m.score, m.max_score)}",
            f"  due {_when(m.due)}; submitted {_when(m.submitted)}: {m.lateness}",
        ]
        for s in m.scenarios:
            feedback = f"released {_when(s.feedback_released)}" if s.feedback_released else "not released"
            graded = f"{s.status or 'not graded'}, {_points(s.score, s.max_score)}"
            lines.append(f"  {s.scenario}: {graded}; feedback {feedback}")
            lines += [f"    {printable(line, 2000)}" for line in plain(s.path).splitlines() if line.strip()]
            r = s.reflection
            if r is not None:
                mark = "awaiting marking" if r.needs_marking else _points(r.score, r.max_score)
                lines.append(f"    reflection ({mark}): {printable(r.text, 2000) or '(none written)'}")
                if r.comment:
                    lines.append(f"    tutor's comment: {printable(r.comment, 2000)}")
        lines += ["  history:", *(f"    {_when(when)}  {what}" for when, what in m.history)]
    return "\n".join(lines)
