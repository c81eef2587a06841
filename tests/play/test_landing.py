"""The landing page over a course built into a scratch folder: the policy it teaches, every module
in order with its status, a link to every page, and where to go on.

Expected text comes from the built module documents (read here as plain JSON) and from the
authored course; the pages played are chosen here, so each status is known beforehand.
"""

from __future__ import annotations

import json
import math
import re
from html import escape
from pathlib import Path
from urllib.parse import urljoin

import ipywidgets as widgets
import pytest

from course.build.notebooks import build_course
from course.documents import Answers
from course.play.answers import save_answers
from course.play.award import hours_minutes
from course.play.landing import landing_html, show_landing
from course.play.learner import LEARNER_ENV, PROGRESS_ENV
from course.play.site import open_site
from course.policy import load_policy
from course.scenario.validate import max_points

from ..conftest import best_path, choices_of, walk_model

MODULE_SECTION = re.compile(r'<section class="mip-module" aria-labelledby="m-([^"]+)">(.*?)</section>', re.S)
PAGE_LINK = re.compile(
    r'<li><a href="([^"]*)">(.*?)</a>(?: <span class="mip-page-status">\((.*?)\)</span>)?</li>'
)
STATUS_LINE = re.compile(
    r'<p class="mip-module-status" id="s-[^"]+">Status: <strong>(.*?)</strong> · (\d+) of (\d+) done'
)
BAR = re.compile(r'<progress class="mip-bar" max="(\d+)" value="(\d+)" aria-labelledby="([^"]+)">')


@pytest.fixture(autouse=True)
def no_learner(monkeypatch):
    """Answers beside the pages, as `course serve` keeps them when no learner cookie applies."""
    monkeypatch.delenv(LEARNER_ENV, raising=False)
    monkeypatch.delenv(PROGRESS_ENV, raising=False)


@pytest.fixture
def site(tmp_path, course) -> Path:
    root = tmp_path / "site"
    build_course(course, source_dir=tmp_path / "source", practice_dir=root / "practice")
    return root


def module_documents(site: Path) -> dict[str, dict]:
    """The built module documents, read as the files they are."""
    return {p.parent.name: json.loads(p.read_text()) for p in (site / "practice").glob("*/module.json")}


def page(site: Path) -> str:
    found = open_site(site, None)
    return landing_html(found, *found.progress())


def sections(html: str) -> dict[str, str]:
    return dict(MODULE_SECTION.findall(html))


def test_names_the_policy_from_the_module_documents(site):
    documents = module_documents(site)
    stamps = {json.dumps(d["policy"], sort_keys=True) for d in documents.values()}
    assert len(stamps) == 1  # every module teaches the same policy
    stamp = next(iter(documents.values()))["policy"]
    policy = load_policy()
    assert (stamp["organisation"], stamp["title"], stamp["version"]) == (
        policy.organisation,
        policy.title,
        policy.version,
    )
    html = page(site)
    assert f"<h1>{escape(stamp['organisation'])}: {escape(stamp['title'])}</h1>" in html
    assert f"version {escape(stamp['version'])} (last reviewed {escape(stamp['last_reviewed'])})" in html
    assert stamp["review_every_months"] == policy.review_every_months
    assert f"The policy is reviewed every {policy.review_every_months} months." in html


def test_lists_every_module_in_course_order_with_a_link_to_every_page(site, course):
    documents, html = module_documents(site), page(site)
    shown = sections(html)
    assert list(shown) == [c.module.id for c in course.modules]  # all, in order
    for content in course.modules:
        module_id, document = content.module.id, documents[content.module.id]
        body = shown[module_id]
        position = course.modules.index(content) + 1
        assert (
            f'<h2 id="m-{module_id}"><span class="mip-module-number">Module {position}</span> '
            f"{escape(content.module.title)}</h2>"
        ) in body
        assert escape(content.module.summary) in body
        assert f" · {hours_minutes(content.module.cpd_minutes)} (CPD)</p>" in body
        assert STATUS_LINE.search(body).groups() == ("not started", "0", str(len(content.items)))
        assert BAR.search(body).groups() == (str(len(content.items)), "0", f"s-{module_id}")
        assert "score so far" not in body  # nothing finished, nothing scored
        links = PAGE_LINK.findall(body)
        assert [p["id"] for p in document["pages"]] == ["reading", *(s.id for s in content.items)]
        assert links == [
            (f"practice/{module_id}/{p['id']}.ipynb", escape(p["title"]), "") for p in document["pages"]
        ]
        for href, _, _ in links:  # each link leads to a built page
            assert (site / href).is_file(), href
    site_ = open_site(site, None)
    for content in course.modules:
        for item in content.items:
            assert f'href="{site_.href(content.module.id, item.id)}"' in shown[content.module.id]


