"""The scenario player's behaviour, driven through its real widgets (no browser needed)."""

from __future__ import annotations

import json
from html import escape

import ipywidgets as widgets
import pytest

from course.build.compose import module_document, play_document
from course.documents import MODULE_DOCUMENT, SCENARIO_SUFFIX, Answers, answers_path
from course.engine import walk
from course.play.answers import save_answers
from course.play.app import ScenarioApp
from course.policy import load_policy
from course.scenario.validate import max_points

from ..conftest import best_path


@pytest.fixture
def module(course):
    return course.module("05-must-not")


def app_for(module, scn, folder, *, assessed: bool, policy=None) -> ScenarioApp:
    """The player as the build lays it out: the module's document beside the page."""
    policy = policy or load_policy()
    about = module_document(module, 1, policy, assessed=assessed)
    (folder / MODULE_DOCUMENT).write_text(json.dumps(about))
    document = play_document(module, scn, policy, assessed=assessed)
    (folder / f"{scn.id}{SCENARIO_SUFFIX}").write_text(json.dumps(document))
    return ScenarioApp(document, folder)


def make_app(module, tmp_path, *, assessed: bool) -> ScenarioApp:
    return app_for(module, module.scenarios[0], tmp_path, assessed=assessed)


def saved(tmp_path, app) -> dict:
    return json.loads(answers_path(tmp_path, app.scenario["id"]).read_text())


def pick(app, index: int) -> str:
    """Choose the current step's ``index``-th option as authored (the page shows them shuffled)."""
    option = walk(app.scenario, app.answers.choices).current["options"][index]["id"]
    app.options.value = option
    app.confirm.click()
    return option


def test_confirm_without_a_choice_asks_for_one_and_saves_nothing(module, tmp_path):
    app = make_app(module, tmp_path, assessed=False)
    app.confirm.click()
    assert "Choose one of the options first" in app.hint.value
    assert not answers_path(tmp_path, app.scenario["id"]).exists()


def test_practice_shows_feedback_and_consequence_and_saves_each_choice(module, tmp_path):
    app = make_app(module, tmp_path, assessed=False)
    scn = module.scenarios[0]
    first = scn.step(scn.start).options[1]
    assert pick(app, 1) == first.id
    assert saved(tmp_path, app)["choices"] == [{"step": scn.start, "option": first.id}]
    assert "mip-feedback" in app.history.value
    assert escape(first.consequence) in app.history.value
    assert escape(scn.step(first.next).prompt) in app.prompt.value


def test_assessed_shows_consequence_without_feedback(module, tmp_path):
    app = make_app(module, tmp_path, assessed=True)
    scn = module.scenarios[0]
    first = scn.step(scn.start).options[0]
    pick(app, 0)
    assert escape(first.consequence) in app.history.value
    assert "mip-feedback" not in app.history.value and escape(first.feedback) not in app.history.value
    assert app.action.description == "Submit module for grading"


def html_widgets(widget) -> list[widgets.HTML]:
    """Every HTML widget in the tree under ``widget`` (the widgets whose value is markup)."""
    found = [widget] if isinstance(widget, widgets.HTML | widgets.HTMLMath) else []
    for child in getattr(widget, "children", ()):
        found += html_widgets(child)
    return found


def test_reflection_is_saved_as_typed_and_restored_by_a_new_app(module, tmp_path):
    hostile = "<script>x</script> because the clause <b>says</b> so & more"
    app = make_app(module, tmp_path, assessed=False)
    pick(app, 0)
    app.reflection.value = hostile
    assert saved(tmp_path, app)["reflection"] == hostile  # saved as the text typed
    again = make_app(module, tmp_path, assessed=False)
    pick(again, 0)  # the page redrawn once more with the reflection loaded
    # Shown only in its text box, as the text typed (a textarea's value is never markup)...
    assert again.reflection.value == hostile and again.answers.reflection == hostile
    assert again.answers.choices[:1] == app.answers.choices
    # ...and never as markup anywhere on the page.
    markup = html_widgets(again.view)
    assert again.history in markup and again.ending in markup  # the walk does reach the widgets
    for shown in markup:
        for fragment in ("<script>", "<b>says</b>", hostile):
            assert fragment not in shown.value, shown.value


