"""The number in the gradebook: ``score`` turns the guard's verdict into the decisions' points,
and ``grade_scenario`` (what the ``decisions`` hidden test calls) reads the verdict file for it.

Fast: the real scenarios' keys are composed in-process, and every expected figure is worked
out from the authored (pydantic) scenarios by walking them here, never with ``course.engine``.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable

import pytest

from course.build.compose import grading_key
from course.documents import Verdict, verdict_path
from course.grading.score import grade_scenario, score
from course.policy import load_policy
from course.scenario.schema import Scenario
from course.status import VerdictStatus

from ..conftest import Taken, best_option, choices_of, ending_of, walk_model

NOT_RUN = (
    "Not graded: the course's submission guard did not run for this notebook. "
    "Check that grading/nbgrader_config.py is the configuration in use."
)
NOT_ATTEMPTED = "This scenario was not attempted: no answers were saved."
TAMPERED = "Scored 0: this submission was changed outside the course app."
HOSTILE_REASONS = [
    "the answers file holds <script>alert('x')</script>",
    'an edited cell: <img src=x onerror="alert(1)"> & more',
]


def plain(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, white space squashed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def worst_option(step):
    return min(step.options, key=lambda o: o.points)


def random_walk(scn: Scenario) -> Taken:
    """Any option at each step, and now and then the scenario left unfinished (seeded)."""
    rng = random.Random(f"score/{scn.id}")
    return walk_model(scn, lambda step: rng.choice(step.options), stop=lambda _step: rng.random() < 0.15)


PATHS: dict[str, Callable[[Scenario], Taken]] = {
    "best": lambda scn: walk_model(scn, best_option),
    "worst": lambda scn: walk_model(scn, worst_option),
    "random": random_walk,
    "unfinished": lambda scn: walk_model(scn, best_option)[:-1],  # the last decision not made
}


@pytest.fixture(scope="module")
def keys(course) -> dict[str, dict]:
    policy = load_policy()
    return {scn.id: grading_key(scn, policy) for scn in course.items}


def verdict(scn: Scenario, status: VerdictStatus, taken: Taken = (), **extra) -> Verdict:
    return Verdict(scenario=scn.id, status=status, choices=choices_of(list(taken)), **extra)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_ok_verdict_scores_the_points_of_the_options_chosen(course, keys, path):
    kinds = {"finished": 0, "unfinished": 0}
    for scn in course.items:
        taken = PATHS[path](scn)
        expected = sum(option.points for _, option in taken)
        key = keys[scn.id]
        result = score(key, verdict(scn, VerdictStatus.OK, taken, reflection="<script>alert(1)</script>"))
        assert result.points == expected, (scn.id, path)
        text = plain(result.html)
        assert text.startswith(f"Your decisions: {expected} of {key['max_points']} point"), (scn.id, text)
        at = 0
        for step, option in taken:  # every decision, in order, with what was chosen
            for fragment in (" ".join(step.prompt.split()), " ".join(option.text.split())):
                found = text.find(fragment, at)
                assert found >= 0, f"{scn.id} ({path}): {fragment!r} missing or out of order"
                at = found + len(fragment)
        ending = ending_of(scn, taken)
        if ending is None:
            kinds["unfinished"] += 1
            steps = {s.id: s for s in scn.steps}
            waiting = steps[taken[-1][1].next if taken else scn.start]
            assert f"Not finished: no choice was made at “{' '.join(waiting.prompt.split())}”" in text
        else:
            kinds["finished"] += 1
            assert "Not finished" not in text
            assert " ".join(ending.title.split()) in text[at:], scn.id
        assert "<script>" not in result.html  # the reflection is never part of this page
    if path in ("best", "worst"):
        assert kinds["unfinished"] == 0
    if path == "unfinished":
        assert kinds["finished"] == 0
    if path == "random":  # the seeded walks cover both, so both branches above were checked
        assert kinds["finished"] and kinds["unfinished"], kinds


def test_the_best_and_worst_paths_differ_so_the_sum_is_not_a_constant(course, keys):
    best = {
        scn.id: score(keys[scn.id], verdict(scn, VerdictStatus.OK, PATHS["best"](scn))).points
        for scn in course.items
    }
    worst = {
        scn.id: score(keys[scn.id], verdict(scn, VerdictStatus.OK, PATHS["worst"](scn))).points
        for scn in course.items
    }
    assert all(best[s] > worst[s] for s in best), {s for s in best if best[s] <= worst[s]}


def test_a_tampered_verdict_scores_0_whatever_it_chose_and_shows_the_reasons_escaped(course, keys):
    for scn in course.items:
        best = PATHS["best"](scn)
        result = score(keys[scn.id], verdict(scn, VerdictStatus.TAMPERED, best, reasons=HOSTILE_REASONS))
        assert result.points == 0, scn.id
        assert plain(result.html) == " ".join([TAMPERED, *HOSTILE_REASONS])
        assert "<script>" not in result.html and "<img" not in result.html
        for reason in HOSTILE_REASONS:
            assert html.escape(reason) in result.html
        assert " ".join(best[0][1].text.split()) not in plain(result.html)  # no path is shown


def test_a_not_started_verdict_scores_0_and_says_so(course, keys):
    for scn in course.items:
        result = score(keys[scn.id], verdict(scn, VerdictStatus.NOT_STARTED))
        assert result.points == 0 and plain(result.html) == NOT_ATTEMPTED, scn.id


def test_no_verdict_scores_0_and_says_the_guard_did_not_run(course, keys):
    for scn in course.items:
        result = score(keys[scn.id], None)
        assert result.points == 0 and plain(result.html) == NOT_RUN, scn.id
        assert "course&#x27;s" in result.html  # text, escaped like every message


@pytest.fixture
def shown(monkeypatch) -> list:
    """What ``grade_scenario`` displays (it shows its explanation through IPython's display)."""
    seen: list = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **_kw: seen.extend(objs))
    return seen


