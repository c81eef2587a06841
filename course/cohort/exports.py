"""The files a tutor exports for a cohort, written by one function for ``course cohort export`` /
``report`` and the dashboard's buttons.

Everything goes under ``<course dir>/exports/`` unless another folder is given:
``grades.csv`` (nbgrader's export columns, see grades_csv), ``gradebook-moodle.csv`` and
``gradebook-canvas.csv`` (see lms), and the report's tables in ``report/``.
"""

from __future__ import annotations

from pathlib import Path

from .grades_csv import export_grades
from .lms import export_gradebook
from .report import CohortReport, write_report
from .settings import CANVAS, LMS_NAMES, MOODLE

EXPORTS = "exports"  # inside each cohort's course directory
GRADES, REPORT = "grades", "report"
KINDS = (GRADES, MOODLE, CANVAS, REPORT)


def export(report: CohortReport, course_dir: Path, kind: str, folder: Path | None = None) -> list[Path]:
    """Write one kind of export (:data:`KINDS`) of the cohort at ``course_dir``; return the files."""
    folder = Path(folder) if folder is not None else Path(course_dir) / EXPORTS
    if kind == GRADES:
        path = folder / "grades.csv"
        export_grades(course_dir, path, results=report.results)
        return [path]
    if kind in LMS_NAMES:
        path = folder / f"gradebook-{kind}.csv"
        return [export_gradebook(course_dir, path, kind, report.modules, results=report.results)]
    if kind == REPORT:
        return write_report(report, folder / REPORT)
    raise ValueError(f"nothing to export called {kind!r}; expected one of {', '.join(KINDS)}")