def test_with_nothing_saved_it_starts_the_course_with_the_first_reading(site, course):
    first = course.modules[0].module
    title = module_documents(site)[first.id]["pages"][0]["title"]
    html = page(site)
    assert title.startswith("Reading")
    assert (
        f'<p class="mip-continue"><a class="mip-button" href="practice/{first.id}/reading.ipynb">'
        f"Start module 1: {escape(first.title)}</a></p>"
    ) in html
    # The whole course at a glance: nothing done yet, and how long it all takes.
    items = sum(len(c.items) for c in course.modules)
    minutes = sum(c.module.cpd_minutes for c in course.modules)
    assert (
        f"Your progress: <strong>0 of {items}</strong> scenarios and knowledge checks done · 0 of "
        f"{len(course.modules)} modules completed · about {hours_minutes(minutes)} in all (CPD)"
    ) in html
    assert BAR.search(html).groups() == (str(items), "0", "mip-course-progress")
    # The pages are listed on demand: open only for the module the trainee is about to start.
    opened = [m for m, body in sections(html).items() if '<details class="mip-pages" open>' in body]
    assert opened == [first.id]


def test_statuses_and_the_continue_target_follow_the_answers_saved(site, course):
    done, half = course.modules[1], course.modules[3]
    for item in done.items:  # every page of one module, each along its best path
        save_answers(site / "practice" / done.module.id, Answers(item.id, best_path(item)))
    started = next(s for s in half.scenarios if len(best_path(s)) > 1)
    save_answers(site / "practice" / half.module.id, Answers(started.id, best_path(started)[:1]))

    shown = sections(page(site))
    expected = {c.module.id: ("not started", "0") for c in course.modules}
    expected[done.module.id] = ("completed", str(len(done.items)))
    expected[half.module.id] = ("in progress", "0")
    for content in course.modules:
        module_id = content.module.id
        status, count = expected[module_id]
        assert STATUS_LINE.search(shown[module_id]).groups() == (status, count, str(len(content.items)))
        statuses = {href.rsplit("/", 1)[1]: s for href, _, s in PAGE_LINK.findall(shown[module_id])}
        want = dict.fromkeys(statuses, "")  # an untouched page shows no status
        if content is done:
            want |= {f"{item.id}.ipynb": "completed" for item in done.items}
        if content is half:
            want[f"{started.id}.ipynb"] = "in progress"
        assert statuses == want, module_id

    html = page(site)
    position = course.modules.index(half) + 1
    assert (
        f'<p class="mip-continue"><a class="mip-button" href="practice/{half.module.id}/{started.id}.ipynb">'
        f"Continue: {escape(started.title)}</a> "
        f"<span>Module {position}: {escape(half.module.title)}</span></p>"
    ) in html
    # Scores: every page of `done` was played along its best path; `half` has none finished.
    assert "score so far 100%" in sections(html)[done.module.id]
    assert "score so far" not in sections(html)[half.module.id]
    items = sum(len(c.items) for c in course.modules)
    assert BAR.search(html).groups() == (str(items), str(len(done.items)), "mip-course-progress")
    assert BAR.search(sections(html)[done.module.id]).groups()[:2] == (str(len(done.items)),) * 2
    opened = [m for m, body in sections(html).items() if '<details class="mip-pages" open>' in body]
    assert opened == [half.module.id]


