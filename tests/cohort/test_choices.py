"""The cohort's decisions read from a scratch ``submitted/`` tree of real scenarios' answers files,
against the scenarios' keys as released (here built from the authored course, as a release is).

Expected rows are worked out from the authored (pydantic) scenarios with plain loops, not with the
engine the code under test uses; the grader's ``walk_score`` is the reference for the points.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pandas as pd
import pytest

from course.build.compose import grading_key
from course.cohort.choices import (
    CHOICE_COLUMNS,
    INVALID_COLUMNS,
    POSITION_COLUMNS,
    CohortAnswers,
    read_cohort_answers,
)
from course.documents import MAX_ANSWERS_BYTES, Answers
from course.engine import walk, walk_score
from course.grading.gradebook import course_directory, submitted_folders
from course.policy import load_policy
from course.scenario.catalog import Course
from course.scenario.schema import Scenario
from course.scenario.validate import max_points

from ..conftest import choices_of, walk_model


def released_keys_of(course: Course) -> dict:
    """Every scenario's key as a release of today's course records it."""
    policy = load_policy()
    return {c.module.id: {s.id: grading_key(s, policy) for s in c.items} for c in course.modules}


def read(root: Path, course: Course) -> CohortAnswers:
    """What the cohort report reads: nbgrader's submitted tree under ``root``, against the keys."""
    return read_cohort_answers(submitted_folders(course_directory(root)), released_keys_of(course), root)


def random_path(scn: Scenario, rng: random.Random, stop: float = 0.1) -> list[dict[str, str]]:
    """A valid path from the start, now and then left unfinished (as a trainee may leave it)."""
    taken = walk_model(scn, lambda step: rng.choice(step.options), stop=lambda _step: rng.random() < stop)
    return choices_of(taken)


def full_credit_path(scn: Scenario) -> list[dict[str, str]]:
    """Full credit at every decision: the first option worth the step's points."""
    return choices_of(walk_model(scn, lambda step: next(o for o in step.options if o.points == step.points)))


def expected_rows(student: str, module: str, scn: Scenario, path: list[dict[str, str]]) -> list[tuple]:
    rows = []
    for choice in path:
        step = next(s for s in scn.steps if s.id == choice["step"])
        option = next(o for o in step.options if o.id == choice["option"])
        at_stake = set()
        for other in step.options:
            at_stake.update(other.clauses)
        chosen = (step.id, option.id, str(option.action), option.points)
        rows.append((student, module, scn.id, *chosen, step.points, tuple(sorted(at_stake))))
    return rows


