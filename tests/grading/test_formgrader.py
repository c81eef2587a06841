"""A tutor grades a reflection in nbgrader's formgrader, in Debian's Chromium.

A scratch cohort goes through the tutors' own tool (``course cohort roster/release/collect/
autograde/export``, in this process) and the trainees' own code (nbgrader's exchange, the app's
answers files and submit). A Jupyter server is then started in the course directory as a tutor
starts it, and the tutor, in the browser, opens the formgrader, goes Manual Grading -> module ->
scenario -> the trainee's submission, reads the path taken, the rubric and the reflection (in that
order), types a mark into the formgrader's own score box and leaves it, and finds the mark in
``course cohort export`` and in the gradebook.

The formgrader renders its grading page with an ``HTMLExporter`` built from the course's
nbgrader configuration: a course-wide ``HTMLExporter.template_name`` once replaced its template,
and every submission answered HTTP 500.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import expect

from course.documents import REFLECTION_CELL, Answers
from course.play.answers import save_answers
from course.play.exchange import submit_module

from ..cohort.conftest import cohort_cli, fetch
from ..conftest import (
    BIN,
    COURSE_ID,
    LOCAL,
    free_port,
    http_server,
    make_nbgrader_course,
    tool_env,
    walk_model,
    watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODULE = "09-keeping-up-to-date"  # the shortest module
TRAINEES = {"t01": ("Ada", "Lovelace"), "t02": ("Grace", "Hopper")}
GRADED = "t01"  # whose reflection the tutor marks; the other's must not change


def squash(text: str) -> str:
    return " ".join(text.split())


def path_by(scn, pick) -> list[tuple]:
    """The (step, option) pairs ``pick`` chooses through a scenario, from the authored model."""
    return walk_model(scn, lambda step: pick(step.options, key=lambda o: o.points))


def reflection_by(trainee: str, scn) -> str:
    """A reflection no other text on the page holds; markdown and HTML in it must show as typed."""
    return (
        f"{trainee} on {scn.id}: I would look for the date on the final line first.\n"
        "Then *ask* my placement tutor <b>before</b> quoting it & name the version."
    )


def missing_in_order(text: str, parts: list[str]) -> list[str]:
    """The ``parts`` not found in ``text`` after the ones before them (empty: all there, in order)."""
    missing, at = [], 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            missing.append(part)
        else:
            at = found + len(part)
    return missing


def grades_csv(root: Path) -> dict[tuple[str, str], dict[str, str]]:
    """``course cohort export``'s grades.csv, by (module, trainee)."""
    with (root / "exports" / "grades.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {(row["assignment"], row["student_id"]): row for row in csv.DictReader(fh)}


def gradebook_scores(root: Path, scn) -> dict[str, tuple[float, float | None]]:
    """Each trainee's module score and the manual score of ``scn``'s reflection, from the gradebook."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        return {
            trainee: (
                gb.find_submission(MODULE, trainee).score,
                gb.find_grade(REFLECTION_CELL, scn.id, MODULE, trainee).manual_score,
            )
            for trainee in TRAINEES
        }


@dataclass
class Cohort:
    root: Path
    taken: dict[str, list[tuple]]  # trainee -> (step, option) pairs of the graded scenario
    submission_ids: dict[str, str]  # trainee -> nbgrader's id of their graded scenario's notebook


@pytest.fixture
def cohort(tmp_path: Path, course) -> Cohort:
    """Roster, release, fetch, answer, submit, collect, autograde, export: one module, two trainees."""
    nbc = make_nbgrader_course(tmp_path, course)
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "first_name", "last_name", "email"])
        writer.writerows([t, first, last, f"{t}@example.org"] for t, (first, last) in TRAINEES.items())
    for verb in (["roster", str(roster)], ["release", MODULE]):
        status, output = cohort_cli(nbc.root, *verb)
        assert status == 0, output

    scn = course.module(MODULE).items[0]
    assert scn.reflection is not None, f"{scn.id} has no reflection to grade"
    taken = {}
    for trainee, pick in zip(TRAINEES, (min, max), strict=True):  # one weak path, one strong
        home = nbc.trainee_home(trainee)
        fetch(home, MODULE)
        for item in course.module(MODULE).items:
            item_path = path_by(item, pick)
            choices = [{"step": step.id, "option": option.id} for step, option in item_path]
            save_answers(home / MODULE, Answers(item.id, choices, reflection_by(trainee, item)))
            if item is scn:
                taken[trainee] = item_path
        submit_module(home / MODULE, trainee)

    for verb in (["collect"], ["autograde", "--workers", "1"], ["export"]):
        status, output = cohort_cli(nbc.root, *verb)
        assert status == 0, output
    with Gradebook(f"sqlite:///{nbc.root / 'gradebook.db'}", COURSE_ID) as gb:
        ids = {t: gb.find_submission_notebook(scn.id, MODULE, t).id for t in TRAINEES}
    return Cohort(nbc.root, taken, ids)


@dataclass
class JupyterServer:
    url: str
    token: str
    log: Path


@contextmanager
def jupyter_server(root: Path) -> Iterator[JupyterServer]:
    """``jupyter server`` as a tutor starts it to grade: in the course directory (whose
    nbgrader_config.py the formgrader reads), on a free port of 127.0.0.1, no browser, a token.
    The Jupyter folders of this machine's user are replaced by empty ones."""
    port, token = free_port(), secrets.token_hex(16)
    log = root.parent / f"jupyter-{port}.log"
    jupyter = root.parent / "jupyter"
    args = [
        *(str(BIN / "jupyter"), "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}"),
        "--ServerApp.port_retries=0",  # never another port than the one asked for
        *(f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"),
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    env = tool_env(
        **{f"JUPYTER_{kind}_DIR": str(jupyter / kind.lower()) for kind in ("CONFIG", "DATA", "RUNTIME")}
    )

    def up(url: str) -> bool:  # once the formgrader's own API answers
        status = urllib.request.Request(f"{url}/formgrader/api/status")
        status.add_header("Authorization", f"token {token}")
        try:
            with urllib.request.urlopen(status, timeout=5) as response:
                return response.status == 200
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"the formgrader answered {exc.code}:\n{log.read_text()}") from None
        except OSError:
            return False

    with http_server(args, port, log, up=up, cwd=root, env=env) as url:
        yield JupyterServer(url, token, log)


def wait_for_grades(page) -> None:
    """Until the formgrader's script has loaded the submission's grades and bound its score boxes."""
    page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded")


def type_mark(page, cell, mark: float):
    """Type ``mark`` into the reflection cell's score box and leave it, as a tutor does: the
    formgrader saves it (PUT); its response, checked to be 200."""
    score = cell.locator(f"input#{REFLECTION_CELL}")
    score.click()
    score.press_sequentially(f"{mark:g}")
    saving_grade = lambda r: r.request.method == "PUT" and "/formgrader/api/grade/" in r.url  # noqa: E731
    with page.expect_response(saving_grade) as saving:
        score.press("Tab")
    assert saving.value.status == 200, saving.value.text()
    return saving.value


@pytest.fixture
def context(browser):
    """A browser context from which nothing leaves the machine (``watch`` records what is asked)."""
    context = browser.new_context()
    context.set_default_timeout(60_000)  # nbconvert renders each grading page, on busy cores
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL) else route.abort()
    )
    yield context
    context.close()