def test_a_module_score_is_the_points_got_on_its_finished_pages(site, course):
    """Worst choices on one page, best on another: the score is computed from the saved paths."""
    content = course.modules[2]
    first, second = content.scenarios[:2]
    taken = walk_model(first, lambda step: min(step.options, key=lambda o: o.points))
    save_answers(site / "practice" / content.module.id, Answers(first.id, choices_of(taken)))
    save_answers(site / "practice" / content.module.id, Answers(second.id, best_path(second)))
    got = sum(option.points for _, option in taken) + max_points(second)
    expected = 100 * got / (max_points(first) + max_points(second))
    body = sections(page(site))[content.module.id]
    assert f"score so far {math.floor(expected)}%" in body
    assert expected < 100


def test_an_opened_reading_is_shown_as_read_and_the_course_continues_past_it(site, course, monkeypatch):
    from course.play.reading import show_reading

    content = course.modules[0]
    monkeypatch.setattr("course.play.reading.display", lambda *_a, **_k: None)
    assert "(read)" not in sections(page(site))[content.module.id]
    show_reading(site / "practice" / content.module.id)  # the reading page's kernel, opened
    html = page(site)
    assert '">Reading: ' in sections(html)[content.module.id]
    assert "(read)</span></li>" in sections(html)[content.module.id]
    first = content.items[0]
    assert f'href="practice/{content.module.id}/{first.id}.ipynb">Continue: {escape(first.title)}' in html


def test_text_from_the_module_documents_and_problems_is_escaped(site, course):
    hostile = {
        "organisation": "<b>MIP</b> & co",
        "title": "<script>alert('policy')</script>",
        "last_reviewed": '"><img src=x onerror=alert(1)>',
    }
    for path in (site / "practice").glob("*/module.json"):
        document = json.loads(path.read_text())
        document["policy"] |= hostile
        document["title"] = "<script>alert('module')</script>"
        document["summary"] = "<i>summary</i> & <u>more</u>"
        document["pages"][1]["title"] = "<script>alert('page')</script>"
        path.write_text(json.dumps(document))
    found = open_site(site, None)
    problem = "<script>alert('exchange')</script>"
    html = landing_html(found, found.progress()[0], problem=problem)
    assert "<script>" not in html and "<img" not in html and "<b>MIP" not in html and "<i>" not in html
    for text in (*hostile.values(), "<script>alert('module')</script>", "<i>summary</i> & <u>more</u>"):
        assert escape(text) in html, text
    assert escape("<script>alert('page')</script>") in html
    assert f'<p class="mip-error" role="alert">{escape(problem)}</p>' in html
    assert html.count(escape("<script>alert('module')</script>")) >= len(course.modules)


@pytest.fixture
def shown(monkeypatch) -> list:
    seen: list = []
    monkeypatch.setattr("course.play.landing.display", lambda *objs, **_kw: seen.extend(objs))
    return seen


def test_show_landing_without_modules_says_how_to_get_some(tmp_path, shown, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    show_landing(tmp_path)
    (widget,) = shown
    assert isinstance(widget, widgets.HTML)
    assert "No modules here yet" in widget.value and "<code>course build</code>" in widget.value
    assert 'class="mip-module"' not in widget.value


def test_on_the_hub_an_empty_course_says_the_tutor_has_released_nothing_and_where_to_look_again(
    tmp_path, shown, monkeypatch
):
    """A trainee's own server (the hub sets JUPYTERHUB_USER): no `course build` for a trainee, and
    "look again" is the server's route that fetches what was released (course/hub/singleuser.py)."""
    from course.hub.settings import LANDING_ROUTE

    monkeypatch.setenv("JUPYTERHUB_USER", "t01")
    show_landing(tmp_path)
    (widget,) = shown
    assert "has not released a module to you yet" in widget.value
    assert "course build" not in widget.value
    (link,) = re.findall(r'href="([^"]+)"', widget.value)
    # from voila/render/index.ipynb, the link reaches the server's own /course route
    assert urljoin("http://h/user/t01/voila/render/index.ipynb", link) == f"http://h/user/t01/{LANDING_ROUTE}"


def test_show_landing_shows_the_course_as_a_widget(site, course, shown, monkeypatch):
    monkeypatch.chdir(site)
    show_landing()  # the page's own folder, as the landing notebook calls it
    (widget,) = shown
    assert isinstance(widget, widgets.HTML)  # a widget, not an HTML output (see landing.py)
    assert list(sections(widget.value)) == [c.module.id for c in course.modules]
    assert "No modules here yet" not in widget.value