def write_answers(folder: Path, scenario_id: str, path: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{scenario_id}.answers.json"
    target.write_text(Answers(scenario=scenario_id, choices=path, reflection="I would…").to_json())
    return target


def frame_rows(frame: pd.DataFrame) -> list[tuple]:
    return sorted(tuple(r) for r in frame[CHOICE_COLUMNS].itertuples(index=False))


def test_every_decision_is_a_row_and_points_agree_with_walk_score(tmp_path: Path, course: Course) -> None:
    rng = random.Random(20240501)
    expected, paths = [], {}
    for student in ("amira", "ben", "chloe", "dev"):
        for content in course.modules:
            module = content.module.id
            for scn in content.items:
                if rng.random() < 0.2:
                    continue  # not attempted: no file
                path = full_credit_path(scn) if student == "amira" else random_path(scn, rng)
                write_answers(tmp_path / "submitted" / student / module, scn.id, path)
                # nbgrader's own files beside the answers are not answers.
                (tmp_path / "submitted" / student / module / f"{scn.id}.ipynb").write_text("{}")
                paths[student, scn.id] = (scn, path)
                expected += expected_rows(student, module, scn, path)
            (tmp_path / "submitted" / student / module / "timestamp.txt").write_text("2024-05-01")

    result = read(tmp_path, course)

    assert list(result.choices.columns) == [*CHOICE_COLUMNS, *POSITION_COLUMNS]
    assert result.invalid.empty
    assert frame_rows(result.choices) == sorted(expected)
    assert len(expected) > 200  # the random cohort did take decisions
    assert result.choices["points"].dtype == "int64" and result.choices["best_points"].dtype == "int64"
    per_walk = result.choices.groupby(["student", "scenario"])["points"].sum()
    checked = 0
    for (student, scenario_id), (scn, path) in paths.items():
        graded = walk_score(walk(scn.model_dump(mode="json"), path))
        assert per_walk.get((student, scenario_id), 0) == graded, (student, scenario_id)
        if student == "amira":
            assert graded == max_points(scn)
        checked += 1
    assert checked > 100
    assert frame_rows(read(tmp_path, course).choices) == sorted(expected)


def test_clauses_are_every_clause_at_stake_not_only_the_chosen_options(
    tmp_path: Path, course: Course
) -> None:
    # A real decision where the chosen option cites fewer clauses than the step puts at stake.
    scn, step, option = next(
        (scn, step, o)
        for scn in course.items
        for step in scn.steps
        if step.id == scn.start
        for o in step.options
        if set(o.clauses) < {c for other in step.options for c in other.clauses}
    )
    write_answers(
        tmp_path / "submitted" / "erin" / scn.module, scn.id, [{"step": step.id, "option": option.id}]
    )

    row = read(tmp_path, course).choices.iloc[0]

    missed = {c for other in step.options for c in other.clauses} - set(option.clauses)
    assert missed and missed <= set(row["clauses"])
    assert set(option.clauses) <= set(row["clauses"])


def test_invalid_files_are_listed_with_a_reason_and_add_no_decision(tmp_path: Path, course: Course) -> None:
    first, second = course.modules[0], course.modules[1]
    scn, other = first.scenarios[0], first.scenarios[1]
    home = tmp_path / "submitted" / "frank" / first.module.id
    good_path = full_credit_path(scn)
    write_answers(home, scn.id, good_path)
    marker = tmp_path / "executed"
    files = {
        # Garbage bytes, and Python that would leave a marker if anything ever ran it.
        other.id: b"\xff\xfe\x00 garbage",
        first.scenarios[2].id: f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')".encode(),
        # Valid JSON whose choices leave the scenario's graph.
        first.scenarios[3].id: Answers(
            scenario=first.scenarios[3].id,
            choices=[{"step": first.scenarios[3].start, "option": "no-such-option"}],
        )
        .to_json()
        .encode(),
        # Answers for one scenario saved under another's name.
        first.scenarios[4].id: Answers(scenario=scn.id, choices=good_path).to_json().encode(),
        # Larger than the app ever writes, though valid JSON.
        first.check.id: Answers(scenario=first.check.id).to_json().encode() + b" " * MAX_ANSWERS_BYTES,
        # A name no scenario of the module has.
        "not-in-this-module": Answers(scenario="not-in-this-module").to_json().encode(),
    }
    for scenario_id, data in files.items():
        (home / f"{scenario_id}.answers.json").write_bytes(data)
    # Nested deeper than the JSON parser recurses (RecursionError, not ValueError): parse_answers
    # reports it like any other bad file.
    nested = second.scenarios[1].id
    (tmp_path / "submitted" / "frank" / second.module.id).mkdir(parents=True)
    (tmp_path / "submitted" / "frank" / second.module.id / f"{nested}.answers.json").write_bytes(b"[" * 60000)
    # A scenario of another module, filed in this module's folder; a module the course lacks.
    write_answers(home, second.scenarios[0].id, full_credit_path(second.scenarios[0]))
    write_answers(tmp_path / "submitted" / "frank" / "99-no-such-module", scn.id, good_path)
    # A link (to a valid file) and a folder are not files the app writes.
    outside = write_answers(tmp_path / "elsewhere", scn.id, good_path)
    link_home = tmp_path / "submitted" / "gita" / first.module.id
    link_home.mkdir(parents=True)
    os.symlink(outside, link_home / f"{scn.id}.answers.json")
    (link_home / f"{other.id}.answers.json").mkdir()

    result = read(tmp_path, course)

    assert not marker.exists()
    assert frame_rows(result.choices) == sorted(expected_rows("frank", first.module.id, scn, good_path))
    assert list(result.invalid.columns) == INVALID_COLUMNS
    listed = {(r.student, r.module, r.scenario): r for r in result.invalid.itertuples(index=False)}
    want = {("frank", first.module.id, s) for s in files} | {
        ("frank", first.module.id, second.scenarios[0].id),
        ("frank", "99-no-such-module", scn.id),
        ("frank", second.module.id, nested),
        ("gita", first.module.id, scn.id),
        ("gita", first.module.id, other.id),
    }
    assert set(listed) == want
    assert len(result.invalid) == len(want)
    words = {
        other.id: "not valid JSON",
        first.scenarios[2].id: "not valid JSON",
        first.scenarios[3].id: "no option 'no-such-option'",
        first.scenarios[4].id: f"for scenario {scn.id!r}",
        first.check.id: "bytes",
        "not-in-this-module": "has no scenario",
    }
    for scenario_id, word in words.items():
        assert word in listed["frank", first.module.id, scenario_id].reason, scenario_id
    assert "has no scenario" in listed["frank", first.module.id, second.scenarios[0].id].reason
    assert "nests deeper" in listed["frank", second.module.id, nested].reason
    assert "was not released" in listed["frank", "99-no-such-module", scn.id].reason
    assert "not a regular file" in listed["gita", first.module.id, scn.id].reason
    assert "not a regular file" in listed["gita", first.module.id, other.id].reason
    for row in result.invalid.itertuples(index=False):
        assert (tmp_path / row.file).name == f"{row.scenario}.answers.json"
        assert row.file.startswith(f"submitted/{row.student}/{row.module}/")


def test_no_submissions_give_empty_frames_with_their_columns(tmp_path: Path, course: Course) -> None:
    result = read(tmp_path, course)
    assert result.choices.empty and list(result.choices.columns) == [*CHOICE_COLUMNS, *POSITION_COLUMNS]
    assert result.invalid.empty and list(result.invalid.columns) == INVALID_COLUMNS

    (tmp_path / "submitted" / "hana" / course.modules[0].module.id).mkdir(parents=True)
    write_answers(tmp_path / "submitted" / "ivan" / course.modules[0].module.id, course.items[0].id, [])
    result = read(tmp_path, course)
    assert result.choices.empty and result.invalid.empty


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_partial_and_full_paths_sum_to_walk_score(tmp_path: Path, course: Course, seed: int) -> None:
    rng = random.Random(seed)
    scn = rng.choice(course.items)
    path = random_path(scn, rng, stop=0.3)
    write_answers(tmp_path / "submitted" / "jo" / scn.module, scn.id, path)

    frame = read(tmp_path, course).choices

    assert len(frame) == len(path)
    assert int(frame["points"].sum()) == walk_score(walk(scn.model_dump(mode="json"), path))
    assert (frame["points"] <= frame["best_points"]).all()


def test_the_position_each_choice_was_shown_at_comes_from_the_recorded_order(tmp_path: Path, course: Course):
    scn = course.module("05-must-not").scenarios[0]
    path = full_credit_path(scn)
    orders = {}
    for choice in path:
        ids = [o.id for o in scn.step(choice["step"]).options]
        orders[choice["step"]] = [*ids[1:], ids[0]]  # any order: the first authored shown last
    folder = tmp_path / "submitted" / "ana" / "05-must-not"
    folder.mkdir(parents=True)
    answers = Answers(scenario=scn.id, choices=path, reflection="r", orders=orders)
    (folder / f"{scn.id}.answers.json").write_text(answers.to_json())
    write_answers(tmp_path / "submitted" / "ben" / "05-must-not", scn.id, path)  # no order recorded

    frame = read(tmp_path, course).choices
    ana, ben = frame[frame["student"] == "ana"], frame[frame["student"] == "ben"]
    for choice, (_, row) in zip(path, ana.iterrows(), strict=True):
        assert row["shown_at"] == orders[choice["step"]].index(choice["option"]) + 1
        assert row["options"] == len(scn.step(choice["step"]).options)
    assert ben["shown_at"].isna().all()
