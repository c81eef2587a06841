"""nbgrader's grades CSV, made safe: the exporter behind ``nbgrader export`` (set as
``ExportApp.plugin_class`` in grading/nbgrader_config.py) and ``course cohort export``.

nbgrader's own ``CsvExportPlugin`` joins the fields with commas unquoted (a name such as
"Smith, Jr" shifts every later column), copies names and e-mails as typed (a roster cell
``=HYPERLINK(...)`` runs as a formula in a spreadsheet) and writes 0 for a trainee whose grading
failed. This exporter keeps nbgrader's columns in nbgrader's order and adds ``status``:
``graded``, ``awaiting-marking`` (a reflection still waits for the tutor's mark: the score is
provisional, and ``unmarked_reflections`` says how many), ``failed`` (score cells read "failed",
never 0) or ``not-submitted`` (scored 0, as nbgrader does).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from nbgrader.api import Assignment, Grade, Gradebook, SubmittedAssignment, SubmittedNotebook
from nbgrader.plugins import ExportPlugin
from sqlalchemy import func

from ..grading.results import grading_results
from ..status import ModuleStatus
from .csv_safe import write_csv
from .scores import module_scores

NBGRADER_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]
COLUMNS = [*NBGRADER_COLUMNS, "status", "unmarked_reflections"]
DEFAULT_FILE = "grades.csv"  # nbgrader's own default name


def grades_table(gradebook: Gradebook, states: dict[tuple[str, str], tuple[str, int]]) -> pd.DataFrame:
    """One row per module x trainee of the gradebook, as nbgrader's export lists them.
    ``states`` maps each submitted (student, module) to its :class:`ModuleStatus` and the number
    of reflections awaiting marking (:func:`module_states`)."""
    submissions = _submissions(gradebook)
    students = gradebook.students
    rows = []
    for assignment in gradebook.assignments:
        for student in students:
            row = {
                "assignment": assignment.name,
                "duedate": assignment.duedate,
                "student_id": student.id,
                "last_name": student.last_name,
                "first_name": student.first_name,
                "email": student.email,
                "max_score": assignment.max_score,
                "unmarked_reflections": 0,
            }
            submission = submissions.get((assignment.name, student.id))
            if submission is None:
                row |= {"timestamp": None, "raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0}
                row["status"] = ModuleStatus.NOT_SUBMITTED
            else:
                timestamp, score, penalty = submission
                row |= {"timestamp": timestamp, "late_submission_penalty": penalty}
                status, waiting = states.get((student.id, assignment.name), (ModuleStatus.GRADED, 0))
                if status == ModuleStatus.FAILED:
                    row |= {"raw_score": status, "score": status, "status": status}
                else:
                    graded = {"raw_score": score, "score": max(0.0, score - penalty)}
                    row |= {**graded, "status": status, "unmarked_reflections": waiting}
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def _submissions(gradebook: Gradebook) -> dict[tuple[str, str], tuple[datetime | None, float, float]]:
    """Every submission, ``(module, student) -> (timestamp, score, late penalty)``, as nbgrader's
    ``SubmittedAssignment.score`` and ``late_submission_penalty`` define them (the sums over its
    notebooks' grades and penalties), in three queries rather than several per submission."""
    db = gradebook.db
    scores = dict(
        db.query(SubmittedNotebook.assignment_id, func.coalesce(func.sum(Grade.score), 0.0))
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .group_by(SubmittedNotebook.assignment_id)
    )
    penalties = dict(
        db.query(
            SubmittedNotebook.assignment_id,
            func.coalesce(func.sum(SubmittedNotebook.late_submission_penalty), 0.0),
        ).group_by(SubmittedNotebook.assignment_id)
    )
    found = db.query(
        SubmittedAssignment.id, Assignment.name, SubmittedAssignment.student_id, SubmittedAssignment.timestamp
    ).join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
    return {
        (module, student): (timestamp, scores.get(submitted, 0.0), penalties.get(submitted, 0.0))
        for submitted, module, student, timestamp in found
    }


def module_states(results: pd.DataFrame) -> dict[tuple[str, str], tuple[str, int]]:
    """Each (student, module) of :func:`course.grading.results.grading_results`: its status
    (graded, awaiting-marking or failed) and the reflections awaiting marking."""
    scores = module_scores(results)
    return {
        (row.student, row.module): (ModuleStatus(row.status), int(row.unmarked))
        for row in scores.itertuples(index=False)
    }


class SafeCsvExportPlugin(ExportPlugin):
    """``nbgrader export`` writing :func:`grades_table` through the course's safe CSV writer."""

    def export(self, gradebook: Gradebook) -> None:
        dest = Path(self.to or DEFAULT_FILE)
        states = module_states(grading_results(Path(self.parent.coursedir.root)))
        table = grades_table(gradebook, states)
        if self.assignment:
            table = table[table["assignment"].isin([str(a) for a in self.assignment])]
        if self.student:
            table = table[table["student_id"].isin([str(s) for s in self.student])]
        self.log.info("Exporting grades to %s", dest)
        write_csv(table, dest)

