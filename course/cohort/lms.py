"""The cohort's gradebook as a CSV file that Moodle's or Canvas's grade import reads.

One row per trainee of the nbgrader roster, one column per module, a total. What each LMS needs
(read from their importers' sources: Moodle's grade/import/csv/classes/load_data.php, Canvas's
GradebookImporter and Assignment.title_and_id):

**Canvas** requires the header to start ``Student, ID, SIS User ID, SIS Login ID, Section`` (it
checks that the first cell contains "Student", the second "ID", and that the last identity column
is "Section"); every later column is an assignment, matched to an existing one by a trailing
``(<assignment id>)`` or else by its exact title, and created if none matches. So module columns
carry the bare title, and the maximum goes in the row Canvas's own export has under the header,
whose first cell is "Points Possible": the importer reads it to set the points of new
assignments. Canvas matches a trainee on ``ID`` (its user id: nbgrader's ``lms_user_id``), then
``SIS User ID`` (here nbgrader's student id), then ``SIS Login ID`` (here the e-mail), then the
name. The total is headed ``Current Points``, one of the computed columns Canvas skips on import
(a column headed "Total" would become a new assignment).

**Moodle** takes any header: at import the tutor maps one identity column to a Moodle user field
("Email address" to e-mail, "ID number" - nbgrader's student id - to ID number, or "LMS user ID"
to user id) and each module column to a grade item or a new one. It aborts the whole import if a
row's user is not found, so there is no extra row: the maximum goes in the header, e.g. "Online
presence is public and permanent (out of 23)". Leave "Total" on *Ignore*: Moodle computes its
own course total, and refuses any imported grade above 100 unless the site allows more.

Cells: a module's score as a number, its late penalty taken off (as ``grades.csv``'s ``score``);
``failed`` when autograde failed for it (never 0); blank when the trainee never submitted it, or
while a reflection of it awaits the tutor's mark (both LMSs read blank as "no grade": a provisional
score would pass for a final one). ``failed`` is not a grade to either LMS: Moodle refuses the file
("Supplied grade is invalid") and imports nothing rather than a wrong grade, and Canvas cannot turn
it into points; so re-run autograde for that trainee, or leave that module's column out of the
import, first. The total is the sum of the submitted modules' scores, ``failed`` if any module
failed (a partial sum would pass for a final total) and blank if nothing was submitted or a module
awaits marking.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..grading.gradebook import open_gradebook
from ..grading.results import grading_results
from ..status import ModuleStatus
from .csv_safe import write_csv
from .frames import require_columns, require_distinct
from .scores import cohort_grid, module_scores
from .settings import CANVAS, LMS_NAMES

ROSTER_COLUMNS = ["id", "first_name", "last_name", "email", "lms_user_id"]
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS = "Points Possible"
CANVAS_TOTAL = "Current Points"
CANVAS_READ_ONLY = "(read only)"  # what Canvas's export writes under a computed column
MOODLE_IDENTITY = ["First name", "Last name", "ID number", "Email address", "LMS user ID"]
MOODLE_TOTAL = "Total"
_GRID_STATUSES = frozenset(ModuleStatus)


def gradebook_table(
    grid: pd.DataFrame, roster: pd.DataFrame, module_titles: Mapping[str, str], lms: str
) -> pd.DataFrame:
    """The gradebook for ``lms`` ("moodle" or "canvas") exactly as it is written to CSV.

    ``grid`` is :func:`course.cohort.scores.cohort_grid` output; ``roster`` has columns ``id,
    first_name, last_name, email, lms_user_id``. One row per roster trainee in roster order (for
    Canvas, after the "Points Possible" row); identity columns per LMS (see the module docstring),
    then one column per module in the order of ``module_titles`` (module id -> title), then the
    total. Cells hold numbers, ``"failed"`` or None (blank).

    Raises ValueError for an unknown ``lms``, a roster or grid column missing, a duplicate id or
    title, a grid row for a trainee or module not in ``roster``/``module_titles``, or one module
    with different maxima.
    """
    _check_lms(lms)
    _check_roster(roster)
    _check_grid(grid, roster, module_titles)
    cells = {
        (row.student, row.module): _cell(row.status, row.score, row.penalty)
        for row in grid.itertuples(index=False)
    }
    maxima = {module: _module_max(grid, module) for module in module_titles}
    waiting = set(grid.loc[grid["status"] == ModuleStatus.AWAITING_MARKING, "student"])

    rows = []
    for trainee in roster[ROSTER_COLUMNS].itertuples(index=False):
        marks = [cells.get((trainee.id, module)) for module in module_titles]
        identity = _canvas_identity(trainee) if lms == CANVAS else _moodle_identity(trainee)
        total = _total(marks)
        if trainee.id in waiting and total != ModuleStatus.FAILED:
            total = None  # a sum with a module still to be marked would pass for the final total
        rows.append([*identity, *marks, total])

    if lms == CANVAS:
        header = [*CANVAS_IDENTITY, *module_titles.values(), CANVAS_TOTAL]
        points = [CANVAS_POINTS, *[None] * (len(CANVAS_IDENTITY) - 1), *maxima.values(), CANVAS_READ_ONLY]
        rows.insert(0, points)
    else:
        total_max = None if None in maxima.values() else _number(sum(maxima.values()))
        header = [
            *MOODLE_IDENTITY,
            *(_out_of(title, maxima[module]) for module, title in module_titles.items()),
            _out_of(MOODLE_TOTAL, total_max),
        ]
    # object dtype: a column of whole scores must not turn into floats (17 written as "17.0").
    return pd.DataFrame(rows, columns=header, dtype=object)


def gradebook_students(course_dir: Path) -> pd.DataFrame:
    """The trainees in the nbgrader gradebook of the course at ``course_dir``, in nbgrader's order
    (last name, first name), with columns ``id, first_name, last_name, email, lms_user_id``."""
    with open_gradebook(course_dir, must_exist=True) as gb:
        rows = [[getattr(student, column) for column in ROSTER_COLUMNS] for student in gb.students]
    return pd.DataFrame(rows, columns=ROSTER_COLUMNS, dtype=object)


def lms_gradebook(
    course_dir: Path,
    lms: str,
    module_titles: Mapping[str, str],
    results: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The gradebook table for ``lms`` of the nbgrader course at ``course_dir``: what
    :func:`export_gradebook` writes and the dashboard offers for download.

    ``module_titles`` maps module id -> column title, in column order. ``results`` is for callers
    that already have :func:`course.grading.results.grading_results` output; it is read from the
    course otherwise. The roster is the nbgrader gradebook's students. Raises ValueError for an
    unknown ``lms`` or if the results hold a trainee not in the roster or a module not in
    ``module_titles``: their grades would otherwise be left out unnoticed.
    """
    _check_lms(lms)
    if results is None:
        results = grading_results(course_dir)
    scores = module_scores(results)
    roster = gradebook_students(course_dir)
    _check_covered("the grading results", scores["student"], scores["module"], roster["id"], module_titles)
    grid = cohort_grid(scores, list(roster["id"]), list(module_titles))
    return gradebook_table(grid, roster, module_titles, lms)


