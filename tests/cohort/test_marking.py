"""Marking reflections and one trainee's page, against a real autograded cohort (the dashboard
tests' cohort: one module, three submitters, one trainee who never submitted): marks saved here
reach nbgrader's gradebook as the formgrader's would; bad marks save nothing; the trainee page shows
the choices each trainee made. Then both in the served dashboard, in Chromium."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course.cohort import cycle
from course.cohort.dashboard.page import Dashboard
from course.cohort.dashboard.views import MARKING, TRAINEE
from course.cohort.marking import MarkRefused, reflection_scenarios, save_mark, scenario_reflections
from course.cohort.trainee import plain, record_text, trainee_record
from course.documents import READING
from course.grading.tutor_view import markdown_text
from course.status import Kind, ModuleStatus

from ..conftest import COURSE_ID, axe_violations, watch
from .conftest import cohort_cli, gradebook_dump
from .test_dashboard import MODULE, ROSTER, SCRIPT_NAME, SUBMITTERS, cohort, copy_cohort, dashboard_server

__all__ = ["cohort"]  # the dashboard tests' cohort fixture, shared (one autograde per file)

REFLECTION = "reflection"
WRITTEN = "Because the policy says so."  # what every trainee of the cohort fixture wrote


@pytest.fixture
def root(cohort, tmp_path) -> Path:
    """A copy of the cohort that a test may mark."""
    return copy_cohort(cohort, tmp_path / "marking")


def reflective(course) -> list[str]:
    """The module's scenarios with a reflection, from the course's own content."""
    return [i.id for i in course.module(MODULE).items if i.kind == Kind.SCENARIO and i.reflection]


def scores(root: Path) -> dict[str, float]:
    """Each trainee's module score, as nbgrader's own API (the formgrader's) computes it."""
    api = cycle.api(root)
    return {t: api.get_submission(MODULE, t)["score"] for t in SUBMITTERS}


def names() -> dict[str, str]:
    return {e.id: f"{e.first_name} {e.last_name}" for e in ROSTER}


@pytest.mark.slow
def test_every_submitters_reflection_is_listed_awaiting_marking_with_path_and_rubric(cohort, course):
    scenarios = reflection_scenarios(cohort.root, MODULE)
    assert list(scenarios) == reflective(course)
    assert list(scenarios.values()) == [i.title for i in course.module(MODULE).items if i.id in scenarios]
    content = {i.id: i for i in course.module(MODULE).items}
    for scenario in scenarios:
        found = scenario_reflections(cohort.root, MODULE, scenario)
        assert sorted(r.student for r in found) == SUBMITTERS
        for r in found:
            assert (r.name, r.text, r.needs_marking, r.comment) == (names()[r.student], WRITTEN, True, "")
            assert r.max_score == content[scenario].reflection.points
            options = {(o.id): o for s in content[scenario].steps for o in s.options}
            for choice in cohort.choices[r.student][scenario]:  # the path taken, option by option
                assert markdown_text(options[choice["option"]].text) in r.markdown
            assert "**Rubric**" in r.markdown and f"```text\n{WRITTEN}\n```" in r.markdown


@pytest.mark.slow
def test_saving_a_mark_changes_that_reflection_only(root, course):
    scenario = reflective(course)[0]
    before, waiting, totals = gradebook_dump(root), cycle.unmarked(root, [MODULE]), scores(root)
    top = next(r for r in scenario_reflections(root, MODULE, scenario) if r.student == "t2").max_score
    mark = top / 2

    saved = save_mark(root, MODULE, scenario, "t2", f" {mark:g} ", "Name the clause. <b>not markup</b>")

    assert (saved.score, saved.needs_marking, saved.comment) == (
        mark,
        False,
        "Name the clause. <b>not markup</b>",
    )
    after = gradebook_dump(root)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("t2", scenario, REFLECTION), ("t2", scenario, "notebook")}
    auto, _, most = before["t2", scenario, REFLECTION]
    assert after["t2", scenario, REFLECTION] == (auto, mark, most)
    assert after["t2", scenario, "notebook"][0] == pytest.approx(before["t2", scenario, "notebook"][0] + mark)
    assert scores(root) == {t: pytest.approx(s + (mark if t == "t2" else 0)) for t, s in totals.items()}
    assert cycle.unmarked(root, [MODULE]) == [w for w in waiting if w != (MODULE, "t2", scenario)]
    assert len(cycle.unmarked(root, [MODULE])) == len(waiting) - 1
    # Marked ones come after those still awaiting a mark.
    assert [r.student for r in scenario_reflections(root, MODULE, scenario)][-1] == "t2"


