"""Progress derived from saved answers; the CPD certificate built from it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from html import escape

import pytest

from course.build.notebooks import build_course
from course.documents import Answers, answers_path, read_catalog
from course.play.answers import save_answers
from course.play.award import ModuleAward, certificate_for
from course.play.certificate import CertificatePage, certificate_html
from course.play.learner import LEARNER_ENV, PROGRESS_ENV, answers_folder, learner_root, new_learner_id
from course.play.progress import continue_target, course_progress
from course.play.site import PROFILE_FILE, open_site
from course.policy import load_policy
from course.status import PageStatus

from ..conftest import best_path, choices_of, walk_model

MODULE = "05-must-not"


@pytest.fixture
def practice(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "site" / "practice")
    return tmp_path / "site" / "practice"


def progress_of(practice):
    return course_progress(practice, read_catalog(practice), None)


def complete(practice, content, version: str | None = None) -> None:
    version = version or load_policy().version
    for item in content.items:
        answers = Answers(scenario=item.id, choices=best_path(item), policy_version=version)
        save_answers(practice / content.module.id, answers)


def revised(policy, clause_id: str, version: str):
    """The policy as MIP might revise it: one clause reworded in a new version."""
    sections = tuple(
        s.model_copy(
            update={
                "clauses": tuple(
                    c.model_copy(update={"text": c.text + " (revised)", "revised": version})
                    if c.id == clause_id
                    else c
                    for c in s.clauses
                )
            }
        )
        for s in policy.sections
    )
    return policy.model_copy(update={"version": version, "sections": sections})


def test_nothing_saved_means_not_started_and_start_with_the_first_reading(practice, course):
    progress = progress_of(practice)
    assert {m.status for m in progress} == {PageStatus.NOT_STARTED}
    module, page = continue_target(progress)
    assert (module.id, page.id) == (course.modules[0].module.id, "reading")


def test_a_half_played_scenario_is_in_progress_and_is_where_to_continue(practice, course):
    content = course.module(MODULE)
    scn = next(s for s in content.scenarios if len(s.steps) > 1)
    save_answers(practice / MODULE, Answers(scenario=scn.id, choices=best_path(scn)[:1]))
    progress = {m.id: m for m in progress_of(practice)}
    assert progress[MODULE].status == PageStatus.IN_PROGRESS
    page = next(p for p in progress[MODULE].pages if p.id == scn.id)
    assert page.status == PageStatus.IN_PROGRESS and page.updated
    assert continue_target(list(progress.values()))[1].id == scn.id


def test_a_module_begun_is_continued_before_a_new_one_is_started(practice, course):
    """One scenario of a later module finished, nothing else: go on in that module (at its
    first scenario not yet done), not back to the course's first reading."""
    content = course.module(MODULE)
    assert course.modules[0].module.id != MODULE
    second = content.scenarios[1]
    save_answers(practice / MODULE, Answers(scenario=second.id, choices=best_path(second)))
    module, page = continue_target(progress_of(practice))
    assert (module.id, page.id) == (MODULE, content.scenarios[0].id)


def test_every_item_finished_completes_the_module(practice, course):
    content = course.module(MODULE)
    complete(practice, content)
    module = {m.id: m for m in progress_of(practice)}[MODULE]
    assert module.status == PageStatus.COMPLETED and module.done == len(content.items)


def test_no_certificate_before_a_module_is_complete(practice):
    catalog = read_catalog(practice)
    assert certificate_for("Ada", catalog, progress_of(practice), date(2026, 11, 23)) is None


def test_certificate_names_modules_hours_date_and_policy_version(practice, course):
    content = course.module(MODULE)
    complete(practice, content)
    catalog = read_catalog(practice)
    cert = certificate_for("Ada <b>Lovelace</b>", catalog, progress_of(practice), date(2030, 1, 1))
    module = content.module
    assert cert.modules == (ModuleAward(module.title, module.cpd_minutes, module.outcome),)
    assert cert.minutes == module.cpd_minutes
    # The day the last answers were saved (the UTC date of their stamp), not "today" passed in.
    stamps = [
        datetime.fromisoformat(json.loads(answers_path(practice / MODULE, item.id).read_text())["updated"])
        for item in content.items
    ]
    assert all(stamp.utcoffset() == timedelta(0) for stamp in stamps)
    assert cert.completed_on == max(stamps).astimezone(UTC).date()
    html = certificate_html(cert)
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html and "<b>Lovelace" not in html
    hours, minutes = divmod(module.cpd_minutes, 60)  # e.g. 70 min is "1 h 10 min"
    written = f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"
    assert f"version {catalog['policy_version']}" in html
    assert f"Total CPD time: <strong>{written}</strong>" in html
    assert escape(module.outcome) in html