def test_grade_scenario_reads_the_verdict_file_and_returns_its_points(course, keys, tmp_path, shown):
    picked = dict(zip([s for s in course.items if s.reflection], ("best", "random", "worst"), strict=False))
    expected = {}
    for scn, path in picked.items():
        taken = PATHS[path](scn)
        expected[scn.id] = sum(option.points for _, option in taken)
        written = verdict(scn, VerdictStatus.OK, taken, reflection="mine").write(tmp_path)
        assert written == verdict_path(tmp_path, scn.id) and written.is_file()
    assert len(set(expected.values())) > 1, expected  # the files are told apart
    for scn in picked:
        shown.clear()
        assert grade_scenario(keys[scn.id], tmp_path) == expected[scn.id], scn.id
        (page,) = shown
        heading = f"Your decisions: {expected[scn.id]} of {keys[scn.id]['max_points']} point"
        assert plain(page.data).startswith(heading)


def test_grade_scenario_scores_0_for_a_tampered_or_missing_verdict(course, keys, tmp_path, shown):
    first, second = course.items[:2]
    verdict(first, VerdictStatus.TAMPERED, PATHS["best"](first), reasons=HOSTILE_REASONS).write(tmp_path)
    assert grade_scenario(keys[first.id], tmp_path) == 0
    assert plain(shown[-1].data) == " ".join([TAMPERED, *HOSTILE_REASONS])
    assert "<script>" not in shown[-1].data
    # No file for the second scenario: the first one's verdict is not taken for it.
    assert grade_scenario(keys[second.id], tmp_path) == 0
    assert plain(shown[-1].data) == NOT_RUN


def test_grade_scenario_reads_the_working_folder_by_default_and_runs_outside_a_kernel(
    course, keys, tmp_path, monkeypatch, capsys
):
    scn = course.items[0]
    best = PATHS["best"](scn)
    verdict(scn, VerdictStatus.OK, best).write(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert grade_scenario(keys[scn.id]) == sum(option.points for _, option in best) > 0
    assert "HTML object" in capsys.readouterr().out  # IPython's display, with no kernel to show it