def test_start_again_clears_the_path_in_practice(module, tmp_path):
    app = make_app(module, tmp_path, assessed=False)
    pick(app, 0)
    app.action.click()
    app.confirm_restart.click()
    assert saved(tmp_path, app)["choices"] == [] and saved(tmp_path, app)["orders"] == {}
    assert app.history.value == ""


def test_answers_from_an_older_revision_are_set_aside_not_lost(module, tmp_path):
    scn = module.scenarios[0]
    stale = Answers(scn.id, [{"step": scn.start, "option": "renamed-since"}], "mine", "x").to_json()
    answers_path(tmp_path, scn.id).write_text(stale)
    app = make_app(module, tmp_path, assessed=False)
    assert "no longer match" in app.notice.value
    (kept,) = tmp_path.glob("*.invalid.json")
    assert kept.read_text() == stale
    assert app.answers.choices == [] and not answers_path(tmp_path, scn.id).exists()


def test_an_over_long_reflection_is_cut_to_the_limit_and_the_trainee_told(module, tmp_path):
    from course.documents import MAX_REFLECTION_CHARS

    app = make_app(module, tmp_path, assessed=False)
    app.reflection.value = "x" * (MAX_REFLECTION_CHARS + 10)
    assert len(saved(tmp_path, app)["reflection"]) == MAX_REFLECTION_CHARS
    assert "only the first part is saved" in app.saved.value


def test_a_knowledge_check_plays_in_the_same_player_without_story_or_reflection(module, tmp_path):
    check = module.check
    app = app_for(module, check, tmp_path, assessed=False)
    assert app.situation.value == "" and app.reflection.layout.display == "none"
    step = check.step(check.start)
    for _ in check.steps:
        right = max(range(len(step.options)), key=lambda i: step.options[i].points)
        pick(app, right)
        step = next((s for s in check.steps if s.id == step.options[right].next), None)
    assert "You scored" in app.ending.value
    most = max_points(check)
    assert f"{most} of {most} points" in app.ending.value
    assert "What happens next" not in app.history.value  # questions have no consequences


def test_a_scenario_answered_before_a_policy_revision_asks_for_a_retake(module, tmp_path):
    from ..conftest import best_path
    from .test_progress_and_certificate import revised

    old, scn = load_policy(), module.scenarios[0]
    clause = sorted({c for step in scn.steps for o in step.options for c in o.clauses})[0]
    first = make_app(module, tmp_path, assessed=False)
    for decision in best_path(scn):
        first.options.value = decision["option"]
        first.confirm.click()
    assert saved(tmp_path, first)["policy_version"] == old.version and first.notice.value == ""

    new = revised(old, clause, "2027-03")
    app = app_for(module, scn, tmp_path, assessed=False, policy=new)
    assert "2027-03" in app.notice.value and new.place(clause) in app.notice.value
    assert clause not in app.notice.value  # trainees never see a clause id
    assert escape(new.clauses[clause].text) in app.notice.value  # the new wording, quoted
    app.action.click()  # Start again
    assert (
        saved(tmp_path, app)["choices"]
        and "Your choices on this page will be cleared" in app.action_status.value
    )
    app.confirm_restart.click()  # asked, and confirmed
    assert app.notice.value == "" and saved(tmp_path, app)["policy_version"] == "2027-03"


def lay_out_module(module, folder, *, assessed: bool) -> None:
    """Every page's document beside the module's, as a release holds them."""
    policy = load_policy()
    (folder / MODULE_DOCUMENT).write_text(json.dumps(module_document(module, 1, policy, assessed=assessed)))
    for item in module.items:
        document = play_document(module, item, policy, assessed=assessed)
        (folder / f"{item.id}{SCENARIO_SUFFIX}").write_text(json.dumps(document))


def test_assessed_submit_asks_for_every_reflection_first(module, tmp_path):
    folder = tmp_path / module.module.id  # as fetched: the module's own folder
    folder.mkdir()
    lay_out_module(module, folder, assessed=True)
    app = app_for(module, module.scenarios[0], folder, assessed=True)
    assert "Required before you submit" in app.reflection_label.value
    app.action.click()
    assert "write your reflection on" in app.action_status.value
    for scn in module.scenarios:
        assert escape(scn.title) in app.action_status.value
    assert app.confirm_submit.layout.display == "none"

    for scn in module.scenarios:
        save_answers(folder, Answers(scn.id, [], "What I would do, and why.", "", "2021-09"))
    app.action.click()
    assert "You are about to submit" in app.action_status.value
    assert app.confirm_submit.layout.display is None


