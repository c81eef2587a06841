"""The build turns scenarios into nbgrader source and practice notebooks, deterministically."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from course.build.notebooks import build_course
from course.cli import main
from course.documents import MODULE_DOCUMENT, SCENARIO_SUFFIX, read_catalog
from course.paths import NOTEBOOKS_DIR
from course.scenario.catalog import load_course


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_input_gives_byte_identical_output(tmp_path, course):
    build_course(course, source_dir=tmp_path / "a" / "source", practice_dir=tmp_path / "a" / "practice")
    build_course(course, source_dir=tmp_path / "b" / "source", practice_dir=tmp_path / "b" / "practice")
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert first == second
    # Per module and per folder (source, practice): the reading's notebook and document, then a
    # notebook and a document per scenario or check; and the module's own document.
    pages = sum(1 + len(m.items) for m in course.modules)
    assert len(first) == 2 * (2 * pages + len(course.modules))


def test_rebuild_removes_notebooks_of_deleted_scenarios(tmp_path, course):
    source = tmp_path / "source"
    stale = source / "05-must-not" / "removed-scenario.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    build_course(course, source_dir=source, practice_dir=tmp_path / "practice")
    assert not stale.exists()


def test_source_notebook_is_nbgrader_layout_with_key_in_hidden_tests(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    module = course.module("05-must-not")
    for scn in module.scenarios:
        nb = nbformat.read(tmp_path / "source" / module.module.id / f"{scn.id}.ipynb", as_version=4)
        meta = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells}
        assert list(meta) == ["title", "play", "decisions", "reflection"]
        assert meta["play"]["locked"] and not meta["play"]["grade"]
        assert meta["decisions"]["grade"] and meta["decisions"]["locked"]
        assert meta["reflection"]["solution"] and meta["reflection"]["points"] == scn.reflection.points
        decisions = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "decisions")
        assert decisions.source.startswith("### BEGIN HIDDEN TESTS")
        assert decisions.source.rstrip().endswith("### END HIDDEN TESTS")
        for step in scn.steps:
            for option in step.options:
                assert json.dumps(option.feedback)[1:-1] in decisions.source


def test_assessed_document_has_no_key_and_practice_document_has_it(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    for scn in course.scenarios:
        assessed = (tmp_path / "source" / scn.module / f"{scn.id}{SCENARIO_SUFFIX}").read_text()
        practice = (tmp_path / "practice" / scn.module / f"{scn.id}{SCENARIO_SUFFIX}").read_text()
        doc = json.loads(assessed)
        assert doc["mode"] == "assessed" and "clauses" not in doc

        def as_json(text: str) -> str:
            return json.dumps(text, ensure_ascii=False)[1:-1]

        for step in scn.steps:
            for option in step.options:
                assert as_json(option.feedback) not in assessed
                assert as_json(option.feedback) in practice
                assert as_json(option.text) in assessed  # the trainee still needs the choices
        assert as_json(scn.reflection.rubric) not in assessed
        for step in doc["scenario"]["steps"]:
            for option in step["options"]:
                assert set(option) == {"id", "text", "consequence", "next"}


@pytest.mark.parametrize("tree_name", ["practice", "source"])
def test_catalog_lists_modules_in_order_with_their_scenarios(tmp_path, course, tree_name):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    catalog = read_catalog(tmp_path / tree_name)
    assert [m["id"] for m in catalog["modules"]] == [m.module.id for m in course.modules]
    first = course.modules[0]
    assert [p["id"] for p in catalog["modules"][0]["pages"]] == ["reading", *[s.id for s in first.items]]
    assert {m["mode"] for m in catalog["modules"]} == {"practice" if tree_name == "practice" else "assessed"}


def test_module_document_names_every_clause_the_module_touches(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    for content in course.modules:
        about = json.loads((tmp_path / "source" / content.module.id / MODULE_DOCUMENT).read_text())
        cited = {c for part in content.module.reading for c in part.clauses}
        cited |= {c for s in content.items for step in s.steps for o in step.options for c in o.clauses}
        assert set(about["clauses"]) == cited
        # Released to trainees: it must not say which option earns what.
        text = json.dumps(about)
        assert "points" not in text and "feedback" not in text


def test_build_cli_writes_where_told(tmp_path, capsys):
    assert main(["build", "--source", str(tmp_path / "s"), "--practice", str(tmp_path / "p")]) == 0
    assert "built" in capsys.readouterr().out
    assert [m["id"] for m in read_catalog(tmp_path / "p")["modules"]] == [
        m.module.id for m in load_course().modules
    ]


def test_rebuild_keeps_answers_saved_beside_practice_notebooks(tmp_path, course):
    practice = tmp_path / "practice"
    build_course(course, source_dir=tmp_path / "source", practice_dir=practice)
    saved = practice / "05-must-not" / "friend-request-from-client.answers.json"
    saved.write_text('{"saved": "by a trainee"}')
    build_course(course, source_dir=tmp_path / "source", practice_dir=practice)
    assert saved.read_text() == '{"saved": "by a trainee"}'


def test_knowledge_check_and_reading_notebooks(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    module = course.module("05-must-not")
    check = nbformat.read(tmp_path / "source" / module.module.id / f"{module.check.id}.ipynb", as_version=4)
    assert [c.metadata["nbgrader"]["grade_id"] for c in check.cells] == ["title", "play", "decisions"]
    reading = json.loads((tmp_path / "practice" / module.module.id / "reading.json").read_text())
    quoted = [(c["text"], c["place"]) for part in reading["parts"] for c in part["clauses"]]
    from course.policy import load_policy

    policy = load_policy()
    cited = [c for part in module.module.reading for c in part.clauses]
    assert quoted == [(policy.quote(c), policy.place(c)) for c in cited]
    # An item of the MUST NOT list reads with its stem, and says where it is in the list.
    item = policy.clauses["must-not.friend-requests"].text
    assert policy.quote("must-not.friend-requests") == f"Members must not: a{item[1:]}"
    assert policy.place("must-not.friend-requests") == "What members must not do, item 2"
    assert reading["navigation"]["next"]["id"] == module.scenarios[0].id
    last = json.loads(
        (tmp_path / "practice" / module.module.id / f"{module.check.id}{SCENARIO_SUFFIX}").read_text()
    )
    assert last["navigation"]["previous"]["id"] == module.scenarios[-1].id
    assert last["navigation"]["next"]["label"] == "Next module"  # the check ends the module


def test_self_study_pages_lead_on_to_the_next_module_and_back(tmp_path, course):
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    first, second = course.modules[0], course.modules[1]
    last_page = first.items[-1].id
    nav = json.loads((tmp_path / "practice" / first.module.id / f"{last_page}{SCENARIO_SUFFIX}").read_text())
    assert nav["navigation"]["next"] == {
        "id": f"../{second.module.id}/reading",
        "title": second.module.title,
        "label": "Next module",
    }
    assert (tmp_path / "practice" / second.module.id / "reading.ipynb").exists()  # the link resolves
    back = json.loads((tmp_path / "practice" / second.module.id / "reading.json").read_text())
    assert back["navigation"]["previous"]["id"] == f"../{first.module.id}/{last_page}"
    # Released modules link only within themselves: the next may not be released yet.
    released_page = tmp_path / "source" / first.module.id / f"{last_page}{SCENARIO_SUFFIX}"
    released = json.loads(released_page.read_text())
    assert released["navigation"]["next"] is None
    assert released["navigation"]["home"] == "../index.ipynb"


def test_every_page_is_titled_by_its_name_module_and_course(course, tmp_path):
    """The browser tab shows the notebook's ``title`` (nbconvert's template), never a file name."""
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    for content in course.modules:
        module = content.module
        expected = {"reading": f"Reading - {module.title} - MIP Social Media Policy"}
        expected |= {s.id: f"{s.title} - {module.title} - MIP Social Media Policy" for s in content.items}
        for folder in (tmp_path / "source", tmp_path / "practice"):
            for stem, title in expected.items():
                nb = nbformat.read(folder / module.id / f"{stem}.ipynb", as_version=4)
                assert nb.metadata["title"] == title, (folder.name, stem)


def test_every_page_carries_its_header_module_place_and_mode(course, tmp_path):
    """The page template draws the header from the notebook before the kernel runs: the module,
    "Page x of y" from the module's page order, and the mode in one term."""
    build_course(course, source_dir=tmp_path / "source", practice_dir=tmp_path / "practice")
    badges = {
        "source": ("assessed", "Assessed: feedback after your tutor releases it", "../index.ipynb"),
        "practice": ("practice", "Self-study: feedback straight away", "../../index.ipynb"),
    }
    for content in course.modules:
        stems = ["reading", *(s.id for s in content.items)]
        for folder, (mode, badge, home) in badges.items():
            for n, stem in enumerate(stems, start=1):
                nb = nbformat.read(tmp_path / folder / content.module.id / f"{stem}.ipynb", as_version=4)
                assert nb.metadata["mip_header"] == {
                    "course": "MIP Social Media Policy",
                    "home": home,
                    "module": content.module.title,
                    "place": f"Page {n} of {len(stems)}",
                    "mode": mode,
                    "badge": badge,
                }, (folder, stem)
                # The module is named once, in the header; the page's own heading is its title.
                assert content.module.title not in nb.cells[0].source or stem == "reading"
    for name, place in (("index", "Course home"), ("certificate", "Your CPD certificate")):
        nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        assert nb.metadata["mip_header"]["place"] == place
        assert nb.metadata["mip_header"]["home"] == "index.ipynb"
