"""The app in real headless Chromium (Debian's), driven by Playwright, as a trainee uses it."""

from __future__ import annotations

import json
import math
import urllib.request
from urllib.parse import urljoin

import pytest
from nbgrader.api import Gradebook

from course.documents import answers_path
from course.scenario.validate import max_points as max_points_of

from .conftest import BIN, axe_violations, best_option, ending_of, read_pdf, run, voila, walk_model, watch

MODULE = "05-must-not"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def best_choices(scn):
    picked = walk_model(scn, best_option)
    return picked, ending_of(scn, picked).id


def choose(page, option) -> None:
    page.get_by_role("radio", name=option.text).check()
    page.get_by_role("button", name="Confirm choice").click()


def test_practice_play_by_clicking_then_reload_and_a_later_visit_restore_answers(
    practice_site, browser, course
):
    scn = course.module(MODULE).scenarios[0]
    picked, ending_id = best_choices(scn)
    ending = next(e for e in scn.endings if e.id == ending_id)
    reflection = "Declining formally keeps the frame clear <b>and</b> kind."
    with voila(practice_site) as server:
        url = server.url
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/")  # the root URL is the landing page
        section = page.locator(f"section[aria-labelledby='m-{MODULE}']")
        section.locator("summary").click()  # the module's pages are listed on demand
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

        # Kept for this browser's learner, not in the folder every visitor is served from.
        saved = answers_path(server.learner_folder(page) / MODULE, scn.id)
        data = json.loads(saved.read_text())
        assert [c["option"] for c in data["choices"]] == [o.id for _, o in picked]
        assert not list(practice_site.rglob("*.answers.json"))
        page.wait_for_function("() => document.querySelector('.mip-reflection textarea').value.length > 0")
        assert json.loads(saved.read_text())["reflection"] == reflection

        page.reload()
        page.locator(".mip-chosen").nth(len(picked) - 1).wait_for(timeout=60_000)
        assert page.locator(".mip-chosen").count() == len(picked)
        assert page.locator(".mip-reflection textarea").input_value() == reflection
        page.get_by_role("heading", name=ending.title).wait_for()
        assert not page.get_by_role("button", name="Confirm choice").is_visible()

        page.get_by_role("link", name="Back to the course").last.click()
        page.get_by_role("link", name=scn.title).wait_for(timeout=60_000)  # open: the module in progress
        assert page.url.endswith("/voila/render/index.ipynb")
        section = page.locator(f"section[aria-labelledby='m-{MODULE}']")
        assert "Status: in progress" in section.inner_text()
        state = context.storage_state()
        context.close()

        # Someone else on the same server starts with nothing of the first learner's.
        other = browser.new_page()
        other.goto(f"{url}/voila/render/practice/{MODULE}/{scn.id}.ipynb")
        other.wait_for_selector(".mip-confirm", timeout=60_000)
        assert other.locator(".mip-chosen").count() == 0
        assert other.locator(".mip-reflection textarea").input_value() == ""
        assert server.learner_folder(other) != saved.parent.parent
        other.close()

        # The first learner comes back later (a new browser session, same browser profile).
        later = browser.new_context(storage_state=state)
        page = later.new_page()
        page.goto(f"{url}/voila/render/practice/{MODULE}/{scn.id}.ipynb")
        page.locator(".mip-chosen").nth(len(picked) - 1).wait_for(timeout=60_000)
        assert page.locator(".mip-reflection textarea").input_value() == reflection
        later.close()


def shown_order(page, step) -> list[str]:
    """The option ids of ``step`` in the order the page shows its radio buttons."""
    by_text = {o.text: o.id for o in step.options}
    page.get_by_role("heading", name=step.prompt).wait_for(timeout=60_000)
    labels = page.locator(".mip-options .widget-radio-box label").all_inner_texts()
    return [by_text[label] for label in labels]


