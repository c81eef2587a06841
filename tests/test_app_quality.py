"""The trainee app as a person meets it: offline, without console errors, accessible (axe-core,
WCAG 2.x A/AA), and playable with the keyboard alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from course.build.notebooks import build_course
from course.documents import Answers
from course.play.answers import save_answers
from course.play.award import hours_minutes
from course.play.learner import LEARNER_COOKIE, new_learner_id
from course.play.order import option_order
from course.policy import load_policy
from course.render import FORMAT_NOUNS
from course.scenario.schema import ArtefactFormat, ArtefactKind

from .conftest import LAPTOP, PHONE, WCAG_TAGS, axe_violations, choices_of, read_pdf, voila, walk_model, watch

MODULE = "05-must-not"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def site(practice_site):
    with voila(practice_site) as server:
        yield server, practice_site


def best_index(step) -> int:
    return max(range(len(step.options)), key=lambda i: step.options[i].points)


@pytest.mark.parametrize("device", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_is_offline_error_free_and_passes_axe(site, browser, course, shots, device):
    server, _ = site
    url = server.url
    module = course.module(MODULE)
    scn, check = module.scenarios[1], module.check
    phone = device is PHONE
    page = browser.new_context(**device).new_page()
    seen = watch(page)
    audited = {}

    def audit(name: str) -> None:
        page.wait_for_timeout(300)  # let widget updates settle
        audited[name] = axe_violations(page)

    page.goto(f"{url}/")
    page.locator(".mip-landing").wait_for(timeout=60_000)
    assert page.title() == "MIP Social Media Policy"  # page titles name the page, not the file
    audit("landing")
    page.screenshot(path=shots / ("landing-phone.png" if phone else "landing.png"))
    page.goto(f"{url}/voila/render/practice/{MODULE}/reading.ipynb")
    page.locator(".mip-reading").wait_for(timeout=60_000)
    assert page.title() == f"Reading - {module.module.title} - MIP Social Media Policy"
    audit("reading")
    scenario_url = f"{url}/voila/render/practice/{MODULE}/{scn.id}.ipynb"
    # The page as served, before its kernel has run: a plain-words status, not a blank page.
    served = urllib.request.urlopen(scenario_url, timeout=60).read().decode()
    assert '<div id="loading" style="display: flex;" role="status"' in served
    assert "Preparing this page" in served
    page.goto(scenario_url)
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    assert not page.locator("#loading").is_visible()  # gone once the page is ready
    assert page.title() == f"{scn.title} - {module.module.title} - MIP Social Media Policy"
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
    page.screenshot(path=shots / ("scenario-phone.png" if phone else "scenario.png"))
    assert (shots / ("landing-phone.png" if phone else "landing.png")).stat().st_size > 10_000
    page.goto(f"{url}/voila/render/practice/{MODULE}/{check.id}.ipynb")
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    first = check.step(check.start)
    page.get_by_role("radio", name=first.options[0].text).check()
    page.get_by_role("button", name="Confirm choice").click()
    page.locator(".mip-feedback").wait_for()
    audit("knowledge check")
    page.goto(f"{url}/voila/render/certificate.ipynb")
    page.locator(".mip-certificate-page").wait_for(timeout=60_000)
    assert page.title() == "Your CPD certificate - MIP Social Media Policy"
    audit("certificate")
    for route, name in (("resume", "resume"), ("verify?c=not-a-certificate", "verification refused")):
        page.goto(f"{url}/{route}")
        audit(name)

    assert audited == {name: [] for name in audited}
    assert [e for e in seen.errors if "400 (Bad Request)" not in e] == []  # the refusal's own status
    assert seen.external == []
    page.context.close()
    # Leaving a page shuts its kernel down (Voila's beacon is accepted, not refused with 403):
    # the test left five pages with kernels.
    deadline = time.monotonic() + 10
    while server.log.read_text().count("Kernel shutdown") < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.log.read_text().count("Kernel shutdown") >= 5


def best_choices(item) -> list[dict[str, str]]:
    return choices_of(walk_model(item, lambda step: step.options[best_index(step)]))


def as_learner(browser, server, **context_options):
    """A browser context whose learner id is known, so that answers can be seeded for it."""
    learner = new_learner_id()
    context = browser.new_context(**context_options)
    context.add_cookies([{"name": LEARNER_COOKIE, "value": learner, "url": server.url}])
    return context, server.progress / learner


def complete_as(folder: Path, content, version: str | None = None) -> None:
    """A learner who has finished ``content`` (saved as the app saves)."""
    for item in content.items:
        answers = Answers(item.id, best_choices(item), policy_version=version or load_policy().version)
        save_answers(folder / content.module.id, answers)


def test_what_is_confirmed_is_the_option_shown_chosen_however_fast_the_keys(site, browser, course):
    """Arrow keys pressed faster than the kernel answers, then Enter on Confirm: the browser holds
    the later choices back (ipywidgets' throttle) while the click goes at once, so the app must
    not confirm a choice the trainee has already moved on from."""
    server, _ = site
    context, _ = as_learner(browser, server)
    page = context.new_page()
    item = next(s for s in course.module(MODULE).scenarios if len(s.step(s.start).options) >= 4)
    page.goto(f"{server.url}/voila/render/practice/{MODULE}/{item.id}.ipynb")
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    page.locator(".mip-options input[type=radio]").first.focus()
    for k in range(1, 4):
        page.keyboard.press("ArrowDown")
        page.wait_for_function(
            "k => document.querySelectorAll('.mip-options input[type=radio]')[k].checked", arg=k
        )
    seen = page.locator(".mip-options input[type=radio]:checked").locator("xpath=..").inner_text()
    for _ in range(20):  # on to the button, by the keyboard
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.includes('Confirm choice')"):
            break
    page.keyboard.press("Enter")
    page.locator(".mip-chosen").wait_for(timeout=60_000)
    assert page.locator(".mip-chosen").inner_text() == f"You chose: {seen.strip()}"
    context.close()


def test_the_whole_course_can_be_played_with_the_keyboard_alone(site, browser, course):
    """From the landing page to the certificate, every page of every module, by the keyboard:
    Tab to move, arrows to choose, Enter and Space to act. This is also the self-study
    play-through of each module."""
    server, _ = site
    context, folder = as_learner(browser, server)  # a known learner: the options' order is theirs
    page = context.new_page()
    seen = watch(page)

    def focus(predicate: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => {{ const e = document.activeElement; return {predicate}; }}"):
                return
        raise AssertionError(f"{page.url}: keyboard focus never reached: {predicate}")

    def follow(predicate: str) -> None:
        focus(predicate)
        with page.expect_navigation():
            page.keyboard.press("Enter")

    page.goto(f"{server.url}/")
    page.locator(".mip-landing").wait_for(timeout=60_000)
    follow("e.tagName === 'A' && e.textContent.startsWith('Start module 1')")
    played = []
    for content in course.modules:
        page.locator(".mip-reading").wait_for(timeout=60_000)
        assert page.url.endswith(f"/{content.module.id}/reading.ipynb")
        for item in content.items:
            follow("e.tagName === 'A' && e.rel === 'next'")
            page.locator(".mip-confirm").wait_for(timeout=60_000)
            assert page.url.endswith(f"/{content.module.id}/{item.id}.ipynb")
            path = walk_model(item, lambda step: step.options[best_index(step)])
            for chosen, (step, best) in enumerate(path, start=1):
                page.get_by_role("heading", name=step.prompt).wait_for()
                focus("e.type === 'radio'")
                target = option_order(folder.name, item.id, step.model_dump()).index(best.id)  # as shown
                if target == 0:
                    page.keyboard.press("Space")
                for k in range(1, target + 1):
                    page.keyboard.press("ArrowDown")  # moves and selects, as in any radio group
                    # One key at a time, as a person presses them: the kernel echoes each change.
                    page.wait_for_function(
                        "k => { const r = document.querySelectorAll('.mip-options input[type=radio]');"
                        " return r[k].checked && document.activeElement === r[k]; }",
                        arg=k,
                    )
                checked = page.locator(".mip-options input[type=radio]:checked").locator("xpath=..")
                assert checked.inner_text().strip() == best.text.strip()  # what is chosen is what is seen
                focus("e.tagName === 'BUTTON' && e.textContent.includes('Confirm choice')")
                page.keyboard.press("Enter")
                page.locator(".mip-chosen").nth(chosen - 1).wait_for()
            page.locator(".mip-score").wait_for()  # practice: the score straight away
            if item.reflection:
                focus("e.tagName === 'TEXTAREA'")
                page.keyboard.type("I chose what the policy asks, for the reasons it gives.")
                page.get_by_text("Your answers are saved").wait_for()
            played.append(item.id)
        if content is not course.modules[-1]:
            follow("e.tagName === 'A' && e.rel === 'next'")  # on to the next module
    assert played == [item.id for item in course.items]

    follow("e.tagName === 'A' && e.textContent === 'Back to the course'")
    page.get_by_text("You have completed every module").wait_for(timeout=60_000)
    for content in course.modules:
        done = len(content.items)
        section = page.locator(f"section[aria-labelledby='m-{content.module.id}']")
        assert f"Status: completed · {done} of {done} done" in section.inner_text()
    follow("e.tagName === 'A' && e.textContent.includes('certificate')")
    page.locator(".mip-certificate-page").wait_for(timeout=60_000)  # its kernel has drawn it
    focus("e.tagName === 'INPUT' && e.type === 'text'")
    page.keyboard.type("Siobhan O'Neill-Ahmed")
    certificate = page.locator(".mip-certificate")
    certificate.get_by_text("Siobhan O'Neill-Ahmed").wait_for(timeout=60_000)
    total = hours_minutes(sum(m.module.cpd_minutes for m in course.modules))
    assert f"Total CPD time: {total}" in certificate.inner_text()
    assert all(m.module.title in certificate.inner_text() for m in course.modules)
    assert seen.errors == [] and seen.external == []
    context.close()


def test_landing_shows_progress_and_the_certificate_page_is_accessible(site, browser, course):
    server, _ = site
    content = course.module(MODULE)
    context, learner = as_learner(browser, server)
    complete_as(learner, content)
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server.url}/")
    section = page.locator(f"section[aria-labelledby='m-{MODULE}']")
    section.wait_for(timeout=60_000)
    assert f"completed · {len(content.items)} of {len(content.items)} done" in section.inner_text()
    assert f"{hours_minutes(content.module.cpd_minutes)} (CPD)" in section.inner_text()
    assert "score so far 100%" in section.inner_text()  # every page along its best path
    first = course.modules[0]
    page.get_by_role("link", name=f"Continue: Reading: {first.module.title}").wait_for()
    # The certificate is reachable at any time, saying how much of the course it covers.
    line = page.locator(".mip-certificate-link")
    assert f"1 of {len(course.modules)} modules" in line.inner_text()
    assert axe_violations(page) == []

    page.goto(f"{server.url}/voila/render/certificate.ipynb")
    page.get_by_label("Your name").fill("Siobhan O'Neill-Ahmed")
    certificate = page.locator(".mip-certificate")
    certificate.get_by_text("Siobhan O'Neill-Ahmed").wait_for()
    text = certificate.inner_text()
    assert content.module.title in text and f"version {load_policy().version}" in text
    assert f"Total CPD time: {hours_minutes(content.module.cpd_minutes)}" in text
    assert axe_violations(page) == []
    assert seen.errors == [] and seen.external == []
    context.close()


def test_a_policy_revision_marks_modules_for_retake(site, browser, course, tmp_path):
    from .play.test_progress_and_certificate import revised

    server, folder = site
    content = course.module(MODULE)
    old = load_policy()
    scn = content.scenarios[0]
    clause = sorted({c for step in scn.steps for o in step.options for c in o.clauses})[0]
    context, learner = as_learner(browser, server)
    complete_as(learner, content, old.version)
    new = revised(old, clause, "2027-03")
    build_course(course, source_dir=tmp_path / "unused", practice_dir=folder / "practice", policy=new)

    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server.url}/")
    status = module_status(page, MODULE)
    assert "Status: needs retake" in status and new.place(clause) in status and "2027-03" in status
    assert clause not in status  # a trainee is told where the clause is, never its id
    page.get_by_role("link", name=f"Retake, as the policy has changed: {scn.title}").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name=f"Retake, as the policy has changed: {scn.title}").click()
    notice = page.locator(".mip-retake")
    notice.wait_for(timeout=60_000)
    assert new.quote(clause) in notice.inner_text() and new.place(clause) in notice.inner_text()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Start again").click()
    page.get_by_text("Your choices on this page will be cleared").wait_for()
    assert page.locator(".mip-chosen").count() > 0  # asked first: nothing erased yet
    page.get_by_role("button", name="Yes, clear my choices").click()
    notice.wait_for(state="detached")
    assert page.locator(".mip-chosen").count() == 0
    assert seen.errors == [] and seen.external == []
    context.close()


def module_status(page, module_id: str) -> str:
    section = page.locator(f"section[aria-labelledby='m-{module_id}']")
    section.wait_for(timeout=60_000)
    return section.inner_text()


def test_kernels_of_pages_closed_without_goodbye_are_culled(practice_site, browser, course):
    """Voila keeps a kernel (about 53 MB) until its page says goodbye; a crashed tab never does.
    The course's culling settings stop them; here with a short timeout to see it happen."""
    scn = course.module(MODULE).scenarios[0]
    culling = ("--MappingKernelManager.cull_idle_timeout=3", "--MappingKernelManager.cull_interval=1")
    with voila(practice_site, *culling) as server:
        page = browser.new_page()
        page.goto(f"{server.url}/voila/render/practice/{MODULE}/{scn.id}.ipynb")
        page.locator(".mip-confirm").wait_for(timeout=60_000)
        page.evaluate("() => { navigator.sendBeacon = () => true; }")  # as if the tab crashed
        page.close(run_before_unload=False)
        deadline = time.monotonic() + 30
        while "Culling kernel" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        log = server.log.read_text()
        assert "Culling kernel" in log and "Kernel shutdown" not in log


# How wide the page, the notebook's cells and the drawing are against the room they have: on a
# phone nothing may scroll sideways, nor stick out of the screen where the cells clip it.
WIDTHS = """() => {
  const page = document.scrollingElement, cells = document.querySelector("#rendered_cells");
  const figure = document.querySelector("figure.mip-artefact");
  const parts = [figure, ...figure.querySelectorAll("*")];
  const right = Math.ceil(Math.max(...parts.map(e => e.getBoundingClientRect().right)));
  return {page: [page.scrollWidth, innerWidth], cells: [cells.scrollWidth, innerWidth],
          drawing: [figure.scrollWidth, figure.clientWidth], "drawing's right edge": [right, innerWidth]};
}"""
# Elements of the drawing that a keyboard could reach, or a screen reader hear as a control.
CONTROLS = """() => [...document.querySelectorAll("figure.mip-artefact *")]
  .filter(e => e.tabIndex >= 0 || e.matches("a, button, input, select, textarea, [role=button]"))
  .map(e => e.outerHTML)"""
# JupyterLab lays a page out in panels that clip what they hold (overflow: hidden, contain: strict),
# and axe-core then counts the drawing as off screen and checks none of its colours (axe-core
# issues 3883 and 3996). Laid out flat, as on paper, every word of it is checked.
FLAT = """html, body, #main, #jp-main-content-panel, #rendered_cells, .lm-Widget, .jp-LabShell,
  .jp-OutputArea-child, .jp-OutputArea, .jp-OutputArea-output, .widget-box {
  position: static !important; height: auto !important; overflow: visible !important;
  contain: none !important; }"""


def drawing_violations(page) -> tuple[list[dict], int]:
    """axe-core on the drawing alone, laid out flat (after ``axe_violations`` has loaded axe), and
    how many of its texts had their contrast checked."""
    page.add_style_tag(content=FLAT)
    result = page.evaluate(
        "async (tags) => await axe.run('figure.mip-artefact', {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    checked = sum(
        len(r["nodes"]) for r in result["passes"] + result["violations"] if r["id"] == "color-contrast"
    )
    violations = [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"] + [r for r in result["incomplete"] if r["id"] == "color-contrast"]
    ]
    return violations, checked


def test_every_kind_of_situation_is_drawn_and_accessible(site, browser, course):
    """Every kind and format of situation in the course, on a desktop and on a phone: drawn with
    its parts, passing axe, no wider than the screen, and with nothing in it to press."""
    server, _ = site
    first_of_each = {}
    for scn in course.scenarios:
        art = scn.situation.artefact
        first_of_each.setdefault((art.kind, art.format or ""), scn)
    assert {kind for kind, _ in first_of_each} == {k.value for k in ArtefactKind}
    assert {fmt for _, fmt in first_of_each} == {"", *(f.value for f in ArtefactFormat)}
    failures = {}
    for screen, options in (("desktop", LAPTOP), ("phone", PHONE)):
        context = browser.new_context(**options)
        page = context.new_page()
        seen = watch(page)
        for (kind, fmt), scn in sorted(first_of_each.items()):
            art, where = scn.situation.artefact, f"{screen} {kind} {fmt}".strip()
            page.goto(f"{server.url}/voila/render/practice/{scn.module}/{scn.id}.ipynb")
            figure = page.locator(f"figure.mip-art-{kind}")
            figure.wait_for(timeout=60_000)
            text = figure.inner_text()
            assert art.author in text, where
            if fmt:
                assert figure.locator("figcaption").inner_text().endswith(FORMAT_NOUNS[fmt]), where
            if art.query:
                assert art.query in figure.locator(".mip-search-box").inner_text(), where
            for part in (
                *art.nav,
                *(s.heading for s in art.sections if s.heading),
                *(art.form.fields if art.form else ()),
            ):
                assert part in text, (where, part)
            buttons = figure.locator(".mip-mock-button")
            for i in range(buttons.count()):
                assert buttons.nth(i).evaluate("b => b.closest('[aria-hidden=true]') !== null"), where
            if controls := page.evaluate(CONTROLS):
                failures[(where, "controls")] = controls
            widths = page.evaluate(WIDTHS)
            if any(used > room for used, room in widths.values()):
                failures[(where, "too wide")] = widths
            if violations := axe_violations(page):
                failures[(where, "axe")] = violations
            violations, checked = drawing_violations(page)
            assert checked >= 3, where  # its words' contrast was checked: the caption, author, text
            if violations:
                failures[(where, "axe, the drawing")] = violations
        assert seen.errors == [] and seen.external == [], screen
        context.close()
    assert failures == {}


def test_the_certificate_downloads_as_a_pdf_that_verifies_and_prints_on_its_own(site, browser, course, shots):
    """What a trainee does with the certificate: download the PDF the server makes and read it; show
    its link to someone who opens it; print the page. Each read back as text, as a person would."""
    server, _ = site
    content = course.module(MODULE)
    context, learner = as_learner(browser, server, accept_downloads=True)
    complete_as(learner, content)
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server.url}/voila/render/certificate.ipynb")
    name = "Siobhán Ó Néill-Łukasz"
    page.get_by_label("Your name").fill(name)
    page.locator(".mip-certificate").get_by_text(name).wait_for(timeout=60_000)
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download certificate (PDF)").click()
    downloaded = read_pdf(Path(download.value.path()).read_bytes())
    text, links = downloaded.text, downloaded.links
    stamps = [json.loads(f.read_text())["updated"] for f in (learner / MODULE).glob("*.answers.json")]
    completed = datetime.fromisoformat(max(stamps)).astimezone(UTC).date()
    assert name in text and content.module.title in text
    assert hours_minutes(content.module.cpd_minutes) in text and f"version {load_policy().version}" in text
    assert f"Completed on {completed.strftime('%-d %B %Y')}" in text
    (link,) = links
    assert link.startswith(f"{server.url}/verify?c=")
    if os.environ.get("COURSE_SCREENSHOTS") and shutil.which("pdftoppm"):  # the README's picture
        first_page = [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-singlefile",
            download.value.path(),
            str(shots / "certificate-pdf"),
        ]
        subprocess.run(first_page, check=True)

    checker = browser.new_page()  # someone the trainee shows the certificate to
    checker_seen = watch(checker)
    checker.goto(link)
    checker.get_by_role("heading", name="Certificate verified").wait_for()
    assert name in checker.inner_text("main") and content.module.title in checker.inner_text("main")
    assert checker.title().startswith("Certificate verified")
    assert axe_violations(checker) == []
    assert checker_seen.errors == [] and checker_seen.external == []
    checker.goto(link.replace("c=", "c=x"))
    checker.get_by_role("heading", name="Certificate not verified").wait_for()
    assert name not in checker.inner_text("main") and axe_violations(checker) == []
    assert [e for e in checker_seen.errors if "400 (Bad Request)" not in e] == []  # the refusal itself

    # Printing the page prints the certificate, and nothing else of the page. (A browser's Print lays
    # the page out at the paper's width; page.pdf keeps the window's, so the window is made A4 wide.)
    page.set_viewport_size({"width": 794, "height": 1123})
    printed = read_pdf(page.pdf(format="A4"))
    assert printed.pages == 1
    paper = printed.text
    assert (
        name in paper and content.module.title in paper and hours_minutes(content.module.cpd_minutes) in paper
    )
    assert "Type your name" not in paper and "Download certificate" not in paper
    # Any other page prints as it is, not blank.
    other = course.modules[0]  # not played yet: its first decision is on the page
    item = other.scenarios[0]
    scenario = context.new_page()
    scenario.set_viewport_size({"width": 794, "height": 1123})
    scenario.goto(f"{server.url}/voila/render/practice/{other.module.id}/{item.id}.ipynb")
    scenario.locator(".mip-confirm").wait_for(timeout=60_000)
    printed_scenario = read_pdf(scenario.pdf(format="A4")).text
    assert " ".join(item.step(item.start).prompt.split())[:40] in printed_scenario
    assert seen.errors == [] and seen.external == []
    context.close()
