"""A module's reading page over a course built into a scratch folder: every part's heading, each
clause quoted with its place in the policy (never its id), the CPD minutes and the links on.

Expected text comes from the authored module and from the policy's own clauses (``policy.yaml``
as data), not from the reading document the page is drawn from; links are checked by following
them to the files the build wrote.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import ipywidgets as widgets
import pytest

from course.build.notebooks import build_course
from course.documents import read_reading_document
from course.play.reading import reading_html, show_reading
from course.policy import load_policy

PART = re.compile(r'<section class="mip-reading-part"><h2>(.*?)</h2>(.*?)</section>', re.S)
CLAUSE = re.compile(r'<blockquote class="mip-clause"><p>(.*?)</p><footer>(.*?)</footer></blockquote>', re.S)
NAV = re.compile(r'<nav class="mip-nav" aria-label="Pages of this module">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]*)"(?: rel="(prev|next)")?>(.*?)</a>')


def squash(text: str) -> str:
    return " ".join(text.split())


def text_of(markup: str) -> str:
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


@pytest.fixture(scope="module")
def built(course, tmp_path_factory) -> Path:
    """The course built once; these tests only read it (the escaping test works on a copy)."""
    root = tmp_path_factory.mktemp("reading")
    build_course(course, source_dir=root / "source", practice_dir=root / "site" / "practice")
    return root


def reading_of(folder: Path) -> str:
    return reading_html(read_reading_document(folder))


def test_every_part_is_shown_in_order_with_its_clauses_quoted_and_placed(built, course):
    policy = load_policy()
    for content in course.modules:
        page = reading_of(built / "site" / "practice" / content.module.id)
        parts = PART.findall(page)
        assert [html.unescape(h) for h, _ in parts] == [p.heading for p in content.module.reading]
        for part, (_, body) in zip(content.module.reading, parts, strict=True):
            quoted = CLAUSE.findall(body)
            assert len(quoted) == len(part.clauses), part.heading
            for clause_id, (text, place) in zip(part.clauses, quoted, strict=True):
                clause = policy.clauses[clause_id]
                section = next(s for s in policy.sections if clause in s.clauses)
                # The clause's own words (a list item after its list's stem), and where it is.
                assert squash(html.unescape(text)).endswith(squash(clause.text)[1:]), clause_id
                if section.stem and section.clauses[0] is not clause:
                    assert html.unescape(text).startswith(f"{section.stem}: "), clause_id
                assert html.unescape(place).startswith(f"{section.title}, "), clause_id
                n = section.clauses.index(clause)
                assert html.unescape(place).endswith(
                    (f"item {n}", "the list's opening words") if section.stem else (f"point {n + 1}",)
                ), (clause_id, place)
            # Then the part's own explanation, after its quotations.
            assert squash(part.text) in text_of(body[body.rindex("</blockquote>") :]), part.heading


def test_no_clause_id_is_ever_shown(built, course):
    ids = list(load_policy().clauses)
    assert any(i.startswith("conduct.") for i in ids) and any(i.startswith("must-not.") for i in ids)
    for content in course.modules:
        page = reading_of(built / "site" / "practice" / content.module.id)
        cited = {c for part in content.module.reading for c in part.clauses}
        assert cited, content.module.id
        shown = [i for i in ids if i in page]
        assert shown == [], (content.module.id, shown)


def test_cpd_minutes_summary_and_policy_version(built, course):
    version = load_policy().version
    for content in course.modules:
        page = reading_of(built / "site" / "practice" / content.module.id)
        text = text_of(page)
        assert text.startswith(squash(content.module.summary)), content.module.id
        assert (
            f"Estimated time for this module: {content.module.cpd_minutes} minutes (CPD). "
            f"Policy version {version}."
        ) in text


@pytest.mark.parametrize("tree", ["practice", "source"])
def test_the_links_lead_to_the_neighbouring_pages_and_back_to_the_course(built, course, tree):
    """Self-study links on past a module's ends to the neighbouring module; a trainee's released
    folder holds only some modules, so there the reading has no previous page."""
    # The landing page: beside practice/ on the self-study site, beside the modules a trainee
    # fetched (the source tree is laid out as released) in assessed mode.
    folder = built / "site" / "practice" if tree == "practice" else built / "source"
    landing = built / "site" / "index.ipynb" if tree == "practice" else folder / "index.ipynb"
    modules = course.modules
    for i, content in enumerate(modules):
        pages = folder / content.module.id
        (nav,) = NAV.findall(reading_of(pages))
        links = {rel or "home": (href, html.unescape(label)) for href, rel, label in LINK.findall(nav)}
        first = content.items[0]
        assert links["next"] == (f"{first.id}.ipynb", f"Next: {first.title}")
        assert (pages / links["next"][0]).resolve().is_file()
        if i > 0 and tree == "practice":
            before = modules[i - 1]
            href, label = links["prev"]
            assert label == f"Previous module: {before.module.title}"
            assert (pages / href).resolve() == (folder / before.module.id / f"{before.items[-1].id}.ipynb")
            assert (pages / href).resolve().is_file()
        else:
            assert "prev" not in links
        assert links["home"][1] == "Back to the course"
        assert (pages / links["home"][0]).resolve() == landing.resolve()


def test_text_from_the_reading_document_is_escaped(built, course):
    folder = built / "hostile"
    module_id = course.modules[1].module.id
    folder.mkdir()
    document = json.loads((built / "site" / "practice" / module_id / "reading.json").read_text())
    evil = "<script>alert('{}')</script> & <b>bold</b>"
    document["module"]["summary"] = evil.format("summary")
    document["policy_version"] = evil.format("version")
    document["parts"][0]["heading"] = evil.format("heading")
    document["parts"][0]["text"] = evil.format("text")
    document["parts"][0]["clauses"][0] = {"text": evil.format("clause"), "place": evil.format("place")}
    document["navigation"]["next"]["title"] = evil.format("next")
    document["navigation"]["next"]["id"] = '"><script>alert(1)</script>'
    (folder / "reading.json").write_text(json.dumps(document))
    page = reading_of(folder)
    assert "<script>" not in page and "<b>" not in page
    for where in ("summary", "version", "heading", "text", "clause", "place", "next"):
        assert html.escape(evil.format(where)) in page, where
    assert html.escape('"><script>alert(1)</script>') in page


@pytest.fixture
def shown(monkeypatch) -> list:
    seen: list = []
    monkeypatch.setattr("course.play.reading.display", lambda *objs, **_kw: seen.extend(objs))
    return seen


def test_show_reading_shows_the_page_of_its_folder(built, course, shown, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    content = course.modules[2]
    monkeypatch.chdir(built / "site" / "practice" / content.module.id)
    show_reading()  # as the reading notebook calls it, from its own folder
    (widget,) = shown
    assert isinstance(widget, widgets.HTML)  # a widget keeps the links plain (see landing.py)
    assert [html.unescape(h) for h, _ in PART.findall(widget.value)] == [
        p.heading for p in content.module.reading
    ]


def test_show_reading_shows_nothing_under_autograde(built, course, shown, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    show_reading(built / "source" / course.modules[0].module.id)
    assert shown == []
