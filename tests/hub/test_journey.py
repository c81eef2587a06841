"""The course on JupyterHub, end to end in Chromium, as the README's "Run a cohort" tells it.

A hub installed and started as a tutor starts one (tests/hub/conftest.py), two trainees and a
tutor made from roster files. The tutor logs in and lands in the grading service, and releases a
module in the service's own terminal. Trainee A logs in, lands on the course (the module fetched
for them), plays every page by the app's links, writes each reflection and submits from the app;
trainee B does the same with the worst choices. The tutor collects and autogrades in the
terminal, opens A's reflection in the formgrader, reads the path and the rubric above it and gives
it a mark, releases feedback and exports. Trainee A reads the feedback: the score is their path's
points plus the tutor's mark. Every figure is computed here from the scenario files.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from course.documents import REFLECTION_CELL
from course.hashed_assets import HASHED_NAME, IMMUTABLE
from course.hub.settings import CERTIFICATE_SERVICE, SERVICE_URL_PATH
from course.play.award import hours_minutes
from course.scenario.validate import max_points

from ..conftest import axe_violations, best_option, read_pdf, walk_model, watch
from ..grading.test_formgrader import missing_in_order, squash, type_mark, wait_for_grades
from ..test_browser import choose, module_status
from ..test_tutor_journey import worst_option
from .conftest import LOCAL_ANNOUNCEMENT, TRAINEES, TUTORS, Hub, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MODULE = "09-keeping-up-to-date"  # the shortest module
A, B = TRAINEES
TUTOR = next(iter(TUTORS))
PICKS = {A: best_option, B: worst_option}

# The service's own terminal, spoken to as JupyterLab's terminal speaks to it (terminado's
# protocol over the service's websocket): the command's output and exit status.
TERMINAL = """async ([base, command]) => {
  const xsrf = decodeURIComponent((document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '');
  const made = await fetch(base + 'api/terminals', {method: 'POST', headers: {'X-XSRFToken': xsrf}});
  if (!made.ok) throw new Error('no terminal: HTTP ' + made.status);
  const {name} = await made.json();
  const socket = new WebSocket(base.replace(/^http/, 'ws') + 'terminals/websocket/' + name);
  let out = '';
  const done = await new Promise((resolve, reject) => {
    socket.onopen = () => socket.send(JSON.stringify(['stdin', command + '; echo "__END_$?__"\\r']));
    socket.onmessage = (event) => {
      const [kind, text] = JSON.parse(event.data);
      if (kind !== 'stdout') return;
      out += text;
      const end = out.match(/__END_(\\d+)__/);
      if (end) resolve([Number(end[1]), out]);
    };
    socket.onerror = () => reject(new Error('terminal socket failed'));
  });
  socket.close();
  await fetch(base + 'api/terminals/' + name, {method: 'DELETE', headers: {'X-XSRFToken': xsrf}});
  return done;
}"""


def in_terminal(page, hub: Hub, command: str) -> str:
    status, out = page.evaluate(TERMINAL, [f"{hub.url}{SERVICE_URL_PATH}", command])
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", out)
    assert status == 0, f"{command} exited {status}:\n{text}"
    return text


def decisions(course, trainee: str) -> dict[str, int]:
    """The points each scenario of the module is worth along the path ``trainee`` takes."""
    return {
        item.id: sum(o.points for _, o in walk_model(item, PICKS[trainee]))
        for item in course.module(MODULE).items
    }


def reflection_text(trainee: str, item) -> str:
    return f"{trainee} on {item.title}: I would stop, think and ask my supervisor first."


def play(browser, hub: Hub, trainee: str, course, pick, landed: Callable[[], None] | None = None):
    """Log in, land on the course, play every page of the module by its links (``pick``: the
    option taken at each step), submit; the browser context and page, still open. ``landed`` is
    called once the landing page is up (benchmarks/hub_trainees.py measures there)."""
    content = course.module(MODULE)
    context = browser.new_context()
    context.set_default_timeout(120_000)  # a busy 2-core machine starts a server and kernels slowly
    page = context.new_page()
    seen = watch(page)
    scripts: list = []  # the front end's extension scripts, as the browser got them
    page.on("response", lambda r: "/voila/labextensions/" in r.url and scripts.append(r))
    log_in(page, hub, trainee)
    page.wait_for_url(f"{hub.url}/user/{trainee}/voila/render/index.ipynb", timeout=240_000)
    assert "Status: not started" in module_status(page, MODULE)
    assert axe_violations(page) == []
    if landed is not None:
        landed()
    # The module's first page (other tests on the same hub may release a module that comes first,
    # and the landing page's "Start module" then names that one).
    page.goto(f"{hub.url}/user/{trainee}/voila/render/{MODULE}/reading.ipynb")
    page.locator(".mip-reading").wait_for()
    for n, item in enumerate(content.items):
        page.get_by_role("link", name=f"Next: {item.title}").first.click()
        page.wait_for_selector(".mip-confirm")
        if n == 0:  # the trainee comes back to the tab: the page asks the hub about its kernel
            with page.expect_response(lambda r: r.url.rsplit("/", 2)[-2] == "kernels") as asked:
                page.evaluate("() => window.dispatchEvent(new Event('focus'))")
            assert asked.value.status == 200
        for k, (step, option) in enumerate(walk_model(item, pick)):
            page.get_by_role("heading", name=step.prompt).wait_for()
            choose(page, option)
            page.locator(".mip-chosen").nth(k).wait_for()
        if item.reflection:
            page.locator(".mip-reflection textarea").fill(reflection_text(trainee, item))
            page.get_by_text("Your answers are saved").wait_for()
    page.get_by_role("button", name="Submit module for grading").click()
    page.get_by_role("button", name="Yes, submit now").click()
    page.get_by_text("Submitted this module").wait_for()
    assert seen.errors == [] and seen.external == [], (seen.errors, seen.external)
    # Page after page, content-hashed scripts come from the browser's cache, never asked again.
    hashed = [r for r in scripts if HASHED_NAME.search(r.url.split("?")[0])]
    assert hashed
    assert {r.headers.get("cache-control") for r in hashed} == {IMMUTABLE}
    assert [r.url for r in hashed if r.status == 304] == []
    return context, page


def test_two_trainees_and_a_tutor_from_login_to_feedback_on_the_hub(hub, browser, course):
    content = course.module(MODULE)
    marked = next(item for item in content.items if item.reflection and item.reflection.points)
    mark = marked.reflection.points - 1 if marked.reflection.points > 1 else marked.reflection.points
    points = {trainee: decisions(course, trainee) for trainee in TRAINEES}
    due = date.today() + timedelta(days=7)

    # The tutor logs in and arrives in the grading service (the formgrader).
    tutor_context = browser.new_context()
    tutor_context.set_default_timeout(120_000)
    tutor = tutor_context.new_page()
    tutor_seen = watch(tutor)
    tutor.goto(f"{hub.url}/hub/login")
    tutor.get_by_text(LOCAL_ANNOUNCEMENT).wait_for()  # the institute's own settings are loaded
    log_in(tutor, hub, TUTOR)
    tutor.wait_for_url(f"{hub.url}{SERVICE_URL_PATH}formgrader/**", timeout=240_000)
    tutor.goto(f"{hub.url}{SERVICE_URL_PATH}lab")  # where the terminal is
    tutor.wait_for_function("() => document.cookie.includes('_xsrf=')")
    out = in_terminal(tutor, hub, f"course cohort release {MODULE} --due {due.isoformat()}")
    assert "released to the exchange" in out

    # Each trainee logs in, finds the module released to them, plays it and submits.
    trainee_a = None
    for trainee in TRAINEES:
        context, page = play(browser, hub, trainee, course, PICKS[trainee])
        if trainee == A:
            trainee_a = (context, page)
        else:
            context.close()

    # The tutor collects and autogrades in the service's terminal.
    # (named modules: other tests on the same hub release and submit another module)
    out = in_terminal(tutor, hub, f"course cohort collect {MODULE}")
    for trainee in TRAINEES:
        assert re.search(rf"{trainee}\b.*\bon time", out), out
    out = in_terminal(tutor, hub, f"course cohort autograde {MODULE}")
    assert "2 new" in out or "autograded 2" in out, out

    # ...and marks A's reflection in the formgrader: the path taken and the rubric above it.
    first, last = TRAINEES[A]
    base = f"{hub.url}{SERVICE_URL_PATH}formgrader"
    tutor.goto(base)
    tutor.get_by_role("link", name="Manual Grading").click()
    tutor.get_by_role("link", name=MODULE, exact=True).click()
    tutor.get_by_role("link", name=marked.id, exact=True).click()
    # Names are hidden ("Submission #N") until the tutor shows them, once the list is loaded.
    submissions = tutor.get_by_role("link", name=re.compile(r"^Submission #\d+$"))
    expect(submissions).to_have_count(len(TRAINEES))
    tutor.get_by_role("button", name="Show All Names").click()
    with tutor.expect_navigation() as navigation:
        tutor.get_by_role("link", name=f"{last}, {first}", exact=True).click()
    assert navigation.value.status == 200, hub.log.read_text()[-4000:]
    wait_for_grades(tutor)
    cell = tutor.locator(".nbgrader_cell").filter(has=tutor.locator(f"input#{REFLECTION_CELL}"))
    shown = squash(cell.locator(".text_cell_render").inner_text())
    expected = ["The path taken"]
    for step, option in walk_model(marked, PICKS[A]):
        expected += [step.prompt, f"Chosen: {option.text}", f"{option.points} of {step.points} point"]
    expected += ["Rubric", marked.reflection.rubric, "Reflection, as written by the trainee:"]
    expected += [reflection_text(A, marked)]
    assert not missing_in_order(shown, [squash(p) for p in expected]), shown
    assert type_mark(tutor, cell, mark).json()["manual_score"] == mark

    # Feedback (the other reflections still wait: released anyway), then the exports.
    out = in_terminal(tutor, hub, f"course cohort feedback {MODULE} --anyway")
    assert re.search(rf"{A}\b.*released", out), out
    in_terminal(tutor, hub, "course cohort export")
    assert tutor_seen.external == [], tutor_seen.external
    grades = csv.DictReader((hub.places.cohort / "exports" / "grades.csv").open(encoding="utf-8-sig"))
    rows = {r["student_id"]: r for r in grades if r["assignment"] == MODULE}

    # The tutor dashboard, served by the grading service: the cohort's counts line.
    tutor.goto(f"{hub.url}{SERVICE_URL_PATH}voila/render/tutor-dashboard.ipynb")
    counts = tutor.locator(".mip-counts")
    counts.wait_for(timeout=240_000)
    n = len(TRAINEES)
    line = counts.inner_text()
    assert re.search(rf"\b{n} trainees? on the roster · \d+ (submitted|module submissions) ·", line), line
    assert tutor_seen.errors == [], tutor_seen.errors
    for trainee in TRAINEES:
        expected_raw = sum(points[trainee].values()) + (mark if trainee == A else 0)
        assert float(rows[trainee]["raw_score"]) == pytest.approx(expected_raw), trainee
        assert rows[trainee]["status"] == "awaiting-marking"  # other reflections are not marked yet

    # Trainee A: the landing page says feedback is ready; the marked scenario's feedback gives
    # the path's points plus the tutor's mark.
    context, page = trainee_a
    page.goto(f"{hub.url}/user/{A}/course")
    assert "Status: feedback ready" in module_status(page, MODULE)
    page.goto(f"{hub.url}/user/{A}/voila/render/{MODULE}/{marked.id}.ipynb")
    page.get_by_role("button", name="Get my feedback").click()
    feedback = page.frame_locator(".mip-feedback-page")
    total = float(points[A][marked.id] + mark)
    most = float(max_points(marked) + marked.reflection.points)
    feedback.get_by_text(f"(Score: {total} / {most})").wait_for()
    assert (
        f"Your decisions: {points[A][marked.id]} of {max_points(marked)} points"
        in feedback.locator("body").inner_text()
    )

    # The certificate: the page's link goes to the hub's certificate service, which issues it from
    # the tutor's records, made out to the name on the roster, with a public link that verifies.
    page.goto(f"{hub.url}/user/{A}/voila/render/certificate.ipynb")
    link = page.get_by_role("link", name="Download certificate (PDF)")
    pdf_url = urljoin(page.url, link.get_attribute("href"))
    assert pdf_url == f"{hub.url}/user/{A}/certificate.pdf"
    issued = page.request.get(pdf_url)
    assert issued.status == 200 and issued.headers["content-type"] == "application/pdf", issued.text()
    assert issued.url == f"{hub.url}/services/{CERTIFICATE_SERVICE}/certificate.pdf"
    pdf = read_pdf(issued.body())
    module = content.module
    assert f"{first} {last}" in pdf.text and module.title in pdf.text
    assert f"Total CPD time: {hours_minutes(module.cpd_minutes)}" in pdf.text
    (verify_link,) = [u for u in pdf.links if "/verify?c=" in u]
    assert verify_link.startswith(f"{hub.url}/services/{CERTIFICATE_SERVICE}/verify?c=")
    anyone = browser.new_context()  # whoever the trainee shows it to: no login
    checked = anyone.new_page()
    checked.goto(verify_link)
    checked.get_by_role("heading", name="Certificate verified").wait_for()
    assert f"{first} {last}" in checked.inner_text("body") and module.title in checked.inner_text("body")
    checked.goto(verify_link.replace("c=", "c=x"))
    checked.get_by_role("heading", name="Certificate not verified").wait_for()
    anyone.close()
    context.close()

    # Trainee B chose the worst options: the knowledge check is below the pass mark, no certificate.
    check = course.module(MODULE).check
    assert 100 * points[B][check.id] / max_points(check) < content.module.pass_mark
    context = browser.new_context()
    page = context.new_page()
    log_in(page, hub, B)
    page.wait_for_url(f"{hub.url}/user/{B}/voila/render/index.ipynb", timeout=240_000)
    refused = page.request.get(f"{hub.url}/user/{B}/certificate.pdf")
    assert refused.status == 404 and "No module counts yet" in refused.text()
    context.close()
    tutor_context.close()