def export_gradebook(
    course_dir: Path,
    path: Path,
    lms: str,
    module_titles: Mapping[str, str],
    results: pd.DataFrame | None = None,
) -> Path:
    """Write :func:`lms_gradebook` to ``path`` (nothing is written if it raises)."""
    return write_csv(lms_gradebook(course_dir, lms, module_titles, results), path)


def _check_lms(lms: str) -> None:
    if lms not in LMS_NAMES:
        raise ValueError(f"unknown LMS {lms!r}: expected one of {', '.join(LMS_NAMES)}")


def _check_roster(roster: pd.DataFrame) -> None:
    require_columns(roster, ROSTER_COLUMNS, "roster")
    for index, trainee_id in roster["id"].items():
        if pd.isna(trainee_id) or not str(trainee_id).strip():
            raise ValueError(f"roster row {index}: id is empty; every trainee needs their nbgrader id")
    require_distinct(roster["id"], "roster's ids")


def _check_grid(grid: pd.DataFrame, roster: pd.DataFrame, module_titles: Mapping[str, str]) -> None:
    require_columns(grid, ["student", "module", "status", "score", "max_score", "penalty"], "grid")
    dupes = sorted(f"{t!r} ({', '.join(ms)})" for t, ms in _by_title(module_titles).items() if len(ms) > 1)
    if dupes:
        raise ValueError(f"module titles must differ for the LMS to tell columns apart: {'; '.join(dupes)}")
    for row in grid.itertuples(index=False):
        where = f"grid row for {row.student}, {row.module}"
        if row.status not in _GRID_STATUSES:
            raise ValueError(
                f"{where}: status {row.status!r} is not one of {', '.join(sorted(_GRID_STATUSES))}"
            )
        if row.status == ModuleStatus.GRADED and pd.isna(row.score):
            raise ValueError(f"{where}: status graded but no score")
    pairs = grid[grid.duplicated(["student", "module"])]
    if not pairs.empty:
        first = pairs.iloc[0]
        raise ValueError(f"grid has more than one row for {first['student']}, {first['module']}")
    _check_covered("the grid", grid["student"], grid["module"], roster["id"], module_titles)


