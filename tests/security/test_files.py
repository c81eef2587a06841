"""No file a trainee submits ever runs: not beside the notebooks, not named like a module the
grader or a kernel would import, not put straight into the tutor's submitted folder."""

from __future__ import annotations

import os

import pytest

from course.grading.results import grading_results

from ..conftest import graded_status
from .conftest import (
    BYPASS,
    HONEST,
    MODULE,
    PACKAGE,
    SHADOW_NAMES,
    SHADOWS,
    assert_only_the_first_item_flagged,
    decisions,
    worst_points,
)

pytestmark = pytest.mark.slow
# What the course puts in an autograded folder, by name pattern.
EXPECTED_SUFFIXES = (".ipynb", ".answers.json", ".verdict.json", ".scenario.json")
EXPECTED_NAMES = {
    "module.json",
    "reading.json",
    "timestamp.txt",
    "submission_secret.txt",
    "course-collect.json",
}


def test_no_trainee_code_ran_and_the_grading_commands_succeeded(attacked_cohort):
    cohort = attacked_cohort
    assert sorted(p.name for p in cohort.markers.iterdir()) == []
    for step in ("collect", "autograde", "generate_feedback", "release_feedback"):
        assert cohort.outputs[step].returncode == 0, cohort.outputs[step].stderr[-3000:]
    # Graded without a kernel: nbgrader's Execute step never started one.
    assert "Executing notebook with kernel" not in cohort.outputs["autograde"].stderr


@pytest.mark.parametrize("trainee", [PACKAGE, BYPASS])
def test_a_course_package_in_the_submission_is_never_imported(attacked_cohort, trainee):
    """Its fake grader would give 999 points; the trainee's real (worst) choices are graded."""
    cohort = attacked_cohort
    got = decisions(cohort, trainee)
    assert got == {scn.id: worst_points(cohort, scn) for scn in cohort.items}
    results = grading_results(cohort.root).set_index(["student", "scenario"])
    for scn in cohort.items:  # graded, never flagged: written reflections await the tutor's mark
        assert results.loc[(trainee, scn.id), "status"] == graded_status(scn, "Reflection."), scn.id
    graded = cohort.root / "autograded" / trainee / MODULE
    assert not (graded / "course").exists()


def test_what_collect_leaves_out_is_listed_for_the_tutor(attacked_cohort):
    output = attacked_cohort.outputs["collect"].stderr
    assert f"Left out of {PACKAGE}'s submission" in output and "course/" in output
    listed = next(line for line in output.splitlines() if f"Left out of {SHADOWS}'s" in line)
    assert all(name in listed for name in (*SHADOW_NAMES, "IPython/"))
    submitted = attacked_cohort.root / "submitted"
    assert not (submitted / PACKAGE / MODULE / "course").exists()
    assert not any((submitted / SHADOWS / MODULE / name).exists() for name in SHADOW_NAMES)


def test_answers_written_as_code_score_zero_on_that_item_only(attacked_cohort):
    assert_only_the_first_item_flagged(attacked_cohort, SHADOWS, "not valid JSON")


def test_only_what_the_course_grades_is_in_any_grading_folder(attacked_cohort):
    """Whatever reached submitted/ (even put there by hand), the autograded folders hold only
    the course's own files, and no link."""
    for trainee_dir in (attacked_cohort.root / "autograded").iterdir():
        for dirpath, dirnames, filenames in os.walk(trainee_dir / MODULE):
            assert dirnames == [], (dirpath, dirnames)
            for name in filenames:
                assert not os.path.islink(os.path.join(dirpath, name))
                assert name.endswith(EXPECTED_SUFFIXES) or name in EXPECTED_NAMES, (trainee_dir.name, name)
    for tree in ("submitted", "autograded", "feedback"):
        for dirpath, dirnames, filenames in os.walk(attacked_cohort.root / tree):
            for name in dirnames + filenames:
                if os.path.islink(os.path.join(dirpath, name)):
                    assert tree == "submitted" and BYPASS in dirpath, os.path.join(dirpath, name)


def test_honest_trainees_are_graded_exactly_as_without_attackers(attacked_cohort, honest_cohort):
    honest = {k: v for k, v in honest_cohort.gradebook.items() if k[0] in HONEST}
    assert len(honest) > len(HONEST) * len(honest_cohort.items)  # every grade cell, not nothing
    assert {k: v for k, v in attacked_cohort.gradebook.items() if k[0] in HONEST} == honest
    # ...and as the model says.
    for trainee in HONEST:
        for scn in honest_cohort.items:
            steps = {s.id: s for s in scn.steps}
            points = sum(
                o.points
                for c in honest_cohort.answered[(trainee, scn.id)]
                for o in steps[c["step"]].options
                if o.id == c["option"]
            )
            assert honest[(trainee, scn.id, "decisions")][0] == points
