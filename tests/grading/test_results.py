"""``course results`` and the tutors' report verbs on a folder that is not a cohort."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.cli import main
from course.grading.gradebook import open_gradebook
from course.grading.results import COLUMNS, grading_results
from course.nbgrader_settings import NotACohort


@pytest.mark.parametrize(
    "argv",
    [
        ["results", "--course-dir", "{typo}"],
        ["results", "--course-dir", "{typo}", "--csv", "{typo}.csv"],
        ["cohort", "--course-dir", "{typo}", "report"],
        ["cohort", "--course-dir", "{typo}", "export"],
        ["cohort", "--course-dir", "{typo}", "review"],
    ],
)
def test_a_mistyped_course_dir_is_refused_in_a_sentence_and_nothing_is_created(tmp_path, capsys, argv):
    typo = tmp_path / "cohorts" / "2026-autum"  # the cohort is 2026-autumn
    code = main([a.format(typo=typo) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{typo} is not a cohort (it has no nbgrader_config.py)" in err and "--course-dir" in err
    assert f"course cohort new {typo}" in err  # what to do
    assert "Traceback" not in err
    assert not typo.exists() and not Path(f"{typo}.csv").exists()  # no empty gradebook made there


@pytest.mark.slow  # nbgrader creates a gradebook (its migrations take seconds)
def test_an_empty_cohort_has_no_results_but_a_missing_one_raises(tmp_path):
    with pytest.raises(NotACohort):
        grading_results(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    with open_gradebook(tmp_path):  # a cohort nothing has been submitted to yet
        pass
    table = grading_results(tmp_path)
    assert table.empty and list(table.columns) == COLUMNS