def test_certificate_page_saves_the_name_and_keeps_it_across_rebuilds(practice, course):
    complete(practice, course.module(MODULE))
    page = CertificatePage(practice.parent)
    page.name.value = "Dr Amara Okoye"
    assert "Dr Amara Okoye" in page.body.value
    build_course(course, source_dir=practice.parent.parent / "source", practice_dir=practice)
    assert json.loads((practice / PROFILE_FILE).read_text()) == {"name": "Dr Amara Okoye"}
    assert CertificatePage(practice.parent).name.value == "Dr Amara Okoye"


def test_a_revised_clause_marks_completed_modules_that_touch_it_for_a_retake(tmp_path, course):
    old = load_policy()
    content = course.module(MODULE)
    touched = sorted(content.clauses)[0]
    untouched = next(c for c in old.clauses if c not in content.clauses)
    practice = tmp_path / "practice"
    build_course(course, source_dir=tmp_path / "source", practice_dir=practice)
    complete(practice, content, old.version)
    assert {m.id: m for m in progress_of(practice)}[MODULE].status == PageStatus.COMPLETED

    # A revision of a clause this module does not rest on changes nothing.
    other = revised(old, untouched, "2027-03")
    build_course(course, source_dir=tmp_path / "s", practice_dir=practice, policy=other)
    assert {m.id: m for m in progress_of(practice)}[MODULE].status == PageStatus.COMPLETED

    new = revised(old, touched, "2027-03")
    build_course(course, source_dir=tmp_path / "s", practice_dir=practice, policy=new)
    progress = progress_of(practice)
    module = {m.id: m for m in progress}[MODULE]
    assert module.status == PageStatus.NEEDS_RETAKE and module.changed_clauses == (touched,)
    assert module.done == 0
    target_module, target_page = continue_target(progress)
    assert target_module.id == MODULE and target_page.status == PageStatus.NEEDS_RETAKE
    assert certificate_for("Ada", read_catalog(practice), progress, date(2030, 1, 1)) is None

    complete(practice, content, new.version)  # retaken under the revised policy
    assert {m.id: m for m in progress_of(practice)}[MODULE].status == PageStatus.COMPLETED


def test_each_self_study_learner_has_their_own_progress(practice, course, tmp_path, monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV, str(tmp_path / "progress"))
    ada, bob = new_learner_id(), new_learner_id()
    monkeypatch.setenv(LEARNER_ENV, ada)
    site = open_site(practice.parent, learner_root())
    complete(answers_folder(practice / MODULE, "practice", learner_root()).parent, course.module(MODULE))
    assert (tmp_path / "progress" / ada / MODULE).is_dir()
    assert not list(practice.rglob("*.answers.json"))  # nothing in the shared site
    assert {m.id: m.status for m in site.progress()[0]}[MODULE] == PageStatus.COMPLETED
    assert site.profile == tmp_path / "progress" / ada / PROFILE_FILE

    monkeypatch.setenv(LEARNER_ENV, bob)
    assert {m.status for m in open_site(practice.parent, learner_root()).progress()[0]} == {
        PageStatus.NOT_STARTED
    }
    # An id the server could not have issued is ignored, never used as a path.
    monkeypatch.setenv(LEARNER_ENV, "../" + ada[3:])
    assert learner_root() is None
    assert open_site(practice.parent, learner_root()).profile == practice / PROFILE_FILE


def path_with(scn, worst: set[str]) -> list[dict[str, str]]:
    """The best option at every step but those in ``worst``, where the lowest-scoring one."""

    def pick(step):
        return (min if step.id in worst else max)(step.options, key=lambda o: o.points)

    return choices_of(walk_model(scn, pick))


