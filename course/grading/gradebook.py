"""The nbgrader course directory and gradebook at a path, found the way nbgrader's own apps
find them (its ``nbgrader_config.py`` there, on top of the Jupyter config directories)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory

from ..nbgrader_settings import NotACohort, load_nbgrader_config

SQLITE = "sqlite:///"


def course_directory(course_dir: Path) -> CourseDirectory:
    config = load_nbgrader_config(course_dir)
    config.CourseDirectory.root = str(course_dir)
    return CourseDirectory(config=config)


def open_gradebook(course_dir: Path, *, must_exist: bool = False) -> Gradebook:
    """The course's gradebook (use it as a context manager). nbgrader creates an empty one where
    none is; with ``must_exist`` a wrong path raises instead of looking like an empty cohort."""
    coursedir = course_directory(course_dir)
    url = coursedir.db_url
    if must_exist and url.startswith(SQLITE) and not Path(url.removeprefix(SQLITE)).is_file():
        raise NotACohort(
            f"no nbgrader gradebook at {url.removeprefix(SQLITE)}: nothing has been released to the "
            f"cohort in {course_dir} yet (check --course-dir; a cohort has a gradebook once a module "
            "is released to it)"
        )
    return Gradebook(url, coursedir.course_id)


def submitted_folders(coursedir: CourseDirectory) -> Iterator[tuple[str, str, Path]]:
    """Every collected submission, as ``(student, module, folder)`` in name order: the one walk of
    nbgrader's submitted tree (its ``submitted_directory``, wherever the configuration puts it).
    Hidden entries (a dot folder a file system or tool leaves) are nobody's submission."""
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    if not submitted.is_dir():
        return
    for student in _visible(submitted):
        for module in _visible(student):
            folder = Path(coursedir.format_path(coursedir.submitted_directory, student.name, module.name))
            yield student.name, module.name, folder


def submitted_times(coursedir: CourseDirectory) -> dict[tuple[str, str], datetime | None]:
    """Every collected submission's time, ``(student, module) -> time`` in name order, as nbgrader
    reads its ``timestamp.txt`` (None where there is none). Read once for everything that needs it:
    nbgrader parses each with dateutil, which is slow enough to matter over a large cohort."""
    return {
        (student, module): coursedir.get_existing_timestamp(str(folder))
        for student, module, folder in submitted_folders(coursedir)
    }


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir())
