"""The nbgrader course directory and gradebook at a path, found the way nbgrader's own apps
find them (its ``nbgrader_config.py`` there, on top of the Jupyter config directories)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory

from ..nbgrader_settings import NotACohort, load_nbgrader_config
from .file_cache import FileCache, file_key

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


def submitted_times(
    coursedir: CourseDirectory, *, keep: bool = True, submitted: Iterable[tuple[str, str, Path]] | None = None
) -> dict[tuple[str, str], datetime | None]:
    """Every collected submission's time, ``(student, module) -> time`` in name order, as nbgrader
    reads its ``timestamp.txt`` (None where there is none). Read once for everything that needs it:
    nbgrader parses each with dateutil, which is slow enough to matter over a large cohort, so a
    time read is kept in the report cache (:mod:`.file_cache`) while its file is unchanged;
    ``keep=False`` reads each and keeps nothing. ``submitted``: :func:`submitted_folders`, for a
    caller that has walked them."""
    caches: dict[str, FileCache] = {}
    times: dict[tuple[str, str], datetime | None] = {}
    for student, module, folder in submitted_folders(coursedir) if submitted is None else submitted:
        if module not in caches:
            root = Path(coursedir.root) if keep else None
            caches[module] = FileCache(root, module, "timestamps", "", _TIME)
        try:
            key = file_key(os.lstat(folder / TIMESTAMP))
        except OSError:
            key = None
        row = caches[module].get(student, key)
        if row is not None:
            times[student, module] = datetime.fromisoformat(row[0])
            continue
        when = coursedir.get_existing_timestamp(str(folder))
        # A missing or empty timestamp is read (and nbgrader's warning given) again each time.
        caches[module].put(student, key if when is not None else None, (when.isoformat() if when else "",))
        times[student, module] = when
    if keep:
        for cache in caches.values():
            cache.save()
    return times


TIMESTAMP = "timestamp.txt"  # nbgrader's, in each submission folder
_TIME = [("time", str)]


def _visible(folder: Path) -> list[Path]:
    """The sub-folders of ``folder`` (a symlink to one too) in name order, but hidden ones."""
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())
    return [folder / name for name in names]