def test_a_check_below_the_pass_mark_leaves_the_module_incomplete_and_says_what_to_revisit(practice, course):
    from course.play.landing import landing_html
    from course.status import PageStatus

    content = course.module(MODULE)
    complete(practice, content)
    check, policy = content.check, load_policy()
    failed = path_with(check, {s.id for s in check.steps})  # every question answered wrongly
    save_answers(practice / MODULE, Answers(scenario=check.id, choices=failed, policy_version=policy.version))
    progress = progress_of(practice)
    module = {m.id: m for m in progress}[MODULE]
    assert module.status == PageStatus.BELOW_PASS_MARK and module.done == len(content.items) - 1
    chosen = {(c["step"], c["option"]) for c in failed}
    wrong = {
        c
        for s in check.steps
        for o in s.options
        if (s.id, o.id) in chosen and o.points < s.points
        for c in o.clauses
    }
    assert module.missed == tuple(sorted(wrong))
    assert certificate_for("Ada", read_catalog(practice), progress, date(2030, 1, 1)) is None
    target_module, target_page = continue_target(progress)
    assert (target_module.id, target_page.id) == (MODULE, check.id)

    site = open_site(practice.parent, None)
    html = landing_html(site, progress)
    assert f"the pass mark is {content.module.pass_mark}%" in html
    for clause in wrong:
        assert escape(policy.place(clause)) in html and clause not in html  # a place, never an id
    assert "Retake the knowledge check" in html

    complete(practice, content)  # retaken, this time passed
    progress = progress_of(practice)
    assert {m.id: m for m in progress}[MODULE].status == PageStatus.COMPLETED
    cert = certificate_for("Ada", read_catalog(practice), progress, date(2030, 1, 1))
    listed = [(m.title, m.minutes) for m in cert.modules]
    assert listed == [(content.module.title, content.module.cpd_minutes)]


def test_the_pass_mark_is_reached_at_exactly_the_mark(practice, course):
    """A check one question short of full marks: passed when the mark is its score, not above."""
    content = course.module(MODULE)
    complete(practice, content)
    check = content.check
    one_wrong = path_with(check, {check.start})
    save_answers(practice / MODULE, Answers(scenario=check.id, choices=one_wrong, policy_version="2021-09"))
    page = next(
        p
        for p in progress_of(practice)[[m.id for m in progress_of(practice)].index(MODULE)].pages
        if p.id == check.id
    )
    document = practice / MODULE / "module.json"
    about = json.loads(document.read_text())
    marks = ((int(page.score), PageStatus.COMPLETED), (int(page.score) + 1, PageStatus.BELOW_PASS_MARK))
    for mark, status in marks:
        document.write_text(json.dumps({**about, "pass_mark": mark}))
        assert {m.id: m for m in progress_of(practice)}[MODULE].status == status, mark


def test_an_assessed_check_is_passed_or_not_as_the_released_feedback_says(tmp_path):
    from course.play.progress import FEEDBACK_FOLDER, released_score

    folder = tmp_path / MODULE
    assert released_score(folder, "check-x") is None  # nothing released
    older = folder / FEEDBACK_FOLDER / "2026-11-01 10:00:00.000000 UTC"
    newer = folder / FEEDBACK_FOLDER / "2026-11-20 10:00:00.000000 UTC"
    for stamp, score in ((older, "2.0"), (newer, "8.0")):
        stamp.mkdir(parents=True)
        # The heading nbgrader's feedback template writes for the notebook.
        (stamp / "check-x.html").write_text(f"<h4>check-x (Score: {score} / 10.0)</h4>")
    assert released_score(folder, "check-x") == 80.0  # the latest feedback counts
    (newer / "check-x.html").write_text("<h4>check-x</h4> no score here")
    assert released_score(folder, "check-x") is None
    (newer / "check-x.html").write_text("<h4>check-x (Score: 0.0 / 0.0)</h4>")
    assert released_score(folder, "check-x") is None


def test_an_assessed_module_goes_on_the_certificate_only_once_its_check_is_known_passed():
    from course.play.progress import ModuleProgress, PageProgress

    policy = {
        "organisation": "MIP",
        "title": "Social Media Policy",
        "version": "2021-09",
        "last_reviewed": "",
    }
    catalog = {"policy_version": "2021-09", "policy": policy, "modules": [{"id": "m", "cpd_minutes": 45}]}

    def module(passed):
        pages = (
            PageProgress("s", "Scenario", PageStatus.COMPLETED, "2026-11-20T10:00:00"),
            PageProgress("c", "Check", PageStatus.COMPLETED, "2026-11-20T10:05:00", passed=passed),
        )
        return ModuleProgress("m", "Module", pages)

    assert certificate_for("Ada", catalog, [module(None)], date(2026, 11, 28)) is None  # not graded yet
    assert certificate_for("Ada", catalog, [module(False)], date(2026, 11, 28)) is None
    cert = certificate_for("Ada", catalog, [module(True)], date(2026, 11, 28))
    assert [(m.title, m.minutes) for m in cert.modules] == [("Module", 45)]
    assert cert.completed_on == date(2026, 11, 20)
