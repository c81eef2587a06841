"""Two tabs on one scenario (two kernels, two apps, one answers file): a choice confirmed in one
is never lost to the other without the trainee being told."""

from __future__ import annotations

import json
import threading
from html import escape

import pytest
from playwright.sync_api import expect

from course.documents import answers_path
from course.play.answers import read_answers
from course.play.app import ScenarioApp

from ..conftest import voila, watch
from .test_app import app_for, pick, saved

MODULE = "05-must-not"


@pytest.fixture
def module(course):
    return course.module(MODULE)


@pytest.fixture
def tabs(module, tmp_path) -> tuple[ScenarioApp, ScenarioApp]:
    """The same practice scenario open in two tabs, before anything is answered."""
    first = app_for(module, module.scenarios[0], tmp_path, assessed=False)
    return first, ScenarioApp(first.doc, first.folder)


def choose(page, option) -> None:
    page.get_by_role("radio", name=option.text).check()
    page.get_by_role("button", name="Confirm choice").click()


def option_text(app: ScenarioApp, option_id: str) -> str:
    return next(text for text, value in app.options.options if value == option_id)


def test_a_stale_tab_does_not_overwrite_a_choice_confirmed_in_the_other(tabs, tmp_path):
    a, b = tabs
    chosen = pick(a, 0)
    a_text, b_text = option_text(b, chosen), b.options.options[1][0]  # b shows the first step
    pick(b, 1)  # a choice made on a page that has not seen a's: not saved

    assert [c["option"] for c in saved(tmp_path, a)["choices"]] == [chosen]
    assert 'role="alert"' in b.elsewhere.value and "another tab or window" in b.elsewhere.value
    assert "your choice was not saved" in b.elsewhere.value
    assert b.answers.choices == a.answers.choices  # b now shows what was saved
    assert escape(a_text) in b.history.value and escape(b_text) not in b.history.value
    assert b.prompt.value == a.prompt.value  # both at the second step
    assert b.announce.value == ""  # nothing to announce as decided: the alert says what happened

    # b may choose again, on top of a's choice; now a is the stale one.
    second = pick(b, 1)
    assert b.elsewhere.value == ""
    assert [c["option"] for c in saved(tmp_path, b)["choices"]] == [chosen, second]
    pick(a, 0)
    assert "another tab or window" in a.elsewhere.value
    assert [c["option"] for c in saved(tmp_path, a)["choices"]] == [chosen, second]
    assert a.answers.choices == b.answers.choices


def test_a_reflection_typed_in_a_stale_tab_keeps_the_other_tabs_choices(tabs, tmp_path):
    a, b = tabs
    chosen = pick(a, 0)
    b.reflection.value = "Written in the second tab."
    on_disk = saved(tmp_path, a)
    assert [c["option"] for c in on_disk["choices"]] == [chosen]  # merged, not overwritten
    assert on_disk["reflection"] == "Written in the second tab."
    assert 'role="status"' in b.elsewhere.value and 'role="alert"' not in b.elsewhere.value
    assert "also answered in another tab or window" in b.elsewhere.value  # nothing was dropped
    assert b.answers.choices == a.answers.choices and b.history.value == a.history.value
    assert b.prompt.value == a.prompt.value  # b is redrawn at the second step
    pick(b, 0)  # b is up to date now: its next choice is saved
    assert len(saved(tmp_path, b)["choices"]) == 2 and b.elsewhere.value == ""


def test_a_choice_stands_when_the_other_tab_changed_only_the_reflection(tabs, tmp_path):
    """The page's choices are still the saved ones: the choice is saved with the other tab's
    reflection, and no alert is shown."""
    a, b = tabs
    a.reflection.value = "Written in the first tab."
    chosen = pick(b, 0)
    on_disk = saved(tmp_path, b)
    assert [c["option"] for c in on_disk["choices"]] == [chosen]
    assert on_disk["reflection"] == "Written in the first tab."
    assert b.elsewhere.value == "" and b.reflection.value == "Written in the first tab."


def test_start_again_in_a_stale_tab_does_not_wipe_the_other_tabs_choices(tabs, tmp_path):
    a, b = tabs
    chosen = pick(a, 0)
    b.action.click()  # Start again, on a page that has not seen a's choice
    b.confirm_restart.click()
    assert [c["option"] for c in saved(tmp_path, a)["choices"]] == [chosen]
    assert "it was not started again" in b.elsewhere.value and 'role="alert"' in b.elsewhere.value
    assert b.answers.choices == a.answers.choices
    b.action.click()  # asked again, on the page as saved: it starts again
    b.confirm_restart.click()
    assert saved(tmp_path, b)["choices"] == [] and b.elsewhere.value == ""


