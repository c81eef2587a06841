"""A trainee's reflections as they take them away for their CPD log, in Chromium against `course
serve`: written on a scenario page, downloaded from that page and from the landing page as the PDF
the server makes, and read back as text, as a person would."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from course.documents import answers_path
from course.play.learner import LEARNER_COOKIE, new_learner_id

from .conftest import axe_violations, read_pdf, voila, watch

MODULE = "05-must-not"
LINK = "Download all my reflections (PDF)"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def flat(text: str) -> str:
    return " ".join(text.split())


def follow_download(page) -> str:
    """Click the link; it opens a tab that becomes the download (Chromium closes it): the PDF's text.
    The page itself is never left (leaving would stop its kernel). Playwright reports the download
    on the new tab or, when it closes at once, on the page that opened it: either will do."""
    downloads = []

    def keep(download) -> None:
        downloads.append(download)

    def watch_tab(tab) -> None:
        tab.on("download", keep)

    page.on("download", keep)
    page.context.on("page", watch_tab)
    try:
        page.get_by_role("link", name=LINK).click()
        deadline = time.monotonic() + 120
        while not downloads and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    finally:
        page.context.remove_listener("page", watch_tab)
        page.remove_listener("download", keep)
    (download,) = downloads
    assert download.suggested_filename == "mip-cpd-reflections.pdf"
    return read_pdf(Path(download.path()).read_bytes()).text


@pytest.mark.parametrize("base", ["/", "/mip/"], ids=["at the root", "under a base URL"])
def test_a_reflection_written_on_a_page_downloads_with_its_scenario_from_there_and_the_landing_page(
    practice_site, browser, course, base
):
    scenario = course.module(MODULE).scenarios[0]
    mine = "I would decline the request and say why in our next session. <b>Not bold</b> 🙂"
    with voila(practice_site, f"--Voila.base_url={base}") as server:
        learner = new_learner_id()
        context = browser.new_context(accept_downloads=True)
        context.add_cookies([{"name": LEARNER_COOKIE, "value": learner, "url": server.url}])
        page = context.new_page()
        seen = watch(page)
        site = f"{server.url}{base}"
        page.goto(f"{site}voila/render/practice/{MODULE}/{scenario.id}.ipynb")
        page.locator(".mip-confirm").wait_for(timeout=60_000)

        # Nothing written yet: a tab says so in plain words, and this page carries on.
        with context.expect_page() as opened:
            page.get_by_role("link", name=LINK).click()
        refusal = opened.value
        refusal.get_by_role("heading", name="No reflections yet").wait_for(timeout=60_000)
        assert "You have not written a reflection yet" in refusal.inner_text("main")
        refusal.close()

        first = page.locator(".mip-options input[type=radio]").first
        chosen = flat(first.locator("xpath=..").inner_text())  # the option as this learner sees it
        first.check()
        page.get_by_role("button", name="Confirm choice").click()
        page.locator(".mip-chosen").first.wait_for()
        page.get_by_placeholder("Write your reflection here").fill(mine)
        page.get_by_text("Your answers are saved").wait_for()
        page.wait_for_timeout(300)  # let widget updates settle
        assert axe_violations(page) == []

        text = follow_download(page)
        assert scenario.title in text and flat(scenario.reflection.prompt) in text
        assert flat(mine) in text and f"1. {chosen}" in text
        # The page is still live: what is written next is saved.
        page.get_by_placeholder("Write your reflection here").fill(mine + " And one more thought.")
        saved = answers_path(server.progress / learner / MODULE, scenario.id)
        deadline = time.monotonic() + 30
        while "one more thought" not in saved.read_text() and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert json.loads(saved.read_text())["reflection"].endswith("And one more thought.")

        page.goto(site)
        page.locator(".mip-landing").wait_for(timeout=60_000)
        again = follow_download(page)
        assert scenario.title in again and f"{flat(mine)} And one more thought." in again
        assert seen.errors == [] and seen.external == []
        context.close()