def test_two_learners_see_their_own_stable_option_orders_and_the_same_path_scores_the_same(
    practice_site, browser, course
):
    """Options are shuffled per learner and decision, the same after a reload; what is graded is
    the option chosen, never where it stood."""
    from course.build.compose import grading_key
    from course.documents import Verdict
    from course.grading.score import score
    from course.policy import load_policy
    from course.status import VerdictStatus

    scn = next(s for s in course.module(MODULE).scenarios if len(s.step(s.start).options) >= 3)
    path = path_of(scn, 1)  # a mix of good and poorer choices
    first = scn.step(scn.start)
    url_of = "{}/voila/render/practice/" + f"{MODULE}/{scn.id}.ipynb"
    with voila(practice_site) as server:
        learners = []  # (context, page, the first decision's order)
        # A second learner whose first order differs from the first's: each new browser is a new
        # random learner, and two random orders of 3+ options differ at least 5 times in 6.
        for _ in range(8):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url_of.format(server.url))
            order = shown_order(page, first)
            page.reload()
            assert shown_order(page, first) == order  # stable across a reload
            if learners and order == learners[0][2]:
                context.close()
                continue
            learners.append((context, page, order))
            if len(learners) == 2:
                break
        assert len(learners) == 2 and learners[0][2] != learners[1][2]
        assert sorted(learners[0][2]) == sorted(o.id for o in first.options)

        results = []
        for context, page, _ in learners:
            for n, (_, option) in enumerate(path):
                choose(page, option)
                page.locator(".mip-chosen").nth(n).wait_for(timeout=60_000)
            text = page.locator(".mip-score").inner_text(timeout=60_000)
            saved = json.loads(answers_path(server.learner_folder(page) / MODULE, scn.id).read_text())
            results.append((text, saved))
            context.close()

    expected = sum(o.points for _, o in path)
    (text_a, saved_a), (text_b, saved_b) = results
    assert text_a == text_b and text_a.endswith(f"You scored {expected} of {max_points_of(scn)} points.")
    assert saved_a["choices"] == saved_b["choices"] == [{"step": s.id, "option": o.id} for s, o in path]
    # The order each learner saw is recorded with their answers, for a tutor's position check.
    assert saved_a["orders"][first.id] == learners[0][2] and saved_b["orders"][first.id] == learners[1][2]
    assert set(saved_a["orders"]) == {s.id for s, _ in path}
    # The grader scores both the same, from the option ids alone.
    key = grading_key(scn, load_policy())
    verdicts = [Verdict(scn.id, VerdictStatus.OK, choices=s["choices"]) for s in (saved_a, saved_b)]
    graded = [score(key, verdict).points for verdict in verdicts]
    assert graded == [expected, expected]


def path_of(scn, rank: int):
    """A path through ``scn``: at each step the option ``rank`` places from the best (cycling),
    so that trainees in tests make a mix of good and poor choices."""
    picked = []

    def pick(step):
        ranked = sorted(step.options, key=lambda o: -o.points)
        picked.append(step)
        return ranked[(rank + len(picked) - 1) % len(ranked)]

    return walk_model(scn, pick)


def module_status(page, module_id: str) -> str:
    section = page.locator(f"section[aria-labelledby='m-{module_id}']")
    section.wait_for(timeout=60_000)
    return section.inner_text()


