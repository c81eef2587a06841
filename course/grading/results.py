"""Per trainee, per scenario: what autograde concluded, read from nbgrader's own records.

nbgrader's export lists a student whose autograde failed with score 0, like a real zero; this
report keeps them apart: a :class:`course.status.Result` (``graded``, ``awaiting-marking``,
``not-started``, ``tampered`` or ``failed``). A scenario whose reflection nbgrader still lists as
needing a manual grade is ``awaiting-marking``, never ``graded``: its score counts the decisions and
whatever is marked, and ``unmarked_points`` says how many points wait for the tutor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from nbgrader.api import Assignment, Grade, Gradebook, Notebook, SubmittedAssignment, SubmittedNotebook
from sqlalchemy import func

from ..documents import READING, read_verdict
from ..status import RESULT_OF_VERDICT, Result, unmarked_text
from .gradebook import course_directory, open_gradebook, submitted_folders

COLUMNS = [
    "student",
    "module",
    "scenario",
    "status",
    "score",
    "max_score",
    "unmarked",
    "unmarked_points",
    "penalty",
    "reasons",
]


def grading_results(course_dir: Path) -> pd.DataFrame:
    """One row per submitted scenario notebook in the nbgrader course at ``course_dir``."""
    coursedir = course_directory(course_dir)
    rows = []
    with open_gradebook(course_dir, must_exist=True) as gb:
        recorded = _recorded(gb)
        submitted = sorted(submitted_folders(coursedir), key=lambda s: (s[1], s[0]))
        for assignment in gb.assignments:
            # The reading is a page of the module, not something graded.
            notebooks = sorted(nb.name for nb in assignment.notebooks if nb.name != READING)
            for student, _, folder in (s for s in submitted if s[1] == assignment.name):
                graded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment.name))
                autograded = graded.is_dir()
                for name in notebooks:
                    # A notebook left out of a submission that was graded: nbgrader scored it 0.
                    left_out = autograded and not (folder / f"{name}.ipynb").exists()
                    found = recorded.get((student, assignment.name, name))
                    rows.append(_row(found, graded, student, assignment.name, name, left_out))
    return pd.DataFrame(rows, columns=COLUMNS)


@dataclass(frozen=True)
class Recorded:
    """One submitted notebook as nbgrader's gradebook holds it (its own score definitions)."""

    score: float
    max_score: float
    penalty: float
    unmarked: int  # grades nbgrader lists as needing a manual grade
    unmarked_points: float  # their maximum


def _recorded(gb: Gradebook) -> dict[tuple[str, str, str], Recorded]:
    """Every submitted notebook's score, maximum, late penalty and grades awaiting a manual mark,
    ``(student, module, notebook) -> Recorded``, in four queries over the whole gradebook rather
    than several per notebook: nbgrader's own column definitions (``Grade.score``,
    ``Grade.max_score``, ``Notebook.max_score``) summed the way ``SubmittedNotebook.score`` sums them."""
    db = gb.db
    scores = dict(
        db.query(Grade.notebook_id, func.coalesce(func.sum(Grade.score), 0.0)).group_by(Grade.notebook_id)
    )
    waiting = {
        notebook: (count, points)
        for notebook, count, points in db.query(
            Grade.notebook_id, func.count(Grade.id), func.coalesce(func.sum(Grade.max_score), 0.0)
        )
        .filter(Grade.needs_manual_grade)
        .group_by(Grade.notebook_id)
    }
    maxima = dict(db.query(Notebook.id, Notebook.max_score))
    found = (
        db.query(
            SubmittedNotebook.id,
            SubmittedNotebook.notebook_id,
            SubmittedNotebook.late_submission_penalty,
            SubmittedAssignment.student_id,
            Assignment.name,
            Notebook.name,
        )
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
    )
    recorded = {}
    for submitted, notebook, penalty, student, module, name in found:
        count, points = waiting.get(submitted, (0, 0.0))
        recorded[student, module, name] = Recorded(
            scores.get(submitted, 0.0), maxima[notebook], float(penalty or 0.0), count, float(points)
        )
    return recorded


def _row(
    found: Recorded | None, graded: Path, student: str, module: str, scenario: str, left_out: bool
) -> dict:
    row = {"student": student, "module": module, "scenario": scenario, "reasons": ""}
    verdict = read_verdict(graded, scenario) if (graded / f"{scenario}.ipynb").exists() else None
    row["unmarked"], row["unmarked_points"], row["penalty"] = 0, 0.0, 0.0
    if found is None:
        row["score"], row["max_score"] = None, None
    else:
        row["score"], row["max_score"] = found.score, found.max_score
        # Taken off for lateness (the cohort's LatePenalty), kept apart from the score as nbgrader does.
        row["penalty"] = found.penalty
        row["unmarked"], row["unmarked_points"] = found.unmarked, found.unmarked_points
    if left_out:
        row["status"], row["reasons"] = Result.NOT_STARTED, "the notebook was not in the submission"
    elif verdict is None:
        row["status"], row["score"] = Result.FAILED, None
        row["reasons"] = "autograde did not complete for this submission; see the nbgrader log"
    else:
        row["status"] = RESULT_OF_VERDICT[verdict.status]
        row["reasons"] = " ".join(verdict.reasons)
        if row["status"] == Result.GRADED and row["unmarked"]:
            row["status"] = Result.AWAITING_MARKING
            waiting = unmarked_text(row["unmarked"], row["unmarked_points"])
            row["reasons"] = " ".join([*verdict.reasons, waiting])
    if row["status"] != Result.AWAITING_MARKING:
        row["unmarked"], row["unmarked_points"] = 0, 0.0
    return row

