"""Voila's page templates compiled once per server (``course.template_cache``): a second page's
exporter reuses what the first compiled, and a template whose source changed is compiled again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from jinja2 import Environment

from course.template_cache import COMPILED_TEMPLATES, CachedTemplatesExporter


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from source, in order."""
    seen: list[str] = []
    compile_source = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not raw and name is not None:
            seen.append(name)
        return compile_source(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", counting)
    COMPILED_TEMPLATES.clear()
    return seen


def rendered(template) -> str:
    """A page template's output. Voila's environments are asynchronous, and Jinja's ``render``
    then starts an event loop of its own: in a thread, since the browser tests' driver keeps one
    running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(template.render).result()


def page_template(folder):
    """An exporter as Voila's renderer makes one per page, for a template in ``folder``."""
    return CachedTemplatesExporter(template_paths=[str(folder)], template_name="page", contents_manager=None)


def test_a_second_page_reuses_the_compiled_template(tmp_path, compiles):
    (tmp_path / "page.j2").write_text("<p>{{ 1 + 1 }}</p>", encoding="utf-8")
    first = page_template(tmp_path).environment.get_template("page.j2")
    assert compiles == ["page.j2"]
    second = page_template(tmp_path).environment.get_template("page.j2")
    assert compiles == ["page.j2"]  # not compiled again
    assert rendered(first) == rendered(second) == "<p>2</p>"


def test_an_edited_template_is_compiled_again(tmp_path, compiles):
    template = tmp_path / "page.j2"
    template.write_text("<p>old</p>", encoding="utf-8")
    assert rendered(page_template(tmp_path).environment.get_template("page.j2")) == "<p>old</p>"
    template.write_text("<p>new</p>", encoding="utf-8")
    assert rendered(page_template(tmp_path).environment.get_template("page.j2")) == "<p>new</p>"
    assert compiles == ["page.j2", "page.j2"]
