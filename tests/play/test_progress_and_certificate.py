"""Progress derived from saved answers; the CPD certificate built from it."""

from __future__ import annotations

import json
from datetime import date

import pytest

from course.build.documents import read_catalog
from course.build.notebooks import build_course
from course.play.answers import Answers, save_answers
from course.play.certificate import CertificatePage, certificate_for, certificate_html
from course.play.learner import LEARNER_ENV, PROGRESS_ENV, answers_folder, new_learner_id
from course.play.progress import (
    COMPLETED,
    IN_PROGRESS,
    NEEDS_RETAKE,
    NOT_STARTED,
    continue_target,
    course_progress,
)
from course.play.site import PROFILE_FILE, open_site
from course.policy import load_policy

from ..conftest import best_path

MODULE = "05-must-not"


@pytest.fixture
def practice(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "site" / "practice")
    return tmp_path / "site" / "practice"


def progress_of(practice):
    return course_progress(practice, read_catalog(practice))


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
    assert {m.status for m in progress} == {NOT_STARTED}
    module, page = continue_target(progress)
    assert (module.id, page.id) == (course.modules[0].module.id, "reading")


def test_a_half_played_scenario_is_in_progress_and_is_where_to_continue(practice, course):
    content = course.module(MODULE)
    scn = next(s for s in content.scenarios if len(s.steps) > 1)
    save_answers(practice / MODULE, Answers(scenario=scn.id, choices=best_path(scn)[:1]))
    progress = {m.id: m for m in progress_of(practice)}
    assert progress[MODULE].status == IN_PROGRESS
    page = next(p for p in progress[MODULE].pages if p.id == scn.id)
    assert page.status == IN_PROGRESS and page.updated
    assert continue_target(list(progress.values()))[1].id == scn.id


def test_every_item_finished_completes_the_module(practice, course):
    content = course.module(MODULE)
    complete(practice, content)
    module = {m.id: m for m in progress_of(practice)}[MODULE]
    assert module.status == COMPLETED and module.done == len(content.items)


def test_no_certificate_before_a_module_is_complete(practice):
    catalog = read_catalog(practice)
    assert certificate_for("Ada", catalog, progress_of(practice), date(2026, 11, 23)) is None


def test_certificate_names_modules_hours_date_and_policy_version(practice, course):
    content = course.module(MODULE)
    complete(practice, content)
    catalog = read_catalog(practice)
    cert = certificate_for("Ada <b>Lovelace</b>", catalog, progress_of(practice), date(2030, 1, 1))
    assert cert.modules == [(content.module.title, content.module.cpd_minutes)]
    assert cert.cpd_hours == round(content.module.cpd_minutes / 60, 1)
    assert cert.completed_on == date.today()  # the day the answers were saved, not "today" passed in
    html = certificate_html(cert)
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html and "<b>Lovelace" not in html
    assert f"version {catalog['policy_version']}" in html and f"{cert.cpd_hours:g} hours" in html


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
    assert {m.id: m for m in progress_of(practice)}[MODULE].status == COMPLETED

    # A revision of a clause this module does not rest on changes nothing.
    other = revised(old, untouched, "2027-03")
    build_course(course, source_dir=tmp_path / "s", practice_dir=practice, policy=other)
    assert {m.id: m for m in progress_of(practice)}[MODULE].status == COMPLETED

    new = revised(old, touched, "2027-03")
    build_course(course, source_dir=tmp_path / "s", practice_dir=practice, policy=new)
    progress = progress_of(practice)
    module = {m.id: m for m in progress}[MODULE]
    assert module.status == NEEDS_RETAKE and module.changed_clauses == (touched,)
    assert module.done == 0
    target_module, target_page = continue_target(progress)
    assert target_module.id == MODULE and target_page.status == NEEDS_RETAKE
    assert certificate_for("Ada", read_catalog(practice), progress, date(2030, 1, 1)) is None

    complete(practice, content, new.version)  # retaken under the revised policy
    assert {m.id: m for m in progress_of(practice)}[MODULE].status == COMPLETED


def test_each_self_study_learner_has_their_own_progress(practice, course, tmp_path, monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV, str(tmp_path / "progress"))
    ada, bob = new_learner_id(), new_learner_id()
    monkeypatch.setenv(LEARNER_ENV, ada)
    site = open_site(practice.parent)
    complete(answers_folder(practice / MODULE, "practice").parent, course.module(MODULE))
    assert (tmp_path / "progress" / ada / MODULE).is_dir()
    assert not list(practice.rglob("*.answers.json"))  # nothing in the shared site
    assert {m.id: m.status for m in site.progress()[0]}[MODULE] == COMPLETED
    assert site.profile == tmp_path / "progress" / ada / PROFILE_FILE

    monkeypatch.setenv(LEARNER_ENV, bob)
    assert {m.status for m in site.progress()[0]} == {NOT_STARTED}
    # An id the server could not have issued is ignored, never used as a path.
    monkeypatch.setenv(LEARNER_ENV, "../" + ada[3:])
    assert site.profile == practice / PROFILE_FILE
