"""The package's layering, enforced: which stage may import which.

Data flows one way (scenarios -> build -> play -> grading -> cohort), and each stage hands the next
a document defined in ``course.documents``. Two checks: every import statement in ``course/``
(module level or inside a function) against the rules below, read from the source; and what
importing a page's module really loads, in a fresh interpreter, since a page's kernel pays for it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course"
UI_AND_GRADER = ("ipywidgets", "IPython", "nbgrader", "voila")
# The documents every stage shares, the vocabulary and the rules of the game: stdlib only.
SHARED = ("course.documents", "course.status", "course.engine", "course.render", "course.quotes")

# (modules the rule is about, imports they must never make, why)
RULES = [
    (
        ("course.scenario", "course.build", "course.policy"),
        UI_AND_GRADER,
        "the model and the build are UI-free",
    ),
    (
        ("course.scenario", "course.build", "course.policy"),
        ("course.play", "course.grading", "course.cohort", "course.serve"),
        "the model and the build come first: nothing downstream",
    ),
    (
        ("course.play",),
        ("course.build", "course.scenario", "course.policy", "pydantic", "yaml", "course.cohort"),
        "the trainee app reads built documents, never the build or its schema",
    ),
    (
        ("course.grading",),
        ("course.play", "ipywidgets", "course.cohort"),
        "the grader does not import the app",
    ),
    (("course.cohort.analytics", "course.cohort.scores"), ("nbgrader", "course.grading"), "pure pandas"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names, relative imports made absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from . import x`
    return found


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_import_graph_was_read(graph):
    assert {"course.play.app", "course.grading.guard", "course.documents"} <= set(graph)
    assert "course.documents" in graph["course.play.app"]  # relative imports resolved
    assert "course.engine" in graph["course.documents"]


@pytest.mark.parametrize(("subjects", "forbidden", "why"), RULES, ids=[r[2] for r in RULES])
def test_no_stage_imports_what_its_layer_forbids(graph, subjects, forbidden, why):
    broken = sorted(
        f"{module} imports {name}"
        for module, names in graph.items()
        if within(module, subjects)
        for name in names
        if within(name, forbidden)
    )
    assert not broken, f"{why}: " + "; ".join(broken)


def test_shared_documents_and_vocabulary_are_stdlib_only(graph):
    for module in SHARED:
        outside = sorted(
            name
            for name in graph[module]
            if name.split(".")[0] not in sys.stdlib_module_names and not within(name, SHARED)
        )
        assert not outside, f"{module} imports {outside}"


PROBE = "import json, sys\nimport {modules}\nprint(json.dumps(sorted(sys.modules)))"


def loaded_by(*modules: str) -> set[str]:
    code = PROBE.format(modules=", ".join(modules))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_a_page_kernel_loads_neither_the_build_nor_pydantic_yaml_or_nbgrader():
    loaded = loaded_by(
        "course.play.app", "course.play.landing", "course.play.reading", "course.play.certificate"
    )
    assert "course.play.app" in loaded and "ipywidgets" in loaded  # the probe did import the pages
    heavy = sorted(
        m for m in loaded if within(m, ("course.build", "course.scenario", "pydantic", "yaml", "nbgrader"))
    )
    assert not heavy, heavy


def test_the_analytics_load_no_nbgrader_and_the_model_no_ui():
    analytics = loaded_by("course.cohort.analytics", "course.cohort.scores")
    assert "pandas" in analytics and not [m for m in analytics if within(m, ("nbgrader",))]
    model = loaded_by("course.scenario.catalog", "course.scenario.lint", "course.build.notebooks")
    assert "pydantic" in model and not [m for m in model if within(m, UI_AND_GRADER)]