def _check_covered(
    source: str, students: Iterable, modules: Iterable, roster_ids: Iterable, module_titles: Mapping[str, str]
) -> None:
    strangers = sorted(set(students) - set(roster_ids))
    if strangers:
        raise ValueError(f"{source} include trainees not in the roster: {', '.join(map(str, strangers))}")
    untitled = sorted(set(modules) - set(module_titles))
    if untitled:
        raise ValueError(f"{source} include modules with no title given: {', '.join(map(str, untitled))}")


def _by_title(module_titles: Mapping[str, str]) -> dict[str, list[str]]:
    titles: dict[str, list[str]] = {}
    for module, title in module_titles.items():
        titles.setdefault(title, []).append(module)
    return titles


def _cell(status: str, score: float, penalty: float) -> float | int | str | None:
    if status == ModuleStatus.FAILED:
        return ModuleStatus.FAILED
    if status in (ModuleStatus.NOT_SUBMITTED, ModuleStatus.AWAITING_MARKING):
        return None
    # The grade, as grades.csv's score: the late penalty taken off, never below 0.
    return _number(max(0.0, score - (0.0 if pd.isna(penalty) else penalty)))


def _module_max(grid: pd.DataFrame, module: str) -> float | int | None:
    """The module's maximum: the same for every trainee (nbgrader keeps one per notebook)."""
    known = sorted(set(grid.loc[grid["module"] == module, "max_score"].dropna()))
    if len(known) > 1:
        raise ValueError(f"module {module} has different maximum scores across trainees: {known}")
    return _number(known[0]) if known else None


def _total(marks: list) -> float | int | str | None:
    if ModuleStatus.FAILED in marks:
        return ModuleStatus.FAILED
    scores = [m for m in marks if isinstance(m, numbers.Real)]
    return _number(sum(scores)) if scores else None


def _number(value: float) -> float | int:
    """Whole numbers as int, so the CSV says 17, not 17.0."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _out_of(title: str, maximum: float | int | None) -> str:
    return title if maximum is None else f"{title} (out of {maximum})"


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _canvas_identity(trainee) -> list[str]:
    first, last = _text(trainee.first_name), _text(trainee.last_name)
    # Canvas's export writes "Last, First" (its sortable name), which its importer matches too.
    name = f"{last}, {first}" if first and last else (last or first or _text(trainee.id))
    return [name, _text(trainee.lms_user_id), _text(trainee.id), _text(trainee.email), ""]


def _moodle_identity(trainee) -> list[str]:
    return [
        _text(trainee.first_name),
        _text(trainee.last_name),
        _text(trainee.id),
        _text(trainee.email),
        _text(trainee.lms_user_id),
    ]