@pytest.mark.slow
def test_bad_marks_are_refused_with_a_reason_and_nothing_is_saved(root, course):
    scenario = reflective(course)[0]
    top = scenario_reflections(root, MODULE, scenario)[0].max_score
    before = gradebook_dump(root)
    for typed in ["", "two", "-1", f"{top + 0.5:g}", "nan", "inf", "1e9"]:
        with pytest.raises(MarkRefused, match=f"t1's reflection on {MODULE}/{scenario}: the mark") as caught:
            save_mark(root, MODULE, scenario, "t1", typed, "a comment")
        assert repr(typed.strip()) in str(caught.value) and f"from 0 to {top:g}" in str(caught.value)
    with pytest.raises(MarkRefused, match="not been autograded"):
        save_mark(root, MODULE, scenario, "nobody", "1")
    with pytest.raises(MarkRefused, match="no such reflection"):
        save_mark(root, MODULE, "no-such-scenario", "t1", "1")
    assert gradebook_dump(root) == before
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_comment(REFLECTION, scenario, MODULE, "t1").manual_comment is None


@pytest.mark.slow
def test_the_formgrader_reads_the_mark_and_comment_saved_here(root, course):
    scenario = reflective(course)[-1]
    before = {n["name"]: n for n in cycle.api(root).get_student_notebook_submissions("t3", MODULE)}
    save_mark(root, MODULE, scenario, "t3", "1", "Good use of the clause.")
    api = cycle.api(root)
    after = {n["name"]: n for n in api.get_student_notebook_submissions("t3", MODULE)}
    assert after[scenario]["score"] == pytest.approx(before[scenario]["score"] + 1)
    assert before[scenario]["needs_manual_grade"] and not after[scenario]["needs_manual_grade"]
    assert {k: v for k, v in after.items() if k != scenario} == {
        k: v for k, v in before.items() if k != scenario
    }
    # The formgrader's grading page reads the grade and comment by the submission's ids.
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        notebook = gb.find_submission_notebook(scenario, MODULE, "t3")
        grade = gb.find_grade_by_id(next(g.id for g in notebook.grades if g.name == REFLECTION))
        comment = gb.find_comment_by_id(next(c.id for c in notebook.comments if c.name == REFLECTION))
        assert (grade.manual_score, grade.needs_manual_grade, comment.manual_comment) == (
            1,
            False,
            "Good use of the clause.",
        )


@pytest.mark.slow
def test_the_marking_view_saves_refuses_and_filters(root, course):
    dashboard = Dashboard([root])
    views = dashboard.views
    views.choice.value = MARKING
    assert views.marking.cards == []  # all modules shown: it asks for a module first
    dashboard.module.value = MODULE
    marking = views.marking
    assert [value for _, value in marking.scenario.options] == reflective(course)
    card = next(c for c in marking.cards if c.reflection.student == "t2")
    view_html = "".join(
        w.value for w in card.view.children if hasattr(w, "value") and isinstance(w.value, str)
    )
    assert html.escape(SCRIPT_NAME) in view_html and SCRIPT_NAME not in view_html
    before, totals = gradebook_dump(root), scores(root)
    card.mark.value = "lots"
    assert not card.save() and "nothing was saved" in html.unescape(card.status.value)
    assert gradebook_dump(root) == before
    card.mark.value, card.comment.value = "1", "Fine."
    assert card.save() and "Saved: 1 of" in card.status.value
    assert gradebook_dump(root)["t2", marking.scenario.value, REFLECTION][1] == 1
    assert scores(root) == {t: pytest.approx(s + (t == "t2")) for t, s in totals.items()}  # nbgrader's API
    assert f"{len(SUBMITTERS) - 1} of {len(SUBMITTERS)}" in marking.count.value
    marking.awaiting.value = True
    assert sorted(c.reflection.student for c in marking.cards) == sorted(set(SUBMITTERS) - {"t2"})
    views.choice.value = "overview"  # the overview is read again: it now counts the mark
    assert views.stale == set()


@pytest.mark.slow
def test_one_trainees_record_shows_their_choices_scores_and_history(cohort, course):
    content = {i.id: i for i in course.module(MODULE).items}
    with Gradebook(f"sqlite:///{cohort.root / 'gradebook.db'}", COURSE_ID) as gb:
        notebooks = gb.find_submission(MODULE, "t3").notebooks
        graded = {nb.name: nb.score for nb in notebooks if nb.name != READING}
    record = trainee_record(cohort.root, "t3")
    assert (record.name, record.email) == (names()["t3"], "t3@example.org")
    (module,) = record.modules
    stamp = (cohort.root / "submitted" / "t3" / MODULE / "timestamp.txt").read_text().strip()
    assert module.submitted is not None and f"{module.submitted:%Y-%m-%d %H:%M:%S}" == stamp[:19]
    assert module.score == pytest.approx(sum(graded.values()))
    assert [s.scenario for s in module.scenarios] == [i.id for i in course.module(MODULE).items]
    text = record_text(record)
    for s in module.scenarios:
        assert s.score == pytest.approx(graded[s.scenario])
        options = {o.id: o for step in content[s.scenario].steps for o in step.options}
        path = plain(s.reflection.markdown if s.reflection else s.path)
        for choice in cohort.choices["t3"][s.scenario]:
            assert options[choice["option"]].text in path and options[choice["option"]].text in text
    assert [what for _, what in module.history][:1] == ["due"] and "submitted (as collected)" in text
    (absent,) = trainee_record(cohort.root, "t4").modules  # never submitted
    assert (absent.status, absent.lateness, absent.submitted, absent.score) == (
        ModuleStatus.NOT_SUBMITTED,
        "not submitted",
        None,
        None,
    )
    assert all(s.reflection is None and s.feedback_released is None for s in absent.scenarios)
    status, out = cohort_cli(cohort.root, "trainee", "t3")
    assert status == 0 and out.strip() == text
    status, out = cohort_cli(cohort.root, "trainee", "t9")
    assert status == 2 and "'t9' is not a trainee" in out


