"""Per trainee, per scenario: what autograde concluded, read from nbgrader's own records.

nbgrader's export lists a student whose autograde failed with score 0, like a real zero; this
report keeps them apart: a :class:`course.status.Result` (``graded``, ``awaiting-marking``,
``not-started``, ``tampered`` or ``failed``). A scenario whose reflection nbgrader still lists as
needing a manual grade is ``awaiting-marking``, never ``graded``: its score counts the decisions and
whatever is marked, and ``unmarked_points`` says how many points wait for the tutor.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

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
        submitted = sorted(submitted_folders(coursedir), key=lambda s: (s[1], s[0]))
        for assignment in gb.assignments:
            # The reading is a page of the module, not something graded.
            notebooks = sorted(nb.name for nb in assignment.notebooks if nb.name != READING)
            for student, _, folder in (s for s in submitted if s[1] == assignment.name):
                graded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment.name))
                for name in notebooks:
                    # A notebook left out of a submission that was graded: nbgrader scored it 0.
                    left_out = graded.is_dir() and not (folder / f"{name}.ipynb").exists()
                    rows.append(_row(gb, graded, student, assignment.name, name, left_out))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(gb: Gradebook, graded: Path, student: str, module: str, scenario: str, left_out: bool) -> dict:
    row = {"student": student, "module": module, "scenario": scenario, "reasons": ""}
    verdict = read_verdict(graded, scenario) if (graded / f"{scenario}.ipynb").exists() else None
    row["unmarked"], row["unmarked_points"], row["penalty"] = 0, 0.0, 0.0
    try:
        notebook = gb.find_submission_notebook(scenario, module, student)
        row["score"], row["max_score"] = notebook.score, notebook.max_score
        # Taken off for lateness (the cohort's LatePenalty), kept apart from the score as nbgrader does.
        row["penalty"] = float(notebook.late_submission_penalty or 0.0)
        waiting = [grade for grade in notebook.grades if grade.needs_manual_grade]
        row["unmarked"], row["unmarked_points"] = len(waiting), float(sum(g.max_score for g in waiting))
    except MissingEntry:
        row["score"], row["max_score"] = None, None
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

