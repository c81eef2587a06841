"""A tutor's whole journey, end to end, as the README's tutor section tells it: from an empty folder,
with relative paths, through the real commands (``course cohort ...`` and ``course results``, in
this process), nbgrader's exchange and the served dashboard in Chromium.

The cohort: ``ana`` takes the best option everywhere and submits late; ``ben`` takes the worst and is
on time thanks to an extension; ``cat`` mixes and submits after the first collect, late; ``dev`` never
submits; ``g.wilson``, not on the roster, submits too. Reflections are unmarked at first (feedback is
refused), then marked: one in the dashboard's marking view in the browser, the rest by the function
that view calls. Every status and figure is checked against values computed here from the answers
the trainees saved, the course's scenarios and the cohort's late penalty setting.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import random
import re
from datetime import date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from course.cli import main
from course.cohort.marking import save_mark
from course.documents import Answers
from course.grading.gradebook import open_gradebook
from course.play.answers import save_answers
from course.play.exchange import submit_module
from course.scenario.validate import max_points

from .cohort.conftest import fetch
from .cohort.test_dashboard import dashboard_server
from .conftest import NbgraderCourse, axe_violations, best_option, choices_of, walk_model

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MODULE = "09-keeping-up-to-date"
COHORT = Path("cohorts") / "autumn"  # relative, as the README writes it
ROSTER = {"ana": ("Ana", "Best"), "ben": ("Ben", "Worst"), "cat": ("Cat", "Mixed"), "dev": ("Dev", "Absent")}
STRANGER = "g.wilson"
PERCENT = 10  # the late penalty the cohort sets, as the README shows: c.LatePenalty.percent_per_day
YESTERDAY, TOMORROW = date.today() - timedelta(days=1), date.today() + timedelta(days=1)


def cli(*args: str) -> tuple[int, str]:
    """``course ARGS`` in this process (the working folder is the tutor's); status and output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(args))
    return status, out.getvalue()


def cohort(verb: str, *args: str) -> tuple[int, str]:
    return cli("cohort", "--course-dir", str(COHORT), verb, *args)


def line_of(output: str, trainee: str) -> str:
    (line,) = [line for line in output.splitlines() if line.split()[:1] == [trainee]]
    return line


class Trainees:
    """What each trainee answered, and what it is worth by the course's own scenarios."""

    def __init__(self, course) -> None:
        self.items = list(course.module(MODULE).items)
        self.title = course.module(MODULE).module.title
        self.answered: dict[str, dict[str, list[dict[str, str]]]] = {}
        self.marks: dict[tuple[str, str], float] = {}

    def play(self, nbc: NbgraderCourse, trainee: str, pick) -> None:
        home = nbc.trainee_home(trainee)
        fetch(home, MODULE)
        self.answered[trainee] = {}
        for item in self.items:
            choices = choices_of(walk_model(item, pick))
            save_answers(home / MODULE, Answers(item.id, choices, f"What {trainee} learnt from {item.id}."))
            self.answered[trainee][item.id] = choices
        submit_module(home / MODULE, trainee)

    def reflective(self) -> dict[str, int]:
        return {i.id: i.reflection.points for i in self.items if i.reflection and i.reflection.points}

    def decisions(self, trainee: str, scenario: str) -> int:
        item = next(i for i in self.items if i.id == scenario)
        steps = {s.id: s for s in item.steps}
        chosen = self.answered[trainee][scenario]
        return sum(next(o.points for o in steps[c["step"]].options if o.id == c["option"]) for c in chosen)

    def notebook_score(self, trainee: str, scenario: str) -> float:
        return self.decisions(trainee, scenario) + self.marks.get((trainee, scenario), 0.0)

    def raw(self, trainee: str) -> float:
        return sum(self.notebook_score(trainee, item.id) for item in self.items)

    def maximum(self) -> int:
        return sum(max_points(item) for item in self.items) + sum(self.reflective().values())


def worst_option(step):
    return min(step.options, key=lambda o: o.points)


def penalty(trainees: Trainees, trainee: str, submitted: datetime, due: datetime) -> float:
    """The cohort's setting applied by hand: PERCENT of each notebook's score per day or part day late."""
    days = max(0, math.ceil((submitted - due).total_seconds() / 86400))
    return sum(
        min(
            trainees.notebook_score(trainee, i.id),
            trainees.notebook_score(trainee, i.id) * PERCENT / 100 * days,
        )
        for i in trainees.items
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def recipient(mail: Path) -> str:
    """The one address an .eml file the outbox holds is to."""
    (address,) = BytesParser(policy=policy.default).parsebytes(mail.read_bytes())["To"].addresses
    return address.addr_spec


def submitted_at(root: Path, trainee: str) -> tuple[datetime, datetime]:
    with open_gradebook(root) as gb:
        submission = gb.find_submission(MODULE, trainee)
        return submission.timestamp, gb.find_assignment(MODULE).duedate


def test_a_tutor_runs_a_cohort_from_an_empty_folder_to_the_exports(tmp_path, course, browser, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trainees = Trainees(course)
    rng = random.Random(20261129)

    # --- A cohort from nothing, relative paths throughout -------------------------------------
    status, out = cli("cohort", "new", str(COHORT))
    assert status == 0, out
    root = (tmp_path / COHORT).resolve()
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(f"\nc.LatePenalty.percent_per_day = {PERCENT}\n")
    nbc = NbgraderCourse(root, root / "exchange", tmp_path / "homes")
    Path("trainees.csv").write_text(
        "id,first_name,last_name,email\n"
        + "".join(f"{t},{first},{last},{t}@example.org\n" for t, (first, last) in ROSTER.items()),
        encoding="utf-8",
    )
    status, out = cohort("roster", "trainees.csv")
    assert status == 0 and f"{len(ROSTER)} added" in out, out
    status, out = cohort("release", MODULE, "--due", YESTERDAY.isoformat())
    assert status == 0 and f"the due date {YESTERDAY.isoformat()} is in the past" in out, out
    status, out = cli(
        "cohort", "extend", MODULE, "ben", "--until", TOMORROW.isoformat(), "--course-dir", str(COHORT)
    )
    assert status == 0, out

    # --- Trainees: two now, a stranger; cat after the first collect; dev never ------------------
    trainees.play(nbc, "ana", best_option)
    trainees.play(nbc, "ben", worst_option)
    stranger = nbc.trainee_home(STRANGER)
    fetch(stranger, MODULE)
    submit_module(stranger / MODULE, STRANGER)

    status, out = cohort("collect")
    assert status == 0, out
    assert re.search(rf"{re.escape(STRANGER)}.*not on the cohort's roster", out), out
    assert f"{MODULE}: 2 of {len(ROSTER)} trainee(s) submitted (1 late), 2 not submitted" in out
    assert "late by" in line_of(out, "ana") and "Ana Best" in line_of(out, "ana")
    assert "on time, extended to" in line_of(out, "ben")
    assert line_of(out, "cat").endswith("not submitted") and line_of(out, "dev").endswith("not submitted")
    assert STRANGER not in [line.split()[0] for line in out.splitlines() if line.startswith("  ")]

    status, out = cohort("autograde")
    assert status == 0 and "autograded 2 new submission(s)" in out, out
    points = sum(trainees.reflective().values())
    for trainee in ("ana", "ben"):  # the table says what waits for the tutor
        n = len(trainees.reflective())
        assert f"awaiting marking: {n} reflections ({points} points)" in line_of(out, trainee), out
    assert line_of(out, "dev").endswith("not submitted")

    # --- Results before marking: every written reflection awaits marking ------------------------
    reflective = trainees.reflective()
    status, out = cli("results", "--course-dir", str(COHORT), "--csv", "results.csv")
    assert status == 0, out
    (absent,) = [line for line in out.splitlines() if line.startswith("no submission collected from")]
    assert absent.startswith("no submission collected from 2 trainee(s) on the roster: ")
    assert "cat (Cat Mixed)" in absent and "dev (Dev Absent)" in absent and "ana" not in absent
    results = {(r["student"], r["scenario"]): r for r in read_csv(Path("results.csv"))}
    assert {s for s, _ in results} == {"ana", "ben"}  # the stranger was never graded
    for (trainee, scenario), row in results.items():
        want = "awaiting-marking" if scenario in reflective else "graded"
        assert row["status"] == want, (trainee, scenario)
        assert float(row["score"]) == trainees.decisions(trainee, scenario), (trainee, scenario)
    waiting = 2 * len(reflective)
    status, out = cohort("feedback")
    assert status == 1 and f"{waiting} reflection(s) of 2 trainee(s) are not marked yet" in out, out

    # --- cat submits late; only the new submission is graded -----------------------------------
    trainees.play(nbc, "cat", lambda step: rng.choice(step.options))
    status, out = cohort("collect")
    assert "late by" in line_of(out, "cat"), out
    status, out = cohort("autograde")
    assert status == 0 and "autograded 1 new submission(s)" in out and "2 graded already" in out, out

    # --- Marking: one reflection in the browser, the rest by the same function --------------------
    first = next(iter(reflective))
    full = reflective[first]
    with dashboard_server(root) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{url}/")
        page.get_by_label("View", exact=True).select_option(label="Mark reflections")
        page.get_by_label("Module", exact=True).select_option(label=trainees.title)
        page.get_by_label("Mark for ana", exact=False).wait_for(timeout=90_000)
        page.get_by_label("Mark for ana", exact=False).fill(str(full))
        page.get_by_label("Comment for ana").fill("Clear and specific.")
        page.get_by_role("button", name="Save mark for ana").click()
        page.get_by_role("status").filter(has_text="Saved:").wait_for(timeout=30_000)
        assert axe_violations(page) == []
        trainees.marks[("ana", first)] = full

        # One trainee's page: cat's choices and lateness, opened from the overview's table.
        page.get_by_label("View", exact=True).select_option(label="Cohort overview")
        link = page.get_by_role("link", name="cat", exact=True)
        assert link.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline"  # looks like one
        link.click()
        page.get_by_role("heading", name="One trainee").wait_for(timeout=90_000)
        assert "trainee=cat" in page.url
        text = page.inner_text("body")
        assert "Cat Mixed" in text and "late" in text
        page.close()
    for trainee, mark in (("ana", None), ("ben", 0), ("cat", 1)):
        for scenario, points in reflective.items():
            if (trainee, scenario) in trainees.marks:
                continue
            given = points if mark is None else min(mark, points)
            save_mark(root, MODULE, scenario, trainee, given, "")
            trainees.marks[(trainee, scenario)] = given

    # --- After marking: graded, feedback released, notifications ----------------------------------
    status, out = cli("results", "--course-dir", str(COHORT), "--csv", "results.csv")
    results = read_csv(Path("results.csv"))
    assert {r["status"] for r in results} == {"graded"}, out
    for row in results:
        assert float(row["score"]) == trainees.notebook_score(row["student"], row["scenario"]), row
    status, out = cohort("feedback")
    assert status == 0 and "released to 3 trainee(s)" in out, out
    for trainee in ("ana", "ben", "cat"):
        assert line_of(out, trainee).endswith("graded  released"), out
    assert line_of(out, "dev").endswith("not submitted")
    status, out = cohort("notify", "feedback", MODULE)
    assert status == 0, out
    mails = sorted((root / "outbox").glob("feedback-*/*.eml"))
    assert sorted(recipient(m) for m in mails) == ["ana@example.org", "ben@example.org", "cat@example.org"]
    status, out = cohort("notify", "reminder", MODULE)
    reminders = sorted((root / "outbox").glob("reminder-*/*.eml"))
    assert [recipient(m) for m in reminders] == ["dev@example.org"], out

    # --- Exports: every figure from the answers, the marks and the penalty setting ---------------
    status, out = cohort("export")
    assert status == 0 and "awaiting marking" not in out, out
    grades = {r["student_id"]: r for r in read_csv(root / "exports" / "grades.csv")}
    assert set(grades) == set(ROSTER)
    expected_final = {}
    for trainee in ("ana", "ben", "cat"):
        when, due = submitted_at(root, trainee)
        own_due = (
            datetime.combine(TOMORROW, datetime.max.time()).replace(microsecond=0)
            if trainee == "ben"
            else due
        )
        taken = penalty(trainees, trainee, when, own_due)
        row = grades[trainee]
        assert row["status"] == "graded" and row["unmarked_reflections"] == "0", row
        assert float(row["raw_score"]) == pytest.approx(trainees.raw(trainee)), trainee
        assert float(row["late_submission_penalty"]) == pytest.approx(taken), trainee
        assert float(row["score"]) == pytest.approx(trainees.raw(trainee) - taken), trainee
        expected_final[trainee] = trainees.raw(trainee) - taken
    assert grades["ben"]["late_submission_penalty"] in ("0.0", "0")
    assert grades["dev"]["status"] == "not-submitted"
    moodle = {r["ID number"]: r for r in read_csv(root / "exports" / "gradebook-moodle.csv")}
    column = next(c for c in next(iter(moodle.values())) if c.startswith(trainees.title))
    for trainee, final in expected_final.items():
        assert float(moodle[trainee][column]) == pytest.approx(final), trainee
    assert moodle["dev"][column] == ""

    # --- Report: by name, the most in need first, nothing provisional ------------------------------
    status, out = cohort("report")
    assert status == 0 and "provisional" not in out, out
    assert "at risk: dev (Dev Absent): nothing submitted" in out
    maximum = trainees.maximum()
    for trainee in ("ana", "ben", "cat"):
        share = trainees.raw(trainee) / maximum
        said = f"at risk: {trainee} ({' '.join(ROSTER[trainee])})"
        assert (said in out) == (share < 0.6), (trainee, share, out)
    status, out = cohort("trainee", "cat")
    assert status == 0 and "Cat Mixed" in out and "late" in out, out