# --- in the browser ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_marking_and_a_trainees_page_in_the_browser(cohort, course, tmp_path, browser, shots):
    root = copy_cohort(cohort, tmp_path / "winter")
    scenario = reflective(course)[0]
    with dashboard_server(root) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        seen = watch(page)
        page.goto(f"{url}/")
        page.locator("table.mip-summary").wait_for(timeout=90_000)
        page.get_by_label("View", exact=True).select_option(label="Mark reflections")
        page.get_by_label("Module", exact=True).select_option(label=course.module(MODULE).module.title)
        mark = page.get_by_label("Mark for t2", exact=False)
        mark.wait_for(timeout=30_000)
        chosen = page.get_by_label("Scenario to mark").evaluate("s => s.options[s.selectedIndex].text")
        assert chosen.replace("\xa0", " ") == reflection_scenarios(root, MODULE)[scenario]  # ipywidgets: nbsp
        assert page.get_by_text(WRITTEN).count() == len(SUBMITTERS)
        page.wait_for_timeout(300)
        violations = {"marking": axe_violations(page)}

        before = gradebook_dump(root)
        mark.fill("9")
        page.get_by_role("button", name="Save mark for t2").click()
        page.get_by_role("status").filter(has_text="nothing was saved").wait_for(timeout=30_000)
        assert gradebook_dump(root) == before
        mark.fill("1")
        page.get_by_label("Comment for t2").fill("Say which clause.")
        page.get_by_role("button", name="Save mark for t2").click()
        page.get_by_role("status").filter(has_text="Saved: 1 of").wait_for(timeout=30_000)
        page.screenshot(path=str(shots / "dashboard-marking.png"))
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
            assert gb.find_grade(REFLECTION, scenario, MODULE, "t2").manual_score == 1
            assert gb.find_comment(REFLECTION, scenario, MODULE, "t2").manual_comment == "Say which clause."
        page.close()

        page = browser.new_page(viewport={"width": 1200, "height": 900})
        seen_too = watch(page)
        page.goto(f"{url}/?trainee=t2")
        page.get_by_role("heading", name="One trainee").wait_for(timeout=90_000)
        page.locator("table.mip-history").first.wait_for(timeout=60_000)
        text = page.locator(".mip-trainee").inner_text()
        item = next(i for i in course.module(MODULE).items if i.id == scenario)
        options = {o.id: o for s in item.steps for o in s.options}
        for choice in cohort.choices["t2"][scenario]:
            assert options[choice["option"]].text in text
        assert "Say which clause." in text and SCRIPT_NAME in text  # the name as text, never run
        page.wait_for_timeout(300)
        violations["trainee"] = axe_violations(page)
        page.screenshot(path=str(shots / "dashboard-trainee.png"))
        assert violations == {"marking": [], "trainee": []}
        assert seen.errors == seen.external == seen_too.errors == seen_too.external == []
        page.close()
    shutil.rmtree(root, ignore_errors=True)


def test_the_readme_names_the_views_and_inputs_the_dashboard_has():
    """What the README tells a tutor to choose is what the page offers."""
    from course.cohort.dashboard.marking_view import AWAITING_ONLY, MarkingView
    from course.cohort.dashboard.views import VIEWS

    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    labels = dict(VIEWS)
    view = MarkingView()
    for said in (
        f"*View: {next(k for k, v in labels.items() if v == MARKING)}*",
        f"*View: {next(k for k, v in labels.items() if v == TRAINEE)}*",
        f"*{view.scenario.description}*",
        f"*{AWAITING_ONLY}*",
        "`course cohort trainee ID`",
    ):
        assert said in readme


@pytest.mark.slow
def test_the_record_says_when_feedback_was_released(root):
    before = trainee_record(root, "t1").modules[0]
    assert all(s.feedback_released is None for s in before.scenarios)
    results = cycle.feedback(root, [MODULE])
    assert all(r.ok for r in results), [str(r) for r in results]
    (module,) = trainee_record(root, "t1").modules
    folder = root / "feedback" / "t1" / MODULE
    assert [s.scenario for s in module.scenarios if s.feedback_released] == [
        s.scenario for s in module.scenarios if (folder / f"{s.scenario}.html").is_file()
    ]
    assert module.scenarios and all(s.feedback_released for s in module.scenarios)
    events = [what for _, what in module.history]
    assert events.index("feedback generated") < events.index("feedback released to the trainee")
    assert "feedback released" in record_text(trainee_record(root, "t1"))
