"""The nbgrader course directory and gradebook at a path, found the way nbgrader's own apps
find them (its ``nbgrader_config.py`` there, on top of the Jupyter config directories)."""

from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory

from ..play.exchange import load_nbgrader_config

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
        raise FileNotFoundError(f"no nbgrader gradebook at {url.removeprefix(SQLITE)}")
    return Gradebook(url, coursedir.course_id)
