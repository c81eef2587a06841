"""The files a tutor exports for a cohort. One function builds them (:func:`export_tables`); the
CLI (``course cohort export`` / ``report``) writes them, the dashboard offers them for download.

Everything goes under ``<course dir>/exports/`` unless another folder is given:
``grades.csv`` (nbgrader's export columns, see grades_csv), ``gradebook-moodle.csv`` and
``gradebook-canvas.csv`` (see lms), and the report's tables in ``report/``. The download of the
report's tables is one zip of the same files.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from ..grading.gradebook import open_gradebook
from .csv_safe import csv_bytes, write_csv
from .grades_csv import DEFAULT_FILE, grades_table, module_states
from .lms import lms_gradebook
from .report import TABLES, CohortReport, report_table
from .settings import CANVAS, LMS_NAMES, MOODLE

EXPORTS = "exports"  # inside each cohort's course directory
GRADES, REPORT = "grades", "report"
KINDS = (GRADES, MOODLE, CANVAS, REPORT)
# A fixed time for the zip's members: the same report downloads as the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def export_tables(report: CohortReport, course_dir: Path, kind: str) -> dict[str, pd.DataFrame]:
    """One kind of export (:data:`KINDS`) of the cohort at ``course_dir``: its files, by path
    relative to the exports folder, and the table each holds."""
    if kind == GRADES:
        with open_gradebook(course_dir, must_exist=True) as gb:
            return {DEFAULT_FILE: grades_table(gb, module_states(report.results))}
    if kind in LMS_NAMES:
        return {f"gradebook-{kind}.csv": lms_gradebook(course_dir, kind, report.modules, report.results)}
    if kind == REPORT:
        return {f"{REPORT}/{table}.csv": report_table(report, table) for table in TABLES}
    raise ValueError(f"nothing to export called {kind!r}; expected one of {', '.join(KINDS)}")


def export(report: CohortReport, course_dir: Path, kind: str, folder: Path | None = None) -> list[Path]:
    """Write one kind of export (:data:`KINDS`) of the cohort at ``course_dir``; return the files."""
    folder = Path(folder) if folder is not None else Path(course_dir) / EXPORTS
    tables = export_tables(report, course_dir, kind)
    return [write_csv(table, folder / name) for name, table in tables.items()]


def download(report: CohortReport, course_dir: Path, kind: str) -> tuple[str, bytes]:
    """One kind of export as one file for a browser to download: its name and bytes. A single
    CSV is the bytes :func:`export` writes; the report's tables come as ``report.zip`` holding
    the same files."""
    tables = export_tables(report, course_dir, kind)
    if kind != REPORT:
        ((name, table),) = tables.items()
        return name, csv_bytes(table)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), csv_bytes(table), zipfile.ZIP_DEFLATED)
    return f"{REPORT}.zip", buffer.getvalue()
