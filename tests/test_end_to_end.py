"""One true end-to-end run through the real nbgrader commands, in a scratch course and exchange.

Six trainees: one takes the best path everywhere, one the worst and skips a scenario, one tampers
with notebooks (an added code cell that would create a file, an edited locked cell), one submits
garbage answers files, one submits a notebook that is not JSON (that scenario is flagged), and one
whose collected notebook is damaged on the tutor's disk so that its grading fails.
"""

from __future__ import annotations

import csv
import json
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook

from course.cli import main
from course.documents import Answers
from course.grading.results import grading_results
from course.play.answers import save_answers
from course.play.exchange import submit_module

from .conftest import BIN, choices_of, graded_status, run, walk_model

MODULE = "05-must-not"
pytestmark = pytest.mark.slow


def path_by(scn, pick) -> tuple[list[dict[str, str]], int]:
    """Choices and their points, computed from the authored model (not the engine); ``pick`` is
    ``max`` or ``min`` over each step's options by points."""
    taken = walk_model(scn, lambda step: pick(step.options, key=lambda o: o.points))
    return choices_of(taken), sum(option.points for _, option in taken)


def test_cohort_through_nbgrader(nbgrader_course, course, monkeypatch, tmp_path):
    scenarios = course.module(MODULE).items  # the scenarios, then the knowledge check
    assert scenarios[-1].kind == "knowledge-check"
    first, second = scenarios[0].id, scenarios[1].id
    nbc = nbgrader_course
    nbc.nbgrader("generate_assignment", MODULE)
    nbc.nbgrader("release_assignment", MODULE)
    marker = tmp_path / "TRAINEE-CODE-RAN"
    trainees = ["ana", "ben", "cat", "dan", "eve", "fay"]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,first_name,last_name,email\n" + "".join(f"{t},{t},Trainee,{t}@example.org\n" for t in trainees)
    )
    assert main(["cohort", "--course-dir", str(nbc.root), "roster", str(roster)]) == 0

    expected: dict[tuple[str, str], float] = {}
    for trainee in trainees:
        home = nbc.trainee_home(trainee)
        monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home))
        monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / ".data"))
        run([str(BIN / "nbgrader"), "fetch_assignment", MODULE], cwd=home, JUPYTER_CONFIG_DIR=str(home))
        folder = home / MODULE
        for scn in scenarios:
            pick = max if trainee != "ben" else min
            choices, points = path_by(scn, pick)
            if trainee == "ben" and scn.id == second:
                continue  # not attempted
            save_answers(
                folder,
                Answers(
                    scenario=scn.id,
                    choices=choices,
                    reflection=f"<script>alert('{trainee}')</script> I chose as I did."
                    if scn.reflection
                    else "",
                ),
            )
            expected[(trainee, scn.id)] = points
        if trainee == "cat":
            nb = nbformat.read(folder / f"{first}.ipynb", as_version=4)
            hostile = new_code_cell(f"open({str(marker)!r}, 'w').write('ran')")
            # nbgrader aborts a whole cohort on metadata from a newer schema, unless the guard
            # has already thrown the trainee's cells away.
            hostile.metadata["nbgrader"] = {
                "grade_id": "hostile",
                "schema_version": 99,
                "grade": True,
                "solution": False,
                "locked": True,
                "points": 100,
            }
            nb.cells.append(hostile)
            nbformat.write(nb, folder / f"{first}.ipynb")
            nb = nbformat.read(folder / f"{second}.ipynb", as_version=4)
            nb.cells[1].source = f"open({str(marker)!r}, 'w').write('ran')"
            nbformat.write(nb, folder / f"{second}.ipynb")
        if trainee == "dan":
            (folder / f"{first}.answers.json").write_text(f"__import__('os').system('touch {marker}')")
            hostile = json.loads(Answers(scenario=second).to_json())
            hostile["choices"] = [{"step": scenarios[1].start, "option": "<img src=x onerror=alert(1)>"}]
            (folder / f"{second}.answers.json").write_text(json.dumps(hostile))
        if trainee == "eve":
            (folder / f"{first}.ipynb").write_text("this is not a notebook")
        submit_module(folder, trainee)

    nbc.nbgrader("collect", MODULE)
    (nbc.root / "submitted" / "fay" / MODULE / f"{first}.ipynb").write_text("damaged on disk")
    autograde = nbc.nbgrader("autograde", MODULE, check=False)
    assert autograde.returncode != 0  # nbgrader reports fay's failure...
    assert "There was an error processing assignment '05-must-not' for student 'fay'" in autograde.stderr
    nbc.nbgrader("generate_feedback", MODULE)
    nbc.nbgrader("export")
    assert not marker.exists(), "trainee-authored code was executed during grading"

    results = grading_results(nbc.root).set_index(["student", "scenario"])
    with Gradebook(f"sqlite:///{nbc.root / 'gradebook.db'}", "mip-social-media") as gb:

        def decisions(student: str, scenario: str) -> float:
            return gb.find_grade("decisions", scenario, MODULE, student).score

        # ...and grades everyone else exactly as the key says.
        for scn in scenarios:
            assert decisions("ana", scn.id) == expected[("ana", scn.id)]
            assert results.loc[("ana", scn.id), "status"] == graded_status(scn, "I chose as I did.")
        assert decisions("ben", first) == expected[("ben", first)] < expected[("ana", first)]
        assert decisions("ben", second) == 0
        assert results.loc[("ben", second), "status"] == "not-started"
        for student in ("cat", "dan"):
            for scn_id in (first, second):
                assert decisions(student, scn_id) == 0
                assert results.loc[(student, scn_id), "status"] == "tampered"
            third = scenarios[2].id
            assert decisions(student, third) == expected[(student, third)]
            assert results.loc[(student, third), "status"] == graded_status(scenarios[2], "I chose as I did.")
        # A tampered reflection is not put up for manual grading either.
        assert gb.find_grade("reflection", first, MODULE, "cat").score == 0
        assert gb.find_grade("reflection", first, MODULE, "ana").needs_manual_grade

    assert "cell(s) were added" in results.loc[("cat", first), "reasons"]
    assert "cell play was edited" in results.loc[("cat", second), "reasons"]
    assert "not valid JSON" in results.loc[("dan", first), "reasons"]
    assert "do not follow the scenario" in results.loc[("dan", second), "reasons"]
    dan_feedback = (nbc.root / "feedback" / "dan" / MODULE / f"{second}.html").read_text()
    assert "<img src=x" not in dan_feedback and "&lt;img src=x" in dan_feedback
    # eve's notebook that is not a notebook costs that scenario only.
    assert results.loc[("eve", first), "status"] == "tampered"
    assert "was not a valid notebook (NotJSONError)" in results.loc[("eve", first), "reasons"]
    assert results.loc[("eve", first), "score"] == 0
    assert all(
        results.loc[("eve", s.id), "status"] == graded_status(s, "I chose as I did.") for s in scenarios[1:]
    )
    fay = results.loc["fay"]
    assert set(fay["status"]) == {"failed"} and fay["score"].isna().all()

    # Feedback shows explanations, never grading code or the key's source.
    feedback = (nbc.root / "feedback" / "ana" / MODULE / f"{first}.html").read_text()
    chosen = scenarios[0].step(scenarios[0].start).options
    best = max(chosen, key=lambda o: o.points)
    assert best.feedback.split(".")[0] in feedback
    for leak in ("grade_scenario", "BEGIN HIDDEN TESTS", "json.loads", '"points"'):
        assert leak not in feedback
    assert "<script>alert(" not in feedback and "&lt;script&gt;alert(" in feedback
    # Trainees open feedback offline: nothing in it is fetched from the network (nbgrader's own
    # template would load MathJax from cdnjs).
    assert re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', feedback) == []

    # The same report from the command line, as CSV.
    assert main(["results", "--course-dir", str(nbc.root), "--csv", str(tmp_path / "r.csv")]) == 0
    with open(tmp_path / "r.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 * len(course.module(MODULE).items)  # scenarios and the knowledge check
    assert {r["status"] for r in rows if r["student"] == "fay"} == {"failed"}

    # `nbgrader export` (the course's export plugin) lists the graded trainees, and a failed
    # grading as failed, not 0.
    with open(nbc.root / "grades.csv", encoding="utf-8-sig", newline="") as fh:
        exported = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert float(exported["ana"]["raw_score"]) == sum(expected[("ana", s.id)] for s in scenarios)
    waiting = sum(graded_status(s, "I chose as I did.") == "awaiting-marking" for s in scenarios)
    assert exported["ana"]["status"] == ("awaiting-marking" if waiting else "graded")
    assert int(exported["ana"]["unmarked_reflections"]) == waiting  # nbgrader export says it too
    assert exported["fay"]["status"] == "failed"
    assert exported["fay"]["score"] == "failed"


def test_released_and_fetched_notebooks_hold_no_answer_key(nbgrader_course, course):
    nbc = nbgrader_course
    nbc.nbgrader("generate_assignment", MODULE)
    nbc.nbgrader("release_assignment", MODULE)
    home = nbc.trainee_home("fay")
    run([str(BIN / "nbgrader"), "fetch_assignment", MODULE], cwd=home, JUPYTER_CONFIG_DIR=str(home))
    trainee_files = [
        p
        for folder in (nbc.root / "release", home / MODULE, nbc.exchange)
        for p in folder.rglob("*")
        if p.is_file()
    ]
    assert len(trainee_files) >= 3 * len(course.module(MODULE).scenarios)
    text = "\n".join(p.read_text(encoding="utf-8") for p in trainee_files)
    for scn in course.module(MODULE).scenarios:
        for step in scn.steps:
            for option in step.options:
                assert option.feedback not in text and json.dumps(option.feedback)[1:-1] not in text
        assert scn.reflection.rubric not in text
    assert '"points": 0' not in text and "grade_scenario" not in text
    shutil.rmtree(home)
