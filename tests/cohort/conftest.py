"""A synthetic cohort run once through the real pipeline by the tutors' own commands
(``course cohort ...``, in-process) and the trainees' own code (nbgrader's exchange, the app's
answers files and submit): roster, release, fetch, answer, submit, collect, autograde (in this
process and again in parallel workers from the same starting gradebook), feedback, export,
report.

What the trainees did is kept (``SyntheticCohort``) so the tests can compute every figure on
their own and compare it with what the tools report.
"""

from __future__ import annotations

import contextlib
import csv
import io
import random
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory

from course.cli import main
from course.cohort import cycle
from course.documents import Answers, answers_path
from course.nbgrader_settings import load_nbgrader_config
from course.play.answers import save_answers
from course.play.exchange import submit_module

from ..conftest import COURSE_ID, NbgraderCourse, best_option, choices_of, make_nbgrader_course, walk_model

MODULE = "09-keeping-up-to-date"
SIZE = 32
NEVER_SUBMIT = {f"t{n:02d}" for n in range(SIZE) if n % 10 == 7}
TAMPERED = "t05"  # an answers file replaced by code
FAILING = "t09"  # a collected notebook damaged on the tutor's disk: autograde fails for the module
OLD_VERSION, NEW_VERSION = "2021-09", "2026-06"
# Names a roster may hold: accents, an apostrophe, a comma (CSV quoting) and a formula.
NAMES = {"t01": ("Zoë", "O'Brien"), "t02": ("Ann", "=SUM(1+1)"), "t04": ("Tom", "Smith, Jr")}


@dataclass
class SyntheticCohort:
    nbc: NbgraderCourse
    roster: list[dict[str, str]]
    due: date
    # (trainee, scenario) -> the choices in the answers file the trainee submitted (valid ones)
    answered: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)  # trainee -> policy version answered under
    skipped: set[tuple[str, str]] = field(default_factory=set)  # scenarios left out
    sequential: list[cycle.StepResult] = field(default_factory=list)
    sequential_gradebook: dict = field(default_factory=dict)
    parallel_gradebook: dict = field(default_factory=dict)
    parallel_output: str = ""
    outputs: dict[str, tuple[int, str]] = field(default_factory=dict)  # verb -> (exit, output)

    @property
    def root(self) -> Path:
        return self.nbc.root

    @property
    def submitters(self) -> list[str]:
        return [t["id"] for t in self.roster if t["id"] not in NEVER_SUBMIT]


def cohort_cli(root: Path, verb: str, *args: str, after: bool = False) -> tuple[int, str]:
    """``course cohort --course-dir ROOT VERB ARGS`` (``after``: ``VERB --course-dir ROOT ARGS``),
    in this process, from ROOT's parent folder with ROOT as a relative path, the way a tutor
    types it; its exit status and output."""
    where = ["--course-dir", root.name]
    line = ["cohort", verb, *where, *args] if after else ["cohort", *where, verb, *args]
    out = io.StringIO()
    with contextlib.chdir(root.parent), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(line)
    return status, out.getvalue()


def fetch(home: Path, module: str) -> None:
    """`nbgrader fetch_assignment`, as the trainee, through nbgrader's exchange classes."""
    config = load_nbgrader_config(home)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = module
    app = ExchangeFactory(config=config).FetchAssignment(
        coursedir=coursedir, authenticator=Authenticator(config=config), config=config
    )
    app.assignment_dir = str(home)
    app.start()


def pick_path(scn, rng: random.Random, ability: float) -> list[dict[str, str]]:
    """A trainee's way through a scenario: the best option with probability ``ability``, else any."""

    def pick(step):
        best = best_option(step)
        return best if rng.random() < ability else rng.choice(step.options)

    return choices_of(walk_model(scn, pick))


