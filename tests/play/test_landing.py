"""The landing page over a course built into a scratch folder: the policy it teaches, every module
in order with its status, a link to every page, and where to go on.

Expected text comes from the built module documents (read here as plain JSON) and from the
authored course; the pages played are chosen here, so each status is known beforehand.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import ipywidgets as widgets
import pytest

from course.build.notebooks import build_course
from course.documents import Answers
from course.play.answers import save_answers
from course.play.landing import landing_html, show_landing
from course.play.learner import LEARNER_ENV, PROGRESS_ENV
from course.play.site import open_site
from course.policy import load_policy

from ..conftest import best_path

MODULE_SECTION = re.compile(r'<section class="mip-module" aria-labelledby="m-([^"]+)">(.*?)</section>', re.S)
PAGE_LINK = re.compile(
    r'<li><a href="([^"]*)">(.*?)</a>(?: <span class="mip-page-status">\((.*?)\)</span>)?</li>'
)
STATUS_LINE = re.compile(r'<p class="mip-module-status">Status: <strong>(.*?)</strong> · (\d+) of (\d+) done')


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


def test_lists_every_module_in_course_order_with_a_link_to_every_page(site, course):
    documents, html = module_documents(site), page(site)
    shown = sections(html)
    assert list(shown) == [c.module.id for c in course.modules]  # all, in order
    for content in course.modules:
        module_id, document = content.module.id, documents[content.module.id]
        body = shown[module_id]
        assert f'<h2 id="m-{module_id}">{escape(content.module.title)}</h2>' in body
        assert escape(content.module.summary) in body
        assert f"estimated time {content.module.cpd_minutes} minutes (CPD)" in body
        assert STATUS_LINE.search(body).groups() == ("not started", "0", str(len(content.items)))
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
    assert (
        f'<p class="mip-continue"><a href="practice/{first.id}/reading.ipynb">Start the course: '
        f"{escape(title)}</a> <span>({escape(first.title)})</span></p>"
    ) in html


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
    assert (
        f'<p class="mip-continue"><a href="practice/{half.module.id}/{started.id}.ipynb">'
        f"Continue where you left off: {escape(started.title)}</a> "
        f"<span>({escape(half.module.title)})</span></p>"
    ) in html


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


def test_show_landing_without_modules_says_how_to_get_some(tmp_path, shown):
    show_landing(tmp_path)
    (widget,) = shown
    assert isinstance(widget, widgets.HTML)
    assert "No modules here yet" in widget.value and "<code>course build</code>" in widget.value
    assert 'class="mip-module"' not in widget.value


def test_show_landing_shows_the_course_as_a_widget(site, course, shown, monkeypatch):
    monkeypatch.chdir(site)
    show_landing()  # the page's own folder, as the landing notebook calls it
    (widget,) = shown
    assert isinstance(widget, widgets.HTML)  # a widget, not an HTML output (see landing.py)
    assert list(sections(widget.value)) == [c.module.id for c in course.modules]
    assert "No modules here yet" not in widget.value
