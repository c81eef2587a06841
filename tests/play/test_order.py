"""Options are shown shuffled per viewer and step, the same on every visit, and recorded."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from course.build.compose import public_scenario
from course.documents import InvalidAnswers, parse_answers
from course.engine import walk, walk_score
from course.play.app import ScenarioApp
from course.play.learner import LEARNER_ENV
from course.play.order import in_order, option_order

from .test_app import app_for, pick, saved

VIEWERS = [f"learner-{n:03d}" for n in range(400)]


def decisions(course):
    return [(item.id, step.model_dump()) for item in course.items for step in item.steps]


def test_an_order_is_a_permutation_and_the_same_on_every_visit(course):
    for scenario_id, step in decisions(course):
        ids = [o["id"] for o in step["options"]]
        order = option_order("someone", scenario_id, step)
        assert sorted(order) == sorted(ids)
        assert option_order("someone", scenario_id, step) == order
        assert [o["id"] for o in in_order(step, order)] == order


def test_two_viewers_mostly_see_different_orders(course):
    steps = decisions(course)
    differ = sum(option_order("ana", s, step) != option_order("ben", s, step) for s, step in steps)
    # Two random orders of 3 or 4 options agree with probability 1/6 or 1/24.
    assert differ >= 0.7 * len(steps), f"{differ} of {len(steps)} decisions differ"


def test_the_best_answer_lands_in_every_position_about_equally(course):
    """Over many viewers, the full-credit option of a single-answer step is spread over the
    positions as chance spreads it (each within 40% of its expected count)."""
    for item in course.items:
        for step in item.steps:
            full = [o.id for o in step.options if o.points == step.points]
            if len(full) != 1:
                continue
            dumped = step.model_dump()
            positions = Counter(option_order(v, item.id, dumped).index(full[0]) for v in VIEWERS)
            expected = len(VIEWERS) / len(step.options)
            for position in range(len(step.options)):
                assert abs(positions[position] - expected) < 0.4 * expected, (item.id, step.id, positions)
            return  # one step is enough for the distribution; the permutation test covers all


@pytest.fixture
def module(course):
    return course.module("05-must-not")


def viewer_app(module, folder, viewer: str, monkeypatch) -> ScenarioApp:
    monkeypatch.setenv(LEARNER_ENV, viewer)
    return app_for(module, module.scenarios[0], folder, assessed=False)


def test_the_page_shows_the_viewers_order_and_saves_it_with_the_choice(module, tmp_path, monkeypatch):
    viewer = "a" * 32  # a learner id the server could have issued
    app = viewer_app(module, tmp_path, viewer, monkeypatch)
    scn = app.scenario
    step = walk(scn, []).current
    order = option_order(viewer, scn["id"], step)
    assert [value for _, value in app.options.options] == order
    pick(app, 0)
    assert saved(tmp_path, app)["orders"] == {step["id"]: order}
    again = viewer_app(module, tmp_path, viewer, monkeypatch)  # a reload
    assert again.answers.orders == {step["id"]: order}


def test_two_learners_see_different_orders_and_the_same_path_scores_the_same(module, tmp_path, monkeypatch):
    scn = module.scenarios[0]
    step = scn.step(scn.start).model_dump()
    # Two learner ids whose orders differ for the first decision (most pairs do).
    first = "a" * 32
    second = next(
        v
        for v in (f"{n:032d}" for n in range(100))
        if option_order(v, scn.id, step) != option_order(first, scn.id, step)
    )
    scores = []
    for n, viewer in enumerate((first, second)):
        folder = tmp_path / str(n)
        folder.mkdir()
        app = viewer_app(module, folder, viewer, monkeypatch)
        shown = [value for _, value in app.options.options]
        assert shown == option_order(viewer, scn.id, step)
        while walk(app.scenario, app.answers.choices).current is not None:
            pick(app, 0)  # the same authored option each time, wherever it is shown
        scores.append((app.answers.choices, walk_score(walk(app.scenario, app.answers.choices))))
    assert scores[0] == scores[1]


def answers_json(scenario, **fields) -> str:
    data = {
        "format": 3,
        "scenario": scenario["id"],
        "choices": [],
        "reflection": "",
        "updated": "",
        "policy_version": "2021-09",
        "orders": {},
    }
    return json.dumps({**data, **fields})


def test_answers_saved_before_orders_were_recorded_still_read(course):
    scenario = public_scenario(course.scenarios[0])
    text = json.loads(answers_json(scenario))
    del text["orders"]
    text["format"] = 2
    assert parse_answers(json.dumps(text), scenario).orders == {}


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda step, ids: [], "must be an object"),
        (lambda step, ids: {"no-such-step": ids}, "has not"),
        (lambda step, ids: {step: ["x"]}, "not an order"),
        (lambda step, ids: {step: "".join(ids)}, "not an order"),
        (lambda step, ids: {step: [*ids, ids[0]]}, "not an order"),
        (lambda step, ids: {step: ids[1:]}, "not an order"),
        (lambda step, ids: {step: list(range(len(ids)))}, "not an order"),
    ],
)
def test_a_recorded_order_that_is_not_an_order_of_the_steps_options_is_refused(course, make, problem):
    scenario = public_scenario(course.scenarios[0])
    start = walk(scenario, []).current
    orders = make(start["id"], [o["id"] for o in start["options"]])
    with pytest.raises(InvalidAnswers, match=problem):
        parse_answers(answers_json(scenario, orders=orders), scenario)
