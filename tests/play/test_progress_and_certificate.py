"""Progress derived from saved answers; the CPD certificate built from it."""

from __future__ import annotations

import json
from datetime import date

import pytest

from course.build.notebooks import CATALOG_FILE, build_course
from course.play.answers import Answers, save_answers
from course.play.certificate import PROFILE_FILE, CertificatePage, certificate_for, certificate_html
from course.play.progress import COMPLETED, IN_PROGRESS, NOT_STARTED, continue_target, course_progress

MODULE = "05-must-not"


def best(scn) -> list[dict[str, str]]:
    steps, node, out = {s.id: s for s in scn.steps}, scn.start, []
    while node in steps:
        option = max(steps[node].options, key=lambda o: o.points)
        out.append({"step": node, "option": option.id})
        node = option.next
    return out


@pytest.fixture
def practice(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "site" / "practice")
    return tmp_path / "site" / "practice"


def progress_of(practice):
    return course_progress(practice, json.loads((practice / CATALOG_FILE).read_text()))


def complete(practice, content) -> None:
    for item in content.items:
        save_answers(practice / content.module.id, Answers(scenario=item.id, choices=best(item)))


def test_nothing_saved_means_not_started_and_start_with_the_first_reading(practice, course):
    progress = progress_of(practice)
    assert {m.status for m in progress} == {NOT_STARTED}
    module, page = continue_target(progress)
    assert (module.id, page.id) == (course.modules[0].module.id, "reading")


def test_a_half_played_scenario_is_in_progress_and_is_where_to_continue(practice, course):
    content = course.module(MODULE)
    scn = next(s for s in content.scenarios if len(s.steps) > 1)
    save_answers(practice / MODULE, Answers(scenario=scn.id, choices=best(scn)[:1]))
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
    catalog = json.loads((practice / CATALOG_FILE).read_text())
    assert certificate_for("Ada", catalog, progress_of(practice), date(2026, 11, 23)) is None


def test_certificate_names_modules_hours_date_and_policy_version(practice, course):
    content = course.module(MODULE)
    complete(practice, content)
    catalog = json.loads((practice / CATALOG_FILE).read_text())
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