def test_a_stale_tab_takes_up_the_other_tabs_reflection_without_writing_it_back(tabs, tmp_path):
    a, b = tabs
    pick(a, 0)
    a.reflection.value = "From the first tab."
    path = answers_path(tmp_path, a.scenario["id"])
    before = path.stat().st_ino  # every save renames a new file into place
    pick(b, 1)
    assert b.reflection.value == "From the first tab."  # the box shows what was saved there
    assert path.stat().st_ino == before  # ...and setting it saved nothing, so a is not made stale
    pick(a, 0)
    assert a.elsewhere.value == "" and len(saved(tmp_path, a)["choices"]) == 2


@pytest.mark.parametrize("round_", range(30))
def test_two_tabs_confirming_at_the_same_moment_lose_nothing_silently(tabs, tmp_path, round_):
    """Both confirm a different option at once (threads; each app locks through its own file
    handle, as two kernels do): exactly one choice is saved and the other tab is told."""
    a, b = tabs
    a.options.value, b.options.value = a.options.options[0][1], b.options.options[1][1]
    together = threading.Barrier(2)

    def confirm(app: ScenarioApp) -> None:
        together.wait()
        app.confirm.click()

    threads = [threading.Thread(target=confirm, args=(app,)) for app in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    told = [app for app in (a, b) if "another tab or window" in app.elsewhere.value]
    kept = [app for app in (a, b) if app.elsewhere.value == ""]
    assert len(told) == 1 and len(kept) == 1, "both choices were taken as saved: one was lost"
    on_disk = read_answers(tmp_path, a.scenario)
    assert on_disk is not None and len(on_disk.choices) == 1
    assert on_disk.choices == kept[0].answers.choices == told[0].answers.choices


def test_a_lone_surrogate_typed_in_the_reflection_is_saved_as_a_replacement_character(tabs, tmp_path):
    a, _ = tabs
    a.reflection.value = "Half an emoji: \ud83d, and on."  # a browser can send this over the wire
    text = answers_path(tmp_path, a.scenario["id"]).read_text(encoding="utf-8")
    assert json.loads(text)["reflection"] == "Half an emoji: \ufffd, and on."
    assert "Your answers are saved" in a.saved.value
    assert read_answers(tmp_path, a.scenario).reflection == "Half an emoji: \ufffd, and on."


@pytest.mark.browser
@pytest.mark.slow
def test_two_pages_of_one_browser_on_one_scenario(practice_site, browser, course):
    """In Chromium: page A confirms a choice, then page B (opened before it, so stale) confirms
    a different one at the same step. A's choice stays saved; B says so and shows it."""
    scn = course.module(MODULE).scenarios[0]
    first = scn.step(scn.start)
    a_option, b_option = first.options[0], first.options[1]
    with voila(practice_site) as server:
        context = browser.new_context()  # one browser: both pages carry the same learner cookie
        url = f"{server.url}/voila/render/practice/{MODULE}/{scn.id}.ipynb"
        page_a = context.new_page()
        page_a.goto(url)  # first alone: its response sets the learner cookie B then sends
        page_a.locator(".mip-confirm").wait_for(timeout=60_000)
        page_b = context.new_page()
        seen_b = watch(page_b)
        page_b.goto(url)
        page_b.locator(".mip-confirm").wait_for(timeout=60_000)
        assert server.learner_folder(page_a) == server.learner_folder(page_b)

        choose(page_a, a_option)
        expect(page_a.locator(".mip-chosen")).to_have_count(1, timeout=30_000)  # A's kernel saved it
        choose(page_b, b_option)
        alert = page_b.get_by_role("alert").filter(has_text="another tab or window")
        expect(alert).to_be_visible(timeout=30_000)
        expect(alert).to_contain_text("your choice was not saved")

        file = answers_path(server.learner_folder(page_a) / MODULE, scn.id)
        assert json.loads(file.read_text())["choices"] == [{"step": first.id, "option": a_option.id}]
        chosen_b = page_b.locator(".mip-chosen")
        expect(chosen_b).to_have_count(1, timeout=30_000)
        expect(chosen_b).to_contain_text(a_option.text)
        expect(page_b.get_by_role("heading", name=scn.step(a_option.next).prompt)).to_be_visible()
        assert seen_b.errors == [] and seen_b.external == []
        context.close()
