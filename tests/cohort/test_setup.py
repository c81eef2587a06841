"""A cohort from nothing, as a tutor makes one from the README: `course cohort new FOLDER` (a
relative path), then every verb with ``--course-dir`` before or after it; a folder that is not a
cohort is refused with what to do, and nothing is written there. (The synthetic cohort in
``conftest.py`` runs the whole cycle, autograde included, on a cohort made this way and named
by a relative path.)"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from course.cli import main, parser
from course.cohort.setup import CONFIG
from course.grading.gradebook import course_directory
from course.nbgrader_settings import load_nbgrader_config
from course.paths import PRACTICE_DIR


def course_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(args))
    return status, out.getvalue()


def files_under(folder: Path) -> dict[Path, int]:
    """Every file under ``folder`` with its modification time (nothing if it does not exist)."""
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


def test_a_new_cohort_is_ready_and_self_study_is_left_as_it_is(tmp_path, course, monkeypatch):
    monkeypatch.chdir(tmp_path)
    practice_before = files_under(PRACTICE_DIR)
    status, out = course_cli("cohort", "new", "cohorts/autumn-2026")
    root = (tmp_path / "cohorts" / "autumn-2026").resolve()
    assert status == 0 and f"cohort ready at {root}" in out, out
    # nbgrader's own apps, reading the cohort's configuration, find this folder and its exchange.
    coursedir = course_directory(root)
    assert Path(coursedir.root) == root
    config = load_nbgrader_config(root)
    assert Path(config.Exchange.root) == root / "exchange" and (root / "exchange").is_dir()
    assert config.CourseDirectory.course_id == "mip-social-media"  # the course's own settings
    # Every module's source notebooks, as the build writes them.
    for content in course.modules:
        built = {p.stem for p in (root / "source" / content.module.id).glob("*.ipynb")}
        assert built == {"reading", *(item.id for item in content.items)}, content.module.id
    assert files_under(PRACTICE_DIR) == practice_before  # self-study not rebuilt

    # Made twice: refused, and nothing changed.
    config_text = (root / CONFIG).read_text()
    status, out = course_cli("cohort", "new", "cohorts/autumn-2026")
    assert status == 1 and "is a cohort already" in out and (root / CONFIG).read_text() == config_text


@pytest.mark.parametrize(
    "verb",
    [
        ("roster", "roster.csv"),
        ("release",),
        ("collect",),
        ("autograde",),
        ("feedback",),
        ("export",),
        ("report",),
        ("review",),
    ],
)
def test_every_verb_refuses_a_folder_that_is_not_a_cohort_and_writes_nothing_there(
    tmp_path, monkeypatch, verb
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "typo").mkdir()
    for line in (
        ["cohort", "--course-dir", "typo", *verb],
        ["cohort", verb[0], "--course-dir", "typo", *verb[1:]],
    ):
        status, out = course_cli(*line)
        assert status == 2, out
        assert f"{tmp_path / 'typo'} is not a cohort" in out and "course cohort new" in out
    assert list((tmp_path / "typo").iterdir()) == []  # no gradebook, no exports, nothing


def test_results_refuses_a_folder_that_is_not_a_cohort(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out = course_cli("results", "--course-dir", "nowhere")
    assert status == 2 and "is not a cohort" in out and not (tmp_path / "nowhere").exists()


def test_course_dir_is_absolute_before_or_after_the_verb_and_after_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = parser().parse_args
    assert args(["cohort", "--course-dir", "a", "release"]).course_dir == tmp_path / "a"
    assert args(["cohort", "release", "--course-dir", "a", "m1"]).course_dir == tmp_path / "a"
    assert args(["cohort", "--course-dir", "a", "collect", "--course-dir", "b"]).course_dir == tmp_path / "b"
    assert args(["results", "--course-dir", "../x"]).course_dir == (tmp_path / ".." / "x").resolve()
    assert args(["cohort", "report"]).course_dir.is_absolute()  # the default, grading/


def test_building_only_a_cohort_source_leaves_the_self_study_pages(tmp_path):
    before = files_under(PRACTICE_DIR)
    status, out = course_cli("build", "--source", str(tmp_path / "source"))
    assert status == 0 and str(tmp_path / "source") in out and str(PRACTICE_DIR) not in out
    assert any((tmp_path / "source").rglob("*.ipynb"))
    assert files_under(PRACTICE_DIR) == before
