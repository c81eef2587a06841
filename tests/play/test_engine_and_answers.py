"""The walk rules and the answers file: what the app saves is what the grader accepts."""

from __future__ import annotations

import json

import pytest

from course.build.compose import public_scenario
from course.documents import MAX_ANSWERS_BYTES, Answers, InvalidAnswers, parse_answers
from course.engine import InvalidChoices, walk
from course.play.answers import read_answers, save_answers

from ..conftest import best_path  # from the authored model, independently of the engine


@pytest.fixture
def scenario(course):
    return course.module("05-must-not").scenarios[0]


def test_walk_follows_choices_to_an_ending(scenario):
    data = scenario.model_dump(mode="json")
    choices = best_path(scenario)
    played = walk(data, choices)
    assert played.finished and played.current is None
    assert [o["id"] for _, o in played.taken] == [c["option"] for c in choices]
    partial = walk(data, choices[:1])
    assert not partial.finished and partial.current["id"] == choices[1]["step"]


def test_walk_works_on_the_public_scenario_too(scenario):
    assert walk(public_scenario(scenario), best_path(scenario)).finished


@pytest.mark.parametrize(
    "choices, message",
    [
        ([{"step": "nope", "option": "x"}], "expected step"),
        ([{"step": "request", "option": "nope"}], "has no option 'nope'"),
        ([{"step": "request"}], "expected {'step'"),
    ],
)
def test_walk_rejects_impossible_paths(scenario, choices, message):
    with pytest.raises(InvalidChoices, match=message):
        walk(scenario.model_dump(mode="json"), choices)


def test_walk_rejects_choices_after_the_end(scenario):
    choices = best_path(scenario)
    with pytest.raises(InvalidChoices, match="after the scenario had ended"):
        walk(scenario.model_dump(mode="json"), [*choices, choices[0]])


def test_save_then_read_round_trips(tmp_path, scenario):
    answers = Answers(scenario=scenario.id, choices=best_path(scenario)[:1], reflection="Because…")
    path = save_answers(tmp_path, answers)
    assert path.name == f"{scenario.id}.answers.json"
    assert read_answers(tmp_path, public_scenario(scenario)) == answers
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_no_answers_file_means_not_started(tmp_path, scenario):
    assert read_answers(tmp_path, public_scenario(scenario)) is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("import os; os.system('rm -rf /')", "not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"format": 1}', "fields are"),
        ("x" * (MAX_ANSWERS_BYTES + 1), "bytes"),
        ("[" * 60_000, "nests deeper"),
    ],
)
def test_garbage_is_rejected_with_a_reason(scenario, text, message):
    with pytest.raises(InvalidAnswers, match=message):
        parse_answers(text, public_scenario(scenario))


def test_answers_for_another_scenario_or_impossible_choices_are_rejected(scenario):
    good = json.loads(Answers(scenario=scenario.id, choices=best_path(scenario)).to_json())
    with pytest.raises(InvalidAnswers, match="for scenario 'other'"):
        parse_answers(json.dumps({**good, "scenario": "other"}), public_scenario(scenario))
    bad = {**good, "choices": [{"step": "request", "option": "hack"}]}
    with pytest.raises(InvalidAnswers, match="do not follow the scenario"):
        parse_answers(json.dumps(bad), public_scenario(scenario))
