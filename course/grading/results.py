"""Per trainee, per scenario: what autograde concluded, read from nbgrader's own records.

nbgrader's export lists a student whose autograde failed with score 0, like a real zero; this
report keeps them apart: a :class:`course.status.Result` (``graded``, ``awaiting-marking``,
``not-started``, ``tampered`` or ``failed``). A scenario whose reflection nbgrader still lists as
needing a manual grade is ``awaiting-marking``, never ``graded``: its score counts the decisions and
whatever is marked, and ``unmarked_points`` says how many points wait for the tutor.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import pandas as pd
from nbgrader.api import Assignment, Grade, Gradebook, Notebook, SubmittedAssignment, SubmittedNotebook
from sqlalchemy import func

from ..documents import READING, VERDICT_SUFFIX, read_verdict
from ..status import RESULT_OF_VERDICT, Result, VerdictStatus, unmarked_text
from .file_cache import FileCache, Key, file_key
from .gradebook import SQLITE, course_directory, open_gradebook, submitted_folders

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


def grading_results(
    course_dir: Path, *, keep: bool = True, submitted: Sequence[tuple[str, str, Path]] | None = None
) -> pd.DataFrame:
    """One row per submitted scenario notebook in the nbgrader course at ``course_dir``.

    The guard's verdicts, and what the gradebook records of each notebook, are read through the
    report cache (:mod:`.file_cache`): a verdict file unchanged since the last report is not read
    again, nor the gradebook while its file is unchanged. ``keep=False`` reads everything and keeps
    nothing. ``submitted``: :func:`.gradebook.submitted_folders`, for a caller that has walked them."""
    coursedir = course_directory(course_dir)
    rows = []
    with open_gradebook(course_dir, must_exist=True) as gb:
        # The reading is a page of the module, not something graded.
        modules = [
            (a.name, sorted(nb.name for nb in a.notebooks if nb.name != READING)) for a in gb.assignments
        ]
    gradebook = _Gradebook(course_dir, coursedir.db_url, keep)
    if submitted is None:
        submitted = list(submitted_folders(coursedir))
    submitted = sorted(submitted, key=lambda s: (s[1], s[0]))
    for module, notebooks in modules:
        verdicts = FileCache(course_dir if keep else None, module, "verdicts", "", _VERDICT_FIELDS)
        recorded = gradebook.module(module)
        for student, _, folder in (s for s in submitted if s[1] == module):
            graded = Path(coursedir.format_path(coursedir.autograded_directory, student, module))
            handed_in, kept = _listing(folder), _listing(graded)
            autograded = kept is not None
            for name in notebooks:
                # A notebook left out of a submission that was graded: nbgrader scored it 0.
                left_out = autograded and not _exists(folder, handed_in, f"{name}.ipynb")
                found = gradebook.find(recorded, student, module, name)
                verdict = None
                if autograded and _exists(graded, kept, f"{name}.ipynb"):
                    verdict = _verdict(verdicts, graded, kept, student, name)
                rows.append(_row(found, verdict, student, module, name, left_out))
        if keep:
            verdicts.save()
            recorded.save()
    return pd.DataFrame(rows, columns=COLUMNS)


# Recorded's fields, after whether the gradebook records the notebook at all.
_RECORDED_FIELDS = [("found", int), ("score", float), ("max_score", float), ("penalty", float)]
_RECORDED_FIELDS += [("unmarked", int), ("unmarked_points", float)]


class _Gradebook:
    """What the gradebook records of each submitted notebook (:func:`_recorded`), queried only when
    the report cache lacks it: the cache is of the gradebook's file as it was (its size, modification
    and change times), so any write to the gradebook (a grade, a mark) queries it again. A gradebook
    that is not one SQLite file, or is being written (its journal is there), is always queried."""

    def __init__(self, course_dir: Path, url: str, keep: bool):
        self.course_dir, self.keep = course_dir, keep
        self.key: Key | None = None
        path = Path(url.removeprefix(SQLITE))
        busy = any(Path(f"{path}{suffix}").exists() for suffix in ("-journal", "-wal"))
        if keep and url.startswith(SQLITE) and not busy:
            with contextlib.suppress(OSError):
                self.key = file_key(path.stat())
        self._recorded: dict[tuple[str, str, str], Recorded] | None = None

    def module(self, module: str) -> FileCache:
        return FileCache(self.course_dir if self.keep else None, module, "gradebook", "", _RECORDED_FIELDS)

    def find(self, cache: FileCache, student: str, module: str, notebook: str) -> Recorded | None:
        name = f"{student}/{notebook}"
        row = cache.get(name, self.key)
        if row is None:
            if self._recorded is None:
                with open_gradebook(self.course_dir, must_exist=True) as gb:
                    self._recorded = _recorded(gb)
            found = self._recorded.get((student, module, notebook))
            row = (0, 0.0, 0.0, 0.0, 0, 0.0) if found is None else (1, *astuple(found))
            cache.put(name, self.key, row)
        return Recorded(*row[1:]) if row[0] else None


Listing = dict[str, os.DirEntry]
_VERDICT_FIELDS = [("status", str), ("reasons", str), ("count", int)]  # reasons joined by " "


def _listing(folder: Path) -> Listing | None:
    """The entries of ``folder`` by name; None if it is not a readable folder."""
    try:
        with os.scandir(folder) as entries:
            return {e.name: e for e in entries}
    except OSError:
        return None


def _exists(folder: Path, listing: Listing | None, name: str) -> bool:
    """``(folder / name).exists()``, from the folder's listing (a symlink is followed)."""
    entry = (listing or {}).get(name)
    if entry is None:
        return False
    return (folder / name).exists() if entry.is_symlink() else True


def _verdict(
    cache: FileCache, graded: Path, listing: Listing | None, student: str, scenario: str
) -> tuple | None:
    """The guard's verdict on ``scenario`` as (status, reasons joined by " ", number of reasons),
    None where there is none: from the cache while the verdict file is unchanged."""
    name = f"{scenario}{VERDICT_SUFFIX}"
    entry = (listing or {}).get(name)
    try:
        key = file_key(entry.stat(follow_symlinks=False)) if entry is not None else None
    except OSError:
        key = None
    cached = f"{student}/{name}"
    row = cache.get(cached, key)
    if row is None:
        verdict = read_verdict(graded, scenario)
        if verdict is None:
            return None
        row = (verdict.status.value, " ".join(verdict.reasons), len(verdict.reasons))
        cache.put(cached, key, row)
    return row


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
    found: Recorded | None, verdict: tuple | None, student: str, module: str, scenario: str, left_out: bool
) -> list:
    """One row of :data:`COLUMNS`; ``verdict`` as :func:`_verdict` gives it."""
    row = {"student": student, "module": module, "scenario": scenario, "reasons": ""}
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
        status, reasons, count = verdict
        row["status"] = RESULT_OF_VERDICT[VerdictStatus(status)]
        row["reasons"] = reasons
        if row["status"] == Result.GRADED and row["unmarked"]:
            row["status"] = Result.AWAITING_MARKING
            waiting = unmarked_text(row["unmarked"], row["unmarked_points"])
            row["reasons"] = f"{reasons} {waiting}" if count else waiting
    if row["status"] != Result.AWAITING_MARKING:
        row["unmarked"], row["unmarked_points"] = 0, 0.0
    return [row[c] for c in COLUMNS]
