"""The trainee app as a person meets it: offline, without console errors, accessible (axe-core,
WCAG 2.x A/AA), and playable with the keyboard alone."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from course.play.answers import answers_path

from .conftest import axe_violations, voila, watch

MODULE = "05-must-not"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where page screenshots go: docs/screenshots when COURSE_SCREENSHOTS names it (the README
    shows those), else a scratch folder, so ordinary runs leave the repository untouched."""
    folder = Path(os.environ.get("COURSE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def site(practice_site):
    with voila(practice_site) as server:
        yield server, practice_site


def best_index(step) -> int:
    return max(range(len(step.options)), key=lambda i: step.options[i].points)


def test_every_page_is_offline_error_free_and_passes_axe(site, browser, course, shots):
    server, _ = site
    url = server.url
    module = course.module(MODULE)
    scn, check = module.scenarios[1], module.check
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    seen = watch(page)
    audited = {}

    def audit(name: str) -> None:
        page.wait_for_timeout(300)  # let widget updates settle
        audited[name] = axe_violations(page)

    page.goto(f"{url}/")
    page.locator(".mip-landing").wait_for(timeout=60_000)
    audit("landing")
    page.screenshot(path=shots / "landing.png")
    page.goto(f"{url}/voila/render/practice/{MODULE}/reading.ipynb")
    page.locator(".mip-reading").wait_for(timeout=60_000)
    audit("reading")
    scenario_url = f"{url}/voila/render/practice/{MODULE}/{scn.id}.ipynb"
    # The page as served, before its kernel has run: a plain-words status, not a blank page.
    served = urllib.request.urlopen(scenario_url, timeout=60).read().decode()
    assert '<div id="loading" style="display: flex;" role="status"' in served
    assert "Preparing this page" in served
    page.goto(scenario_url)
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    assert not page.locator("#loading").is_visible()  # gone once the page is ready
    audit("scenario")
    group = page.locator(".mip-options .widget-radio-box")
    assert group.get_attribute("role") == "radiogroup"
    assert group.get_attribute("aria-labelledby") == "mip-prompt"
    step = scn.step(scn.start)
    page.get_by_role("radio", name=step.options[0].text).check()
    page.get_by_role("button", name="Confirm choice").click()
    page.locator(".mip-feedback").wait_for()
    live = page.locator(".mip-announce .widget-html-content")
    assert live.get_attribute("aria-live") == "polite"
    assert step.options[0].text in live.inner_text()  # feedback is announced
    audit("feedback")
    page.screenshot(path=shots / "scenario.png", full_page=True)
    assert (shots / "landing.png").stat().st_size > 10_000
    page.goto(f"{url}/voila/render/practice/{MODULE}/{check.id}.ipynb")
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    first = check.step(check.start)
    page.get_by_role("radio", name=first.options[0].text).check()
    page.get_by_role("button", name="Confirm choice").click()
    page.locator(".mip-feedback").wait_for()
    audit("knowledge check")

    assert audited == {name: [] for name in audited}
    assert seen.errors == [] and seen.external == []
    page.close()
    # Leaving a page shuts its kernel down (Voila's beacon is accepted, not refused with 403):
    # the test left three pages.
    deadline = time.monotonic() + 10
    while server.log.read_text().count("Kernel shutdown") < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.log.read_text().count("Kernel shutdown") >= 3


def test_a_whole_scenario_can_be_played_with_the_keyboard_alone(site, browser, course):
    server, folder = site
    url = server.url
    scn = course.module(MODULE).scenarios[0]
    page = browser.new_page()
    page.goto(f"{url}/voila/render/practice/{MODULE}/{scn.id}.ipynb")
    page.locator(".mip-confirm").wait_for(timeout=60_000)

    def focus(predicate: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => {{ const e = document.activeElement; return {predicate}; }}"):
                return
        raise AssertionError(f"keyboard focus never reached: {predicate}")

    steps = {s.id: s for s in scn.steps}
    node, chosen = scn.start, []
    while node in steps:
        step = steps[node]
        page.get_by_role("heading", name=step.prompt).wait_for()
        focus("e.type === 'radio'")
        target = best_index(step)
        if target == 0:
            page.keyboard.press("Space")
        for _ in range(target):
            page.keyboard.press("ArrowDown")  # moves and selects, as in any radio group
        focus("e.tagName === 'BUTTON' && e.textContent.includes('Confirm choice')")
        page.keyboard.press("Enter")
        option = step.options[target]
        chosen.append(option.id)
        page.locator(".mip-chosen").nth(len(chosen) - 1).wait_for()
        node = option.next

    focus("e.tagName === 'TEXTAREA'")
    page.keyboard.type("Declined formally, by the clinic's e-mail.")
    page.get_by_text("Your answers are saved").wait_for()
    saved = json.loads(answers_path(folder / "practice" / MODULE, scn.id).read_text())
    assert [c["option"] for c in saved["choices"]] == chosen
    page.wait_for_function("() => true")
    focus("e.tagName === 'A' && e.textContent.includes('Next')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{course.module(MODULE).scenarios[1].id}.ipynb")
    page.close()


def test_landing_shows_progress_and_the_certificate_page_is_accessible(site, browser, course):
    from course.play.answers import Answers, save_answers

    server, folder = site
    content = course.module(MODULE)
    for item in content.items:  # a trainee who has finished module 05 (saved as the app saves)
        steps, node, choices = {s.id: s for s in item.steps}, item.start, []
        while node in steps:
            option = steps[node].options[best_index(steps[node])]
            choices.append({"step": node, "option": option.id})
            node = option.next
        save_answers(folder / "practice" / MODULE, Answers(scenario=item.id, choices=choices))
    page = browser.new_page()
    seen = watch(page)
    page.goto(f"{server.url}/")
    section = page.locator(f"section[aria-labelledby='m-{MODULE}']")
    section.wait_for(timeout=60_000)
    assert f"completed · {len(content.items)} of {len(content.items)} done" in section.inner_text()
    assert f"estimated time {content.module.cpd_minutes} minutes" in section.inner_text()
    first = course.modules[0]
    page.get_by_role("link", name=f"Continue where you left off: Reading: {first.module.title}").wait_for()
    assert axe_violations(page) == []

    page.goto(f"{server.url}/voila/render/certificate.ipynb")
    page.get_by_label("Your name").fill("Siobhan O'Neill-Ahmed")
    certificate = page.locator(".mip-certificate")
    certificate.get_by_text("Siobhan O'Neill-Ahmed").wait_for()
    text = certificate.inner_text()
    assert content.module.title in text and "version 2021-09" in text
    assert f"{round(content.module.cpd_minutes / 60, 1):g} hours" in text
    assert axe_violations(page) == []
    assert seen.errors == [] and seen.external == []
    page.close()


def test_every_kind_of_situation_is_drawn_and_accessible(site, browser, course):
    server, _ = site
    first_of_kind = {}
    for scn in course.scenarios:
        first_of_kind.setdefault(scn.situation.artefact.kind, scn)
    assert len(first_of_kind) >= 8  # posts, threads, requests, messages, e-mails, tags, results...
    page = browser.new_page()
    seen = watch(page)
    failures = {}
    for kind, scn in sorted(first_of_kind.items()):
        page.goto(f"{server.url}/voila/render/practice/{scn.module}/{scn.id}.ipynb")
        figure = page.locator(f"figure.mip-art-{kind}")
        figure.wait_for(timeout=60_000)
        assert scn.situation.artefact.author in figure.inner_text()
        if violations := axe_violations(page):
            failures[kind] = violations
    assert failures == {}
    assert seen.errors == [] and seen.external == []
    page.close()