def test_tutor_marks_a_reflection_in_the_formgrader(cohort, course, context):
    scn = course.module(MODULE).items[0]
    first, last = TRAINEES[GRADED]
    reflection = reflection_by(GRADED, scn)
    mark = scn.reflection.points - 1 if scn.reflection.points > 1 else scn.reflection.points
    before_csv, before_gb = grades_csv(cohort.root), gradebook_scores(cohort.root, scn)
    assert before_gb[GRADED][1] is None, "the reflection was graded before the tutor saw it"

    with jupyter_server(cohort.root) as server:
        page = context.new_page()
        seen, failed = watch(page), []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        # /formgrader (the token logs the tutor in) -> /formgrader/manage_assignments
        opened = page.goto(f"{server.url}/formgrader?token={server.token}")
        assert opened.status == 200, server.log.read_text()
        assert page.url == f"{server.url}/formgrader/manage_assignments"
        # Manual Grading: /formgrader/gradebook -> /gradebook/MODULE -> /gradebook/MODULE/SCENARIO
        page.get_by_role("link", name="Manual Grading").click()
        page.get_by_role("link", name=MODULE, exact=True).click()
        page.get_by_role("link", name=scn.id, exact=True).click()
        page.wait_for_url(f"{server.url}/formgrader/gradebook/{MODULE}/{scn.id}")
        # Names are hidden ("Submission #N") until the tutor shows them, once the list is loaded.
        submissions = page.get_by_role("link", name=re.compile(r"^Submission #\d+$"))
        expect(submissions).to_have_count(len(TRAINEES), timeout=60_000)
        page.get_by_role("button", name="Show All Names").click()
        # -> /formgrader/submissions/ID, redirected to /formgrader/submissions/ID/
        with page.expect_navigation() as navigation:
            page.get_by_role("link", name=f"{last}, {first}", exact=True).click()
        response = navigation.value
        assert response.status == 200, f"grading page: HTTP {response.status}\n{server.log.read_text()}"
        assert response.url == f"{server.url}/formgrader/submissions/{cohort.submission_ids[GRADED]}/"
        wait_for_grades(page)

        # The reflection's cell: the path taken, then the rubric, then the reflection as written.
        cell = page.locator(".nbgrader_cell").filter(has=page.locator(f"input#{REFLECTION_CELL}"))
        shown = squash(cell.locator(".text_cell_render").inner_text())
        expected = ["The path taken"]
        for step, option in cohort.taken[GRADED]:
            expected += [step.prompt, f"Chosen: {option.text}", f"{option.points} of {step.points} point"]
        expected += ["Rubric", scn.reflection.rubric, "A model answer", scn.reflection.model_answer]
        expected += ["Reflection, as written by the trainee:", reflection]
        expected = [squash(part) for part in expected]
        assert not missing_in_order(shown, expected), (
            f"not shown, or not in this order: {missing_in_order(shown, expected)}\nthe cell shows: {shown}"
        )

        # The tutor types the mark into the formgrader's score box and leaves it: the formgrader saves.
        assert cell.locator(f"input#{REFLECTION_CELL}").input_value() == "", (
            "the reflection shows a mark before the tutor gave one"
        )
        saved = type_mark(page, cell, mark)
        assert {k: saved.json()[k] for k in ("student", "notebook", "name", "manual_score")} == {
            "student": GRADED,
            "notebook": scn.id,
            "name": REFLECTION_CELL,
            "manual_score": mark,
        }
        # ...and the mark is there when the page is opened again.
        page.reload()
        wait_for_grades(page)
        assert float(page.locator(f"input#{REFLECTION_CELL}").input_value()) == mark

        # The export, as the tutor runs it next (the server still running).
        status, output = cohort_cli(cohort.root, "export")
        assert status == 0, output

    after_csv, after_gb = grades_csv(cohort.root), gradebook_scores(cohort.root, scn)
    row, before = after_csv[(MODULE, GRADED)], before_csv[(MODULE, GRADED)]
    # The other reflections this trainee wrote still wait for a mark: the module is not graded yet.
    others = [
        i for i in course.module(MODULE).items if i.id != scn.id and i.reflection and i.reflection.points
    ]
    assert row["status"] == ("awaiting-marking" if others else "graded")
    assert (int(before["unmarked_reflections"]), int(row["unmarked_reflections"])) == (
        len(others) + 1,
        len(others),
    )
    for column in ("raw_score", "score"):
        assert float(row[column]) == pytest.approx(float(before[column]) + mark), column
    assert after_gb[GRADED][0] == pytest.approx(before_gb[GRADED][0] + mark)
    assert after_gb[GRADED][1] == mark
    assert float(row["score"]) == pytest.approx(after_gb[GRADED][0])
    for trainee in set(TRAINEES) - {GRADED}:  # nobody else's marks moved
        assert after_csv[(MODULE, trainee)] == before_csv[(MODULE, trainee)]
        assert after_gb[trainee] == before_gb[trainee]

    # Formgrader pages: no local request failed, nothing was asked of the network (nbgrader's
    # grading page loads MathJax from cdnjs; the course's mip-formgrade template does not), and
    # no console error.
    assert not failed, failed
    assert seen.external == [], seen.external
    assert seen.errors == [], seen.errors