def test_a_whole_module_in_assessed_mode_from_release_to_feedback(nbgrader_course, browser, course):
    """Fetch, play every page of a module by its links, submit from the app, then read the
    feedback the tutor released; the landing page follows each step."""
    module_id = "09-keeping-up-to-date"
    content = course.module(module_id)
    nbc = nbgrader_course
    nbc.nbgrader("generate_assignment", module_id)
    nbc.nbgrader("release_assignment", module_id)
    home = nbc.trainee_home("gus")
    run([str(BIN / "nbgrader"), "fetch_assignment", module_id], cwd=home, JUPYTER_CONFIG_DIR=str(home))
    paths = {item.id: path_of(item, rank) for rank, item in enumerate(content.items)}
    key_texts = [o.feedback for item in content.items for s in item.steps for o in s.options]
    key_texts += [item.reflection.rubric for item in content.items if item.reflection]
    key_texts += [item.reflection.model_answer for item in content.items if item.reflection]

    env = {
        "JUPYTER_CONFIG_DIR": str(home),
        "JUPYTER_DATA_DIR": str(home / ".data"),
        "COURSE_TRAINEE_ID": "gus",
    }
    with voila(home, **env) as server:
        url = server.url
        for item in content.items:  # what the server sends holds no key
            served = urllib.request.urlopen(f"{url}/voila/render/{module_id}/{item.id}.ipynb", timeout=60)
            text = served.read().decode()
            assert item.title in text and not any(t in text for t in key_texts)

        page = browser.new_page()
        seen = watch(page)
        page.goto(f"{url}/")
        assert "Status: not started" in module_status(page, module_id)
        position = [c.module.id for c in course.modules].index(module_id) + 1  # its place in the course
        start = page.get_by_role("link", name=f"Start module {position}: {content.module.title}")
        assert start.count() == 1
        start.click()
        page.locator(".mip-reading").wait_for(timeout=60_000)
        for n, item in enumerate(content.items):
            page.get_by_role("link", name=f"Next: {item.title}").first.click()  # button or the nav
            page.wait_for_selector(".mip-confirm", timeout=60_000)
            for k, (step, option) in enumerate(paths[item.id]):
                page.get_by_role("heading", name=step.prompt).wait_for()
                choose(page, option)
                page.locator(".mip-chosen").nth(k).wait_for()
                if n == 0 and k == 0:  # a reload mid-scenario resumes at the next decision
                    page.reload()
                    page.locator(".mip-chosen").first.wait_for(timeout=60_000)
            assert page.locator(".mip-feedback").count() == 0  # nothing until the tutor releases it
            assert not any(t in page.content() for t in key_texts)
            if item.reflection:
                page.locator(".mip-reflection textarea").fill(f"Reflection on {item.title}.")
                page.get_by_text("Your answers are saved").wait_for()
        page.wait_for_timeout(500)  # the last reflection's save round-trip
        assert page.get_by_role("link", name="Next:").count() == 0  # released modules stand alone
        page.get_by_role("link", name="Back to the course").first.click()
        done = len(content.items)
        assert f"Status: completed · {done} of {done} done" in module_status(page, module_id)

        page.goto(f"{url}/voila/render/{module_id}/{content.items[0].id}.ipynb")
        # The trainee's reflections, from the folder served, as the PDF the page links to.
        link = page.get_by_role("link", name="Download all my reflections (PDF)")
        link.wait_for(timeout=60_000)
        assert urljoin(page.url, link.get_attribute("href")) == f"{url}/reflections.pdf"
        reflections = read_pdf(page.request.get(f"{url}/reflections.pdf").body()).text
        assert all(f"Reflection on {i.title}." in reflections for i in content.items if i.reflection)
        page.get_by_role("button", name="Submit module for grading").click()
        page.get_by_text(f"for grading: {done} of {done} items finished").wait_for(timeout=60_000)
        assert not list(nbc.exchange.glob("mip-social-media/inbound/*"))  # nothing sent yet
        page.get_by_role("button", name="Yes, submit now").click()
        page.get_by_text("Submitted this module").wait_for(timeout=60_000)
        page.get_by_role("button", name="Get my feedback").click()
        page.get_by_text("No feedback yet").wait_for(timeout=60_000)
        page.goto(f"{url}/")
        status = module_status(page, module_id)
        assert "Status: submitted" in status and "Feedback comes once" in status
        assert axe_violations(page) == []

        inbound = nbc.exchange / "mip-social-media" / "inbound"
        (submission,) = [p for p in inbound.iterdir() if p.name.startswith(f"gus+{module_id}+")]
        for item in content.items:
            saved = json.loads((submission / f"{item.id}.answers.json").read_text())
            assert saved["choices"] == [{"step": s.id, "option": o.id} for s, o in paths[item.id]]

        # The tutor grades and releases feedback with nbgrader's own commands (the trainee on
        # the cohort's roster first: nothing else is collected)...
        nbc.nbgrader("db", "student", "add", "gus", "--first-name=Gus", "--last-name=Trainee")
        for command in ("collect", "autograde", "generate_feedback", "release_feedback"):
            nbc.nbgrader(command, module_id)
        with Gradebook(f"sqlite:///{nbc.root / 'gradebook.db'}", "mip-social-media") as gb:
            for item in content.items:
                expected = sum(o.points for _, o in paths[item.id])
                assert gb.find_grade("decisions", item.id, module_id, "gus").score == expected

        # ...the landing says so, and the trainee reads it in the app: explanations, never code.
        page.reload()
        status = module_status(page, module_id)
        assert "Status: feedback ready" in status and "(pass mark" not in status  # not fetched yet
        assert axe_violations(page) == []
        item = content.items[1]
        page.goto(f"{url}/voila/render/{module_id}/{item.id}.ipynb")
        page.get_by_role("button", name="Get my feedback").click()
        feedback = page.frame_locator(".mip-feedback-page")
        expected = sum(o.points for _, o in paths[item.id])
        feedback.get_by_text(f"Your decisions: {expected} of {max_points_of(item)} points").wait_for(
            timeout=60_000
        )
        _, first_option = paths[item.id][0]
        assert first_option.feedback.split(".")[0] in feedback.locator("body").inner_text()
        assert "grade_scenario" not in page.locator(".mip-feedback-page").get_attribute("srcdoc")

        # Fetched, the feedback tells the landing page whether the knowledge check reached the pass
        # mark (the check's score as nbgrader graded it, read from its feedback page).
        page.goto(f"{url}/")
        check = content.check
        percent = 100 * sum(o.points for _, o in paths[check.id]) / max_points_of(check)
        verdict = "passed" if percent >= content.module.pass_mark else "not passed"
        mark = content.module.pass_mark
        assert f"Knowledge check {math.floor(percent)}% (pass mark {mark}%), {verdict}" in module_status(
            page, module_id
        )
        assert seen.errors == [] and seen.external == []
        page.close()
