"""Per-trainee extensions and the late penalty, on a real cohort through the tutors' commands.

The module is due three days ago; the cohort takes the README's late penalty setting. ``ext`` has an
extension to the day after tomorrow (on time, no penalty), ``part`` one to yesterday (late, by less),
``late`` none (late by the module's due date); ``absent`` has one and never submits. Every penalty
expected is computed here from the gradebook's scores and the submission times.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from course.cohort.marking import save_mark
from course.documents import Answers
from course.grading.extensions import RECORD, end_of_day, said
from course.grading.gradebook import open_gradebook
from course.paths import REPO
from course.play.answers import save_answers
from course.play.exchange import submit_module

from ..conftest import NbgraderCourse, best_path, make_nbgrader_course
from .conftest import cohort_cli, fetch

pytestmark = pytest.mark.slow  # nbgrader releases, collects and autogrades
MODULE = "09-keeping-up-to-date"
TODAY = date.today()
DUE = TODAY - timedelta(days=3)
UNTIL = {
    "ext": TODAY + timedelta(days=2),
    "part": TODAY - timedelta(days=1),
    "absent": TODAY + timedelta(days=5),
}
TRAINEES = ["ext", "part", "late", "absent"]
SUBMITTERS = ["ext", "part", "late"]


def readme_setting() -> tuple[str, float]:
    """The late penalty line the README's tutor section tells a cohort to add, and its percentage."""
    found = re.search(
        r"^\s*(c\.LatePenalty\.percent_per_day = (\d+(?:\.\d+)?))$", (REPO / "README.md").read_text(), re.M
    )
    assert found, "the README shows how a cohort sets its late penalty"
    return found.group(1), float(found.group(2))


@dataclass
class Cohort:
    nbc: NbgraderCourse
    percent: float
    outputs: dict[str, tuple[int, str]]

    @property
    def root(self) -> Path:
        return self.nbc.root


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, course) -> Cohort:
    tmp = tmp_path_factory.mktemp("extensions")
    nbc = make_nbgrader_course(tmp, course)
    line, percent = readme_setting()
    with (nbc.root / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(f"\n{line}\n")
    roster = tmp / "roster.csv"
    roster.write_text(
        "id,first_name,last_name,email\n" + "".join(f"{t},A,{t.title()},{t}@x.org\n" for t in TRAINEES)
    )
    outputs = {"roster": cohort_cli(nbc.root, "roster", str(roster))}
    outputs["release"] = cohort_cli(nbc.root, "release", MODULE, "--due", DUE.isoformat())
    # Extensions are granted before anyone submits: nbgrader has no submission row for them yet.
    for trainee, until in UNTIL.items():
        outputs[f"extend {trainee}"] = cohort_cli(
            nbc.root, "extend", MODULE, trainee, "--until", until.isoformat()
        )
    content = course.module(MODULE)
    for trainee in SUBMITTERS:
        home = nbc.trainee_home(trainee)
        fetch(home, MODULE)
        for item in content.items:
            save_answers(home / MODULE, Answers(item.id, best_path(item), f"Reflection by {trainee}."))
        submit_module(home / MODULE, trainee)
    for verb in ("collect", "autograde", "export"):
        outputs[verb] = cohort_cli(nbc.root, verb)
    return Cohort(nbc, percent, outputs)


def submission(root: Path, trainee: str) -> dict:
    """The trainee's submission as nbgrader's gradebook holds it."""
    with open_gradebook(root) as gb:
        sub = gb.find_submission(MODULE, trainee)
        return {
            "timestamp": sub.timestamp,
            "duedate": sub.duedate,
            "extension": sub.extension,
            "seconds_late": sub.total_seconds_late,
            "penalty": sub.late_submission_penalty,
            "notebooks": [(nb.name, nb.score, nb.late_submission_penalty) for nb in sub.notebooks],
        }


def expected_penalty(notebooks: list, seconds_late: float, percent: float) -> float:
    """The setting applied by hand: the percentage of each notebook's score per day or part day late."""
    days = math.ceil(seconds_late / 86400)
    return sum(min(score, score * percent / 100 * days) for _, score, _ in notebooks)


def status_line(output: str, trainee: str) -> str:
    (line,) = [line for line in output.splitlines() if line.split()[:1] == [trainee]]
    return line


def test_extensions_are_recorded_before_anyone_submits(cohort):
    for trainee, until in UNTIL.items():
        status, out = cohort.outputs[f"extend {trainee}"]
        assert status == 0, out
        assert f"due {said(end_of_day(until))} instead of {said(end_of_day(DUE))}" in out
        assert "autograde gives it to nbgrader" in out
    record = json.loads((cohort.root / RECORD).read_text())
    assert record == {MODULE: {t: d.isoformat() for t, d in sorted(UNTIL.items())}}


def test_collect_judges_each_trainee_by_their_own_due_date(cohort):
    status, out = cohort.outputs["collect"]
    assert status == 0, out
    assert f"{len(SUBMITTERS)} of {len(TRAINEES)} trainee(s) submitted (2 late), 1 not submitted" in out
    assert f"on time, extended to {said(end_of_day(UNTIL['ext']))}" in status_line(out, "ext")
    part = status_line(out, "part")
    assert "late by" in part and f"extended to {said(end_of_day(UNTIL['part']))}" in part
    assert "late by" in status_line(out, "late") and "extended" not in status_line(out, "late")
    absent = status_line(out, "absent")
    assert "not submitted" in absent and f"extended to {said(end_of_day(UNTIL['absent']))}" in absent


def test_autograde_grants_the_extension_and_nbgrader_computes_the_penalty_from_it(cohort):
    status, out = cohort.outputs["autograde"]
    assert status == 0, out
    ext, part, late = (submission(cohort.root, t) for t in SUBMITTERS)
    # nbgrader's own due date for the trainee includes the extension.
    assert ext["duedate"] == end_of_day(UNTIL["ext"]) and ext["seconds_late"] == 0
    assert ext["penalty"] == 0
    assert part["duedate"] == end_of_day(UNTIL["part"]) and late["duedate"] == end_of_day(DUE)
    for sub in (part, late):
        assert sub["seconds_late"] == (sub["timestamp"] - sub["duedate"]).total_seconds() > 0
        want = expected_penalty(sub["notebooks"], sub["seconds_late"], cohort.percent)
        assert want > 0 and sub["penalty"] == pytest.approx(want)
    # The extension to yesterday leaves fewer days late than none, so a smaller penalty.
    assert part["penalty"] < expected_penalty(
        part["notebooks"], (part["timestamp"] - end_of_day(DUE)).total_seconds(), cohort.percent
    )


def test_the_export_carries_the_penalty_and_explains_it(cohort):
    status, out = cohort.outputs["export"]
    assert status == 0, out
    assert (
        f"late_submission_penalty: points taken off for lateness ({cohort.percent:g}% of the score per day"
        in out
    )
    assert "score = raw_score - late_submission_penalty" in out
    for trainee, until in UNTIL.items():  # the extensions behind the penalties, named
        assert f"{trainee} on {MODULE} to {until:%-d %B %Y}" in out
    with (cohort.root / "exports" / "grades.csv").open(encoding="utf-8-sig") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh) if row["assignment"] == MODULE}
    for trainee in SUBMITTERS:
        sub, row = submission(cohort.root, trainee), rows[trainee]
        assert float(row["late_submission_penalty"]) == pytest.approx(sub["penalty"])
        assert float(row["score"]) == pytest.approx(float(row["raw_score"]) - sub["penalty"])
    assert float(rows["late"]["late_submission_penalty"]) > 0


