"""A scenario edited after release, as the policy's review cycle makes certain: the grades and the
tutors' report still agree, because both read the scenario as it was released.

A small cohort goes through the real pipeline (release, fetch, answer, submit, collect,
autograde). Then the module's scenarios are edited in a copy of ``scenarios/`` (option ids
renamed, points moved, a prompt reworded) and the course directory's source is rebuilt from it,
as a tutor would after revising the content. Re-grading and re-reporting must change nothing.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from course.build.compose import grading_key
from course.build.notebooks import build_course
from course.cohort.report import cohort_report
from course.documents import REFLECTION_CELL, Answers, InvalidAnswers, grade_id, parse_answers
from course.grading.results import grading_results
from course.grading.tutor_view import PATH_UNAVAILABLE
from course.paths import SCENARIOS_DIR
from course.play.answers import save_answers
from course.play.exchange import submit_module
from course.policy import load_policy
from course.scenario.catalog import load_course

from ..conftest import graded_status, make_nbgrader_course
from .conftest import cohort_cli, fetch, gradebook_dump, pick_path

pytestmark = pytest.mark.slow
MODULE = "09-keeping-up-to-date"
TRAINEES = ["ed1", "ed2", "ed3"]


def edit_scenarios(folder: Path) -> None:
    """Rename every option id, move the full points to another option, reword each prompt."""
    for path in sorted((folder / MODULE).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "steps" not in data:
            continue  # module.yaml
        for step in data["steps"]:
            step["prompt"] += " (revised wording)"
            points = [o["points"] for o in step["options"]]
            for option, moved in zip(step["options"], points[1:] + points[:1], strict=True):
                option["id"] += "-v2"
                option["points"] = moved
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def decision_scores(root: Path) -> dict[tuple[str, str], float]:
    """What the gradebook gave each trainee's decisions, per scenario."""
    dump = gradebook_dump(root)
    return {
        (student, nb): auto for (student, nb, cell), (auto, *_rest) in dump.items() if cell == "decisions"
    }


def test_reports_and_grades_agree_after_a_scenario_is_edited_since_release(tmp_path, course):
    nbc = make_nbgrader_course(tmp_path, course)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(f"{t},A,B,{t}@x.org\n" for t in TRAINEES))
    assert cohort_cli(nbc.root, "roster", str(roster))[0] == 0
    assert cohort_cli(nbc.root, "release", MODULE)[0] == 0
    rng = random.Random(7)
    content = course.module(MODULE)
    for n, trainee in enumerate(TRAINEES):
        home = nbc.trainee_home(trainee)
        fetch(home, MODULE)
        for item in content.items:
            save_answers(
                home / MODULE, Answers(item.id, pick_path(item, rng, 0.3 * n), f"Reflection {trainee}.")
            )
        submit_module(home / MODULE, trainee)
    assert cohort_cli(nbc.root, "collect")[0] == 0
    assert cohort_cli(nbc.root, "autograde", "--workers", "1")[0] == 0
    before = cohort_report(nbc.root)
    graded = decision_scores(nbc.root)
    assert before.invalid.empty and len(before.choices) > 0

    # The tutor revises the content and rebuilds the cohort's source notebooks from it.
    edited_dir = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS_DIR, edited_dir)
    edit_scenarios(edited_dir)
    edited = load_course(edited_dir)
    build_course(edited, source_dir=nbc.root / "source", practice_dir=tmp_path / "unused-practice")
    # The edit is real: today's authored key no longer fits what the trainees answered.
    policy = load_policy()
    home = nbc.trainee_home(TRAINEES[0]) / MODULE
    first = edited.module(MODULE).items[0]
    with pytest.raises(InvalidAnswers):
        parse_answers(
            (home / f"{first.id}.answers.json").read_bytes(), grading_key(first, policy)["scenario"]
        )

    assert cohort_cli(nbc.root, "autograde", "--workers", "1")[0] == 0  # graded again, after the edit
    after = cohort_report(nbc.root)
    assert decision_scores(nbc.root) == graded
    assert after.invalid.empty
    assert after.choices.equals(before.choices)
    assert after.grid.equals(before.grid) and after.summary.equals(before.summary)
    assert after.items.equals(before.items) and after.mastery.equals(before.mastery)
    # Report and gradebook agree, decision by decision summed per scenario.
    summed = after.choices.groupby(["student", "scenario"])["points"].sum()
    for (student, scenario), points in graded.items():
        assert summed.get((student, scenario), 0) == points, (student, scenario)
    results = grading_results(nbc.root)
    items = {item.id: item for item in content.items}
    for row in results.itertuples(index=False):  # every reflection was written: they await marking
        assert row.status == graded_status(items[row.scenario], "Reflection."), row
    # The dashboard words its tables as released too.
    prompts = after.text.prompts
    assert prompts and not [p for p in prompts.values() if "(revised wording)" in p]
    # The tutor still sees each trainee's path beside the reflection, in the released wording.
    for trainee in TRAINEES:
        for item in content.scenarios:
            nb = nbformat.read(nbc.root / "autograded" / trainee / MODULE / f"{item.id}.ipynb", as_version=4)
            cell = next(c for c in nb.cells if grade_id(c) == REFLECTION_CELL)
            assert PATH_UNAVAILABLE not in cell.source and "(revised wording)" not in cell.source
            assert "**The path taken**" in cell.source
