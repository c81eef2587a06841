"""The cohort cycle on the synthetic cohort: every verb ran, failures are reported with their
reason and stop nobody else, parallel autograde writes the same gradebook as a sequential run."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from course.cohort import cycle
from course.grading.results import grading_results

from .conftest import FAILING, MODULE, NEVER_SUBMIT, TAMPERED, cohort_cli


@pytest.mark.slow
def test_every_verb_of_the_cycle_ran(synthetic_cohort):
    cohort = synthetic_cohort
    for verb in ("roster", "release", "collect", "feedback", "export", "report"):
        status, output = cohort.outputs[verb]
        assert status == 0, (verb, output)
    assert "32 added" in cohort.outputs["roster"][1]
    assert cycle.submitted_students(cohort.root, MODULE) == cohort.submitters


@pytest.mark.slow
def test_collect_lists_every_trainee_with_when_they_submitted_and_whether_late(synthetic_cohort):
    """Due a week ago (end of that day), submitted now: every submitter is late by six days and
    some hours; the trainees who never submitted are listed as such, by name."""
    cohort = synthetic_cohort
    output = cohort.outputs["collect"][1]
    submitters, absent = cohort.submitters, [t["id"] for t in cohort.roster if t["id"] in NEVER_SUBMIT]
    assert (
        f"{MODULE}: {len(submitters)} of {len(cohort.roster)} trainee(s) submitted ({len(submitters)} late), "
        f"{len(absent)} not submitted"
    ) in output
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("  t")}
    assert set(lines) == {t["id"] for t in cohort.roster}  # everyone on the roster, nobody else
    for trainee in cohort.roster:
        line = lines[trainee["id"]]
        assert f"{trainee['first_name']} {trainee['last_name']}" in line
        if trainee["id"] in NEVER_SUBMIT:
            assert line.rstrip().endswith("not submitted")
        else:
            assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d  late by 6 days( \d+ h)?$", line), line


@pytest.mark.slow
def test_feedback_with_reflections_unmarked_asks_first_and_says_how_many(synthetic_cohort, course):
    """Every graded submission's written reflection waits for a tutor's mark (the failed grading
    has none in the gradebook): feedback says how many, for how many trainees, and releases
    nothing until asked again with --anyway."""
    cohort = synthetic_cohort
    reflective = {
        item.id for item in course.module(MODULE).items if item.reflection and item.reflection.points
    }
    waiting = {(t, s) for t, s in cohort.answered if s in reflective and t != FAILING}
    trainees = {t for t, _ in waiting}
    status, output = cohort.outputs["feedback refused"]
    assert status == 1, output
    assert f"{len(waiting)} reflection(s) of {len(trainees)} trainee(s) are not marked yet" in output
    assert "--anyway" in output and "Nothing was released." in output
    assert cohort.outputs["feedback"][0] == 0  # released when asked


@pytest.mark.slow
def test_reflections_awaiting_marking_are_said_so_wherever_a_grade_appears(synthetic_cohort, course):
    """No reflection is marked in the synthetic cohort: each written one is awaiting marking in
    the results, the grades export (never 'graded'), the Moodle gradebook (left blank), the
    report's summary (percentages of what is marked) and the trainee's feedback page (never a
    score of 0 for it); counts computed from the answers the trainees saved."""
    cohort = synthetic_cohort
    reflective = {
        item.id: item.reflection.points
        for item in course.module(MODULE).items
        if item.reflection and item.reflection.points
    }
    graded = set(cohort.submitters) - {FAILING}
    waiting = {(t, s) for t, s in cohort.answered if s in reflective and t in graded}
    per_trainee = {t: sum(1 for w, _ in waiting if w == t) for t in graded}

    results = grading_results(cohort.root)
    awaiting = results[results["status"] == "awaiting-marking"]
    assert set(zip(awaiting["student"], awaiting["scenario"], strict=True)) == waiting
    assert set(awaiting["unmarked_points"]) <= set(map(float, reflective.values()))
    assert all("awaiting marking" in reason for reason in awaiting["reasons"])

    grades = pd.read_csv(cohort.root / "exports" / "grades.csv", encoding="utf-8-sig", dtype=str)
    grades = grades.set_index("student_id")
    for trainee, count in per_trainee.items():
        want = "awaiting-marking" if count else "graded"
        assert grades.loc[trainee, "status"] == want, trainee
        assert int(grades.loc[trainee, "unmarked_reflections"]) == count
    assert "graded" not in set(grades.loc[[t for t, c in per_trainee.items() if c], "status"])

    report, total = cohort.outputs["report"][1], len(waiting)
    trainees = sum(1 for count in per_trainee.values() if count)
    assert f"provisional: {total} reflection(s) of {trainees} trainee(s) awaiting marking" in report
    assert f"{total} reflection(s) of {trainees} trainee(s) awaiting marking" in cohort.outputs["export"][1]

    pages = 0
    for trainee, scenario in waiting:
        page = (cohort.root / "feedback" / trainee / MODULE / f"{scenario}.html").read_text(encoding="utf-8")
        points = reflective[scenario]
        assert f"awaiting your tutor's mark, out of {float(points)}" in page, (trainee, scenario)
        assert "Score so far:" in page and "Provisional:" in page
        for jargon in ("Student's answer", "Test cell", "Out[", "Written response (Score"):
            assert jargon not in page, (trainee, scenario, jargon)
        pages += 1
    assert pages == total > 0


@pytest.mark.slow
def test_autograde_grades_only_what_is_new_unless_asked(synthetic_cohort):
    """Run again after the cohort's autograde: only the submission whose grading failed (so it has
    no graded copy) is graded again; the others are counted as graded already, untouched."""
    cohort = synthetic_cohort
    graded = {
        s: (cohort.root / "autograded" / s / MODULE).stat().st_mtime_ns
        for s in cohort.submitters
        if s != FAILING
    }
    status, output = cohort_cli(cohort.root, "autograde", "--workers", "1")
    assert f"autograded 1 new submission(s) with 1 worker(s); {len(graded)} graded already" in output, output
    assert f"autograde {MODULE} {FAILING}: FAILED" in output and status == 1  # still broken, still said
    assert {s: (cohort.root / "autograded" / s / MODULE).stat().st_mtime_ns for s in graded} == graded
    assert "SAWarning" not in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (1, "late by 1 min"),
        (125, "late by 2 h 5 min"),
        (24 * 60, "late by 1 day"),
        (3 * 1440 + 120, "late by 3 days 2 h"),
    ],
)
def test_lateness_is_said_in_the_largest_units_that_say_it(minutes, said):
    from datetime import datetime, timedelta

    from course.cohort.submissions import late_by

    due = datetime(2026, 12, 15, 23, 59, 59)
    assert late_by(due + timedelta(minutes=minutes), due) == said


@pytest.mark.slow
def test_parallel_autograde_writes_the_same_gradebook_as_a_sequential_run(synthetic_cohort):
    cohort = synthetic_cohort
    assert cohort.sequential_gradebook  # not two empty gradebooks
    assert cohort.parallel_gradebook == cohort.sequential_gradebook
    # nbgrader records the failing trainee's submission too (the notebooks it read before failing).
    assert {student for student, _, _ in cohort.sequential_gradebook} == set(cohort.submitters)


@pytest.mark.slow
def test_a_failing_submission_is_reported_with_its_reason_and_stops_nobody(synthetic_cohort):
    cohort = synthetic_cohort
    assert [r.student for r in cohort.sequential] == cohort.submitters
    failed = [r for r in cohort.sequential if not r.ok]
    assert [r.student for r in failed] == [FAILING]
    assert "NotJSONError" in failed[0].reason and ".ipynb" in failed[0].reason
    status, output = cohort.outputs["autograde"]  # the CLI, in parallel workers
    assert status == 1
    assert re.search(rf"autograde {MODULE} {FAILING}: FAILED - \S+\.ipynb: NotJSONError", output), output
    assert f"{len(cohort.submitters) - 1} of {len(cohort.submitters)} done, 1 FAILED" in output


@pytest.mark.slow
def test_a_tampered_submission_is_graded_flagged_and_named(synthetic_cohort):
    cohort = synthetic_cohort
    (tampered,) = [r for r in cohort.sequential if r.tampered]
    assert tampered.student == TAMPERED and tampered.ok
    assert "answers" in tampered.tampered[0]
    assert f"autograde {MODULE} {TAMPERED}: ok (tampered:" in cohort.outputs["autograde"][1]
    results = grading_results(cohort.root)
    flagged = results[results["status"] == "tampered"]
    assert list(flagged["student"]) == [TAMPERED] and list(flagged["score"]) == [0]


@pytest.mark.slow
def test_feedback_is_released_for_every_graded_trainee_and_loads_nothing_off_the_machine(synthetic_cohort):
    cohort = synthetic_cohort
    released = cohort.nbc.exchange / "mip-social-media" / "feedback"
    pages = sorted(released.glob("*.html"))
    graded = set(cohort.submitters) - {FAILING}
    assert len({p.name for p in pages}) == len(pages)  # one file per (trainee, notebook) hash
    for trainee in graded:
        folder = cohort.root / "feedback" / trainee / MODULE
        html = sorted(folder.glob("*.html"))
        assert html, trainee
        for page in html:
            text = page.read_text(encoding="utf-8")
            assert re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', text) == [], page
    assert not (cohort.root / "feedback" / FAILING).exists()
    assert not any((cohort.root / "feedback" / t).exists() for t in NEVER_SUBMIT)


@pytest.mark.slow
def test_verbs_refuse_modules_the_cohort_does_not_have(synthetic_cohort):
    with pytest.raises(SystemExit, match="not released to this cohort: 01-public-and-permanent"):
        cohort_cli(synthetic_cohort.root, "collect", "01-public-and-permanent")
    with pytest.raises(SystemExit, match="unknown module"):
        cohort_cli(synthetic_cohort.root, "release", "no-such-module")


NBGRADER_FAILURE = {
    "success": False,
    "log": "[INFO] Converting notebook /c/submitted/t1/m/a.ipynb\n"
    "[INFO] Converting notebook /c/submitted/t1/m/b.ipynb\n"
    "[ERROR] There was an error processing assignment: /c/submitted/t1/m\n"
    "[ERROR] Please see the the above traceback for details on the specific errors on the above failures.",
    "error": "Traceback (most recent call last):\n  File x, line 1\n"
    "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'oops'\n\n"
    "nbgrader.converters.base.NbGraderException: Please see the the above traceback for details",
}


def test_a_failure_reason_names_the_notebook_and_the_exception_that_stopped_it():
    assert cycle.failure_reason(NBGRADER_FAILURE) == (
        "b.ipynb: NotJSONError: Notebook does not appear to be JSON: 'oops'"
    )
    no_traceback = {"success": False, "log": "[ERROR] No assignment called 'x' in the gradebook"}
    assert cycle.failure_reason(no_traceback) == "[ERROR] No assignment called 'x' in the gradebook"
    assert cycle.failure_reason({"success": False}) == "nbgrader reported a failure without a message"


def test_step_results_say_what_failed_and_what_was_flagged():
    assert str(cycle.StepResult("autograde", "m", "t1", False, "why")) == "autograde m t1: FAILED - why"
    flagged = cycle.StepResult("autograde", "m", "t2", tampered=("s: answers are code",))
    assert str(flagged) == "autograde m t2: ok (tampered: s: answers are code)"
    assert str(cycle.StepResult("release", "m")) == "release m: ok"