def test_an_extension_on_a_graded_submission_applies_at_once_and_can_be_removed(cohort):
    before = submission(cohort.root, "late")
    until = TODAY + timedelta(days=1)
    status, out = cohort_cli(cohort.root, "extend", MODULE, "late", "--until", until.isoformat())
    assert status == 0, out
    now = submission(cohort.root, "late")
    assert now["duedate"] == end_of_day(until) and now["penalty"] == 0
    assert "late penalty was recomputed: 0 point(s)" in out
    assert "on time, extended to" in status_line(cohort_cli(cohort.root, "collect")[1], "late")

    status, out = cohort_cli(cohort.root, "extend", MODULE, "late", "--remove", after=True)
    assert status == 0 and "extension on" in out and "removed" in out, out
    after = submission(cohort.root, "late")
    assert after["extension"] is None and after["duedate"] == end_of_day(DUE)
    assert after["penalty"] == pytest.approx(before["penalty"]) and after["penalty"] > 0
    assert f"{after['penalty']:g} point(s)" in out
    assert "late" not in json.loads((cohort.root / RECORD).read_text())[MODULE]
    line = status_line(cohort_cli(cohort.root, "collect")[1], "late")
    assert "late by" in line and "extended" not in line
    # ...and a re-grade of that trainee keeps what the record says.
    assert cohort_cli(cohort.root, "autograde", "--student", "late")[0] == 0
    assert submission(cohort.root, "late")["penalty"] == pytest.approx(before["penalty"])