def gradebook_dump(root: Path) -> dict:
    """Every score and grade the gradebook holds, by trainee, notebook and cell."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        return {
            (sub.student.id, nb.name, grade.name): (grade.auto_score, grade.manual_score, grade.max_score)
            for assignment in gb.assignments
            for sub in assignment.submissions
            for nb in sub.notebooks
            for grade in nb.grades
        } | {
            (sub.student.id, nb.name, "notebook"): (nb.score, nb.max_score)
            for assignment in gb.assignments
            for sub in assignment.submissions
            for nb in sub.notebooks
        }


def write_roster(path: Path) -> list[dict[str, str]]:
    roster = []
    for n in range(SIZE):
        trainee = f"t{n:02d}"
        first, last = NAMES.get(trainee, (f"First{n}", f"Last{n:02d}"))
        roster.append(
            {"id": trainee, "first_name": first, "last_name": last, "email": f"{trainee}@example.org"}
        )
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(roster[0]))
        writer.writeheader()
        writer.writerows(roster)
    return roster


@pytest.fixture(scope="session")
def synthetic_cohort(tmp_path_factory, course) -> SyntheticCohort:
    nbc = make_nbgrader_course(tmp_path_factory.mktemp("cohort"), course)
    content = course.module(MODULE)
    roster = write_roster(nbc.root.parent / "roster.csv")
    cohort = SyntheticCohort(nbc, roster, due=date.today() - timedelta(days=7))
    cohort.outputs["roster"] = cohort_cli(nbc.root, "roster", "roster.csv", after=True)
    cohort.outputs["release"] = cohort_cli(nbc.root, "release", MODULE, "--due", cohort.due.isoformat())

    rng = random.Random(20261124)
    for n, entry in enumerate(roster):
        trainee = entry["id"]
        home = nbc.trainee_home(trainee)
        fetch(home, MODULE)
        folder = home / MODULE
        ability = 0.15 + 0.8 * n / SIZE
        cohort.versions[trainee] = NEW_VERSION if n % 4 == 1 else OLD_VERSION
        for item in content.items:
            if n % 7 == 3 and item is content.items[1]:
                cohort.skipped.add((trainee, item.id))
                continue
            choices = pick_path(item, rng, ability)
            answers = Answers(
                item.id, choices, f"Reflection by {trainee}.", policy_version=cohort.versions[trainee]
            )
            save_answers(folder, answers)
            cohort.answered[(trainee, item.id)] = choices
        if trainee == TAMPERED:
            answers_path(folder, content.items[0].id).write_text("__import__('os').system('true')")
            del cohort.answered[(trainee, content.items[0].id)]
        if trainee in NEVER_SUBMIT:
            continue
        submit_module(folder, trainee)
    cohort.answered = {k: v for k, v in cohort.answered.items() if k[0] not in NEVER_SUBMIT}

    cohort.outputs["collect"] = cohort_cli(nbc.root, "collect")
    (nbc.root / "submitted" / FAILING / MODULE / f"{content.items[0].id}.ipynb").write_text("not a notebook")
    collected = (nbc.root / "gradebook.db").read_bytes()
    cohort.sequential = cycle.autograde(nbc.root, [MODULE], workers=1)
    cohort.sequential_gradebook = gradebook_dump(nbc.root)

    # The same submissions again from the same gradebook, by the CLI in two worker processes.
    shutil.rmtree(nbc.root / "autograded")
    (nbc.root / "gradebook.db").write_bytes(collected)
    cohort.outputs["autograde"] = cohort_cli(nbc.root, "autograde", "--workers", "2", after=True)
    cohort.parallel_gradebook = gradebook_dump(nbc.root)

    # Reflections are not marked yet: feedback is refused first, then released anyway.
    cohort.outputs["feedback refused"] = cohort_cli(nbc.root, "feedback")
    cohort.outputs["feedback"] = cohort_cli(nbc.root, "feedback", "--anyway")
    for verb in ("export", "report"):
        cohort.outputs[verb] = cohort_cli(nbc.root, verb)
    return cohort