def test_a_self_study_reflection_says_it_is_optional(module, tmp_path):
    app = make_app(module, tmp_path, assessed=False)
    assert "Optional in self-study" in app.reflection_label.value


def finish(app) -> None:
    while walk(app.scenario, app.answers.choices).current is not None:
        pick(app, 0)


def test_self_study_offers_the_model_answer_once_finished_and_written(module, tmp_path):
    scn = module.scenarios[0]
    app = make_app(module, tmp_path, assessed=False)
    app.reflection.value = "A first thought, before deciding."
    assert app.model.value == ""  # not before the scenario is finished: it would give it away
    finish(app)
    assert "Compare with a model answer" in app.model.value
    assert escape(scn.reflection.model_answer.split("\n\n")[0].strip()) in app.model.value
    (tmp_path / "unwritten").mkdir()
    fresh = make_app(module, tmp_path / "unwritten", assessed=False)
    finish(fresh)
    assert fresh.model.value == ""  # finished, nothing written: nothing to compare with yet
    fresh.reflection.value = "Now written."
    assert "Compare with a model answer" in fresh.model.value


def test_an_assessed_page_never_shows_a_model_answer(module, tmp_path):
    app = make_app(module, tmp_path, assessed=True)
    app.reflection.value = "Written."
    finish(app)
    assert app.model.value == "" and "model_answer" not in json.dumps(app.doc)


def test_a_knowledge_check_ends_with_passed_or_what_to_revisit(module, tmp_path):
    check, policy = module.check, load_policy()
    app = app_for(module, check, tmp_path, assessed=False)
    while walk(app.scenario, app.answers.choices).current is not None:
        step = walk(app.scenario, app.answers.choices).current
        worst = min(range(len(step["options"])), key=lambda i: step["options"][i]["points"])
        pick(app, worst)
    assert "Not yet passed" in app.ending.value
    assert f"pass mark {module.module.pass_mark}%" in app.ending.value
    missed = {c for _, o in walk(app.scenario, app.answers.choices).taken for c in o["clauses"]}
    for clause in missed:
        assert escape(policy.place(clause)) in app.ending.value
    app.action.click()  # Start again
    app.confirm_restart.click()
    while walk(app.scenario, app.answers.choices).current is not None:
        step = walk(app.scenario, app.answers.choices).current
        pick(app, max(range(len(step["options"])), key=lambda i: step["options"][i]["points"]))
    assert "Passed" in app.ending.value and "100%" in app.ending.value


def test_each_confirmed_question_stays_above_the_choice_and_a_check_numbers_them(module, tmp_path):
    scn = next(s for s in module.scenarios if len(best_path(s)) > 1)
    app = app_for(module, scn, tmp_path, assessed=False)
    for n, decision in enumerate(best_path(scn), start=1):
        asked = escape(scn.step(decision["step"]).prompt)
        assert asked in app.prompt.value and "Question" not in app.prompt.value
        pick(app, [o.id for o in scn.step(decision["step"]).options].index(decision["option"]))
        history = app.history.value
        # The question as asked, then what was chosen, for every decision so far.
        assert history.count('class="mip-asked"') == n
        assert history.index(asked) < history.index("You chose:", history.index(asked))
    check = module.check
    app = app_for(module, check, tmp_path, assessed=False)
    for n, decision in enumerate(best_path(check), start=1):
        assert f"Question {n}. {escape(check.step(decision['step']).prompt)}" in app.prompt.value
        pick(app, [o.id for o in check.step(decision["step"]).options].index(decision["option"]))
        assert (
            f"<strong>Question {n}. </strong>{escape(check.step(decision['step']).prompt)}"
            in app.history.value
        )


def test_start_again_shows_once_something_is_answered_and_asks_before_it_erases(module, tmp_path):
    app = make_app(module, tmp_path, assessed=False)
    assert app.action.layout.display == "none"  # nothing answered: nothing to start again
    chosen = pick(app, 0)
    assert app.action.layout.display is None and app.action.description == "Start again"
    app.action.click()
    assert saved(tmp_path, app)["choices"][0]["option"] == chosen  # asked, not erased
    assert app.confirm_restart.layout.display is None and "will be cleared" in app.action_status.value
    app.confirm_restart.click()
    assert saved(tmp_path, app)["choices"] == [] and app.action.layout.display == "none"
    assert app.confirm_restart.layout.display == "none" and app.action_status.value == ""