@pytest.mark.parametrize(
    ("args", "said_"),
    [
        ((MODULE, "stranger", "--until", "2099-01-01"), "'stranger' is not on the cohort's roster"),
        (("01-public-and-permanent", "ext", "--until", "2099-01-01"), "is not released to this cohort"),
        ((MODULE, "ext", "--until", "2099-13-01"), "'2099-13-01' is not a date written YYYY-MM-DD"),
        ((MODULE, "ext", "--until", (DUE - timedelta(days=1)).isoformat()), "is not after"),
        ((MODULE, "late", "--remove"), "late has no extension on"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_change_nothing(cohort, args, said_):
    record = (cohort.root / RECORD).read_bytes()
    before = {t: submission(cohort.root, t) for t in SUBMITTERS}
    status, out = cohort_cli(cohort.root, "extend", *args)
    assert status == 1 and said_ in out and "nothing was changed" in out, out
    assert (cohort.root / RECORD).read_bytes() == record
    assert {t: submission(cohort.root, t) for t in SUBMITTERS} == before


def test_extend_needs_a_day_or_remove(cohort):
    record = (cohort.root / RECORD).read_bytes()
    with pytest.raises(SystemExit):  # argparse: one of --until and --remove is required
        cohort_cli(cohort.root, "extend", MODULE, "ext")
    assert (cohort.root / RECORD).read_bytes() == record


def test_the_report_flags_overdue_by_each_trainees_own_due_date(cohort):
    from course.cohort.report import cohort_report

    def overdue(today: date) -> tuple[bool, str]:
        row = cohort_report(cohort.root, today=today).summary.set_index("student").loc["absent"]
        return bool(row["overdue"]), row["reasons"]

    # Past the module's due date but within the extension: not overdue.
    flagged, reasons = overdue(UNTIL["absent"])
    assert not flagged and "overdue" not in reasons
    flagged, reasons = overdue(UNTIL["absent"] + timedelta(days=1))
    assert flagged and f"overdue: {MODULE} (due {UNTIL['absent'].isoformat()})" in reasons


def test_a_new_due_date_for_the_module_moves_graded_penalties_and_extensions(cohort):
    before = {t: submission(cohort.root, t) for t in SUBMITTERS}
    later = TODAY + timedelta(days=3)  # after ext's extension: everyone is on time
    status, out = cohort_cli(cohort.root, "release", MODULE, "--due", later.isoformat())
    assert status == 0 and f"late penalties of {len(SUBMITTERS)} graded submission(s) recomputed" in out, out
    moved = {t: submission(cohort.root, t) for t in SUBMITTERS}
    for trainee in SUBMITTERS:
        assert moved[trainee]["duedate"] == end_of_day(later) and moved[trainee]["penalty"] == 0
    # Back to the first due date: each trainee's extension and penalty as they were.
    assert cohort_cli(cohort.root, "release", MODULE, "--due", DUE.isoformat())[0] == 0
    for trainee in SUBMITTERS:
        back = submission(cohort.root, trainee)
        assert back["duedate"] == before[trainee]["duedate"]
        assert back["penalty"] == pytest.approx(before[trainee]["penalty"])


def test_a_mark_given_after_autograde_moves_the_late_penalty_with_the_score(cohort, course):
    """The penalty is a share of the score: marking a late trainee's reflection (as the dashboard's
    marking view saves it) recomputes it at once from the new score."""
    scenario = next(
        item.id for item in course.module(MODULE).items if item.reflection and item.reflection.points
    )
    before = submission(cohort.root, "late")
    save_mark(cohort.root, MODULE, scenario, "late", 1, "Thoughtful.")
    after = submission(cohort.root, "late")
    marked = dict((name, score) for name, score, _ in after["notebooks"])
    assert marked[scenario] == dict((n, s) for n, s, _ in before["notebooks"])[scenario] + 1
    assert after["penalty"] == pytest.approx(
        expected_penalty(after["notebooks"], after["seconds_late"], cohort.percent)
    )
    assert after["penalty"] > before["penalty"]  # more points, so more taken off for lateness


def test_a_damaged_record_of_extensions_is_named_and_stops_nothing_silently(cohort):
    """extensions.json edited by hand and broken: every verb that judges lateness says which file
    and what to do (exit status 2), with no traceback, and leaves the file as it is."""
    record = cohort.root / RECORD
    kept = record.read_bytes()
    try:
        record.write_text('{"09-keeping-up-to-date": {"late": "next Tuesday"}', encoding="utf-8")
        for verb in ("collect", "report", "export"):
            status, out = cohort_cli(cohort.root, verb)
            assert status == 2, (verb, out)
            assert f"{record.name} is not a readable record of extensions" in out and "Fix the file" in out
            assert "Traceback" not in out, verb
        assert record.read_text(encoding="utf-8").endswith('"next Tuesday"}')
    finally:
        record.write_bytes(kept)
