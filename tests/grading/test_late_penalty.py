"""The late penalty plugin as nbgrader's AssignLatePenalties loads it from a cohort's configuration,
and the line the export prints about it. (A real autograde with it: tests/cohort/test_extensions.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbgrader.preprocessors import AssignLatePenalties
from traitlets import TraitError

from course.grading.gradebook import course_directory
from course.grading.late_penalty import DAY, LatePenalty, penalty_explanation
from course.paths import GRADING_DIR


def cohort_config(folder: Path, *lines: str) -> Path:
    """A folder configured as `course cohort new` configures a cohort, plus ``lines``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(GRADING_DIR / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n" + "".join(f"{line}\n" for line in lines),
        encoding="utf-8",
    )
    return folder


def plugin(folder: Path) -> LatePenalty:
    """The plugin nbgrader's autograde step makes from the cohort's configuration."""
    step = AssignLatePenalties(config=course_directory(folder).config)
    step.init_plugin()
    return step.plugin_inst


def test_the_course_plugin_is_configured_with_no_penalty_by_default(tmp_path):
    folder = cohort_config(tmp_path / "cohort")
    late = plugin(folder)
    assert isinstance(late, LatePenalty) and late.percent_per_day == 0
    assert late.late_submission_penalty("t01", 7.0, 5 * DAY) == 0
    said = penalty_explanation(folder)
    assert "late_submission_penalty: points taken off for lateness (none in this cohort, so always 0" in said
    assert "score = raw_score - late_submission_penalty" in said


@pytest.mark.parametrize("seconds_late", [1, DAY - 1, DAY, DAY + 1, 3 * DAY + 60, 40 * DAY])
def test_each_day_or_part_day_late_takes_the_percentage_off_up_to_the_score(tmp_path, seconds_late):
    folder = cohort_config(tmp_path / "cohort", "c.LatePenalty.percent_per_day = 12.5")
    late, score = plugin(folder), 8.0
    penalty = late.late_submission_penalty("t01", score, seconds_late)
    whole_days = seconds_late // DAY + (1 if seconds_late % DAY else 0)
    assert penalty == min(score, score * 0.125 * whole_days)
    assert 0 < penalty <= score
    # A day later never costs less.
    assert late.late_submission_penalty("t01", score, seconds_late + DAY) >= penalty
    said = penalty_explanation(folder)
    assert "(12.5% of the score per day or part day late, at most the score" in said
    assert "c.LatePenalty.percent_per_day in the cohort's nbgrader_config.py" in said


def test_a_percentage_out_of_range_is_refused_by_the_configuration(tmp_path):
    folder = cohort_config(tmp_path / "cohort", "c.LatePenalty.percent_per_day = 150")
    with pytest.raises(TraitError, match="percent_per_day"):
        plugin(folder)


def test_another_plugin_is_named_in_the_explanation(tmp_path):
    folder = cohort_config(
        tmp_path / "cohort",
        "c.AssignLatePenalties.plugin_class = 'nbgrader.plugins.LateSubmissionPlugin'",
    )
    assert "as the late-submission plugin set by" in penalty_explanation(folder)
    assert "LateSubmissionPlugin" in penalty_explanation(folder)
