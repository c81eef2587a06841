"""The app in real headless Chromium (Debian's), driven by Playwright, as a trainee uses it."""

from __future__ import annotations

import json
import urllib.request

import pytest
from nbgrader.api import Gradebook

from course.play.answers import answers_path
from course.scenario.validate import max_points as max_points_of

from .conftest import BIN, run, voila

MODULE = "05-must-not"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def best_choices(scn):
    steps = {s.id: s for s in scn.steps}
    node, picked = scn.start, []
    while node in steps:
        option = max(steps[node].options, key=lambda o: o.points)
        picked.append((steps[node], option))
        node = option.next
    return picked, node


def choose(page, option) -> None:
    page.get_by_role("radio", name=option.text).check()
    page.get_by_role("button", name="Confirm choice").click()


def test_practice_play_by_clicking_then_reload_restores_answers(practice_site, browser, course):
    scn = course.module(MODULE).scenarios[0]
    picked, ending_id = best_choices(scn)
    ending = next(e for e in scn.endings if e.id == ending_id)
    reflection = "Declining formally keeps the frame clear <b>and</b> kind."
    with voila(practice_site) as server:
        url = server.url
        page = browser.new_page()
        page.goto(f"{url}/")  # the root URL is the landing page
        page.get_by_role("link", name=scn.title).click()
        page.wait_for_selector(".mip-confirm", timeout=60_000)
        for n, (step, option) in enumerate(picked):
            page.get_by_role("heading", name=step.prompt).wait_for()
            choose(page, option)
            feedback = page.locator(".mip-feedback").nth(n)
            feedback.wait_for()
            assert option.feedback.split(".")[0] in feedback.inner_text()
            assert f"{option.points} of {step.points} point" in feedback.inner_text()
        page.get_by_role("heading", name=ending.title).wait_for()
        page.locator(".mip-reflection textarea").fill(reflection)
        page.get_by_text("Your answers are saved").wait_for()

        saved = answers_path(practice_site / "practice" / MODULE, scn.id)
        data = json.loads(saved.read_text())
        assert [c["option"] for c in data["choices"]] == [o.id for _, o in picked]
        page.wait_for_function("() => document.querySelector('.mip-reflection textarea').value.length > 0")
        assert json.loads(saved.read_text())["reflection"] == reflection

        page.reload()
        page.locator(".mip-chosen").nth(len(picked) - 1).wait_for(timeout=60_000)
        assert page.locator(".mip-chosen").count() == len(picked)
        assert page.locator(".mip-reflection textarea").input_value() == reflection
        page.get_by_role("heading", name=ending.title).wait_for()
        assert not page.get_by_role("button", name="Confirm choice").is_visible()

        page.get_by_role("link", name="Back to the course").click()
        page.get_by_role("link", name=scn.title).wait_for(timeout=60_000)
        assert page.url.endswith("/voila/render/index.ipynb")
        page.close()


def test_assessed_mode_hides_the_key_and_submits_as_the_trainee(nbgrader_course, browser, course):
    nbc = nbgrader_course
    nbc.nbgrader("generate_assignment", MODULE)
    nbc.nbgrader("release_assignment", MODULE)
    home = nbc.trainee_home("gus")
    run([str(BIN / "nbgrader"), "fetch_assignment", MODULE], cwd=home, JUPYTER_CONFIG_DIR=str(home))
    scn = course.module(MODULE).scenarios[0]
    first_step = scn.step(scn.start)
    option = min(first_step.options, key=lambda o: o.points)
    key_texts = [o.feedback for s in scn.steps for o in s.options] + [scn.reflection.rubric]

    env = {
        "JUPYTER_CONFIG_DIR": str(home),
        "JUPYTER_DATA_DIR": str(home / ".data"),
        "COURSE_TRAINEE_ID": "gus",
    }
    with voila(home, **env) as server:
        url = server.url
        page_url = f"{url}/voila/render/{MODULE}/{scn.id}.ipynb"
        served = urllib.request.urlopen(page_url, timeout=60).read().decode()
        assert scn.title in served and not any(t in served for t in key_texts)

        page = browser.new_page()
        page.goto(page_url)
        page.wait_for_selector(".mip-confirm", timeout=60_000)
        choose(page, option)
        page.locator(".mip-consequence").get_by_text(option.consequence.split(".")[0]).wait_for()
        assert page.locator(".mip-feedback").count() == 0
        content = page.content()
        assert not any(t in content for t in key_texts)

        page.reload()
        page.locator(".mip-chosen").first.wait_for(timeout=60_000)
        assert option.text in page.locator(".mip-chosen").first.inner_text()

        page.get_by_role("button", name="Submit module for grading").click()
        items = len(course.module(MODULE).items)
        finished = int(option.next in {e.id for e in scn.endings})  # one choice made, in one item
        page.get_by_text(f"for grading: {finished} of {items} items finished").wait_for()
        assert not list(nbc.exchange.glob("mip-social-media/inbound/*"))  # nothing sent yet
        page.get_by_role("button", name="Yes, submit now").click()
        page.get_by_text("Submitted this module").wait_for(timeout=60_000)
        page.get_by_role("button", name="Get my feedback").click()
        page.get_by_text("No feedback yet").wait_for(timeout=60_000)

        inbound = nbc.exchange / "mip-social-media" / "inbound"
        (submission,) = [p for p in inbound.iterdir() if p.name.startswith(f"gus+{MODULE}+")]
        saved = json.loads((submission / f"{scn.id}.answers.json").read_text())
        assert saved["choices"] == [{"step": first_step.id, "option": option.id}]

        # The tutor grades and releases feedback with nbgrader's own commands...
        for command in ("collect", "autograde", "generate_feedback", "release_feedback"):
            nbc.nbgrader(command, MODULE)
        with Gradebook(f"sqlite:///{nbc.root / 'gradebook.db'}", "mip-social-media") as gb:
            assert gb.find_grade("decisions", scn.id, MODULE, "gus").score == option.points

        # ...and the trainee reads it in the app: the explanations, never the key's code.
        page.get_by_role("button", name="Get my feedback").click()
        feedback = page.frame_locator(".mip-feedback-page")
        max_points = max_points_of(scn)
        feedback.get_by_text(f"Your decisions: {option.points} of {max_points} points").wait_for(
            timeout=60_000
        )
        assert option.feedback.split(".")[0] in feedback.locator("body").inner_text()
        assert "grade_scenario" not in page.locator(".mip-feedback-page").get_attribute("srcdoc")
        page.close()
