"""Turn scenarios into notebooks: nbgrader source notebooks and self-study practice notebooks.

Same input, byte-identical output: cell ids are derived from the cell's role and JSON is written
with sorted keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..documents import (
    DECISIONS_CELL,
    HEADER_METADATA,
    MODULE_DOCUMENT,
    PLAY_CELL,
    READING,
    READING_FILE,
    REFLECTION_CELL,
    SCENARIO_SUFFIX,
    SITE_NAME,
    TITLE_CELL,
    document_text,
    key_source,
)
from ..paths import PRACTICE_DIR, SOURCE_DIR
from ..policy import Policy, load_policy
from ..scenario.catalog import Course, ModuleContent
from ..scenario.schema import Scenario
from ..scenario.validate import max_points
from ..status import Mode
from .compose import grading_key, module_document, navigation, page_header, play_document, reading_document

NBGRADER_SCHEMA = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)


def _nbgrader(
    cell: NotebookNode,
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = True,
    points: int | None = None,
) -> NotebookNode:
    cell.id = grade_id
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    if locked:
        cell.metadata.update(deletable=False, editable=False)
    return cell


def _title(title: str) -> str:
    return f"# {title}"  # the module is named in the page's header (PageHeader)


def _play_source(scn: Scenario) -> str:
    return f"from course.play.app import play_scenario\n\nplay_scenario({scn.id!r})"


READING_SOURCE = "from course.play.reading import show_reading\n\nshow_reading()"


def page_title(content: ModuleContent, page: str) -> str:
    """The browser tab's title (nbconvert's template reads the notebook's ``title``): the page, its
    module and the course, never a file name."""
    return f"{page} - {content.module.title} - {SITE_NAME}"


def _notebook(
    cells: list[NotebookNode], title: str, content: ModuleContent, page: str, assessed: bool
) -> NotebookNode:
    nb = new_notebook(cells=cells)
    nav = navigation(content, page, assessed=assessed)
    mode = Mode.ASSESSED if assessed else Mode.PRACTICE
    nb.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
        "title": title,
        HEADER_METADATA: page_header(nav, mode),
    }
    return nb


def _page(title: str, code: str, *, nbgrader: bool) -> list[NotebookNode]:
    """A page's title and the one code cell that draws it; locked when it goes to nbgrader."""
    title_cell, code_cell = new_markdown_cell(title), new_code_cell(code)
    if nbgrader:
        return [_nbgrader(title_cell, TITLE_CELL), _nbgrader(code_cell, PLAY_CELL)]
    title_cell.id, code_cell.id = TITLE_CELL, PLAY_CELL
    return [title_cell, code_cell]


def source_notebook(content: ModuleContent, scn: Scenario, policy: Policy) -> NotebookNode:
    """An nbgrader source notebook: locked cells, the key in a hidden test, a manual reflection."""
    decisions = key_source(grading_key(scn, policy))
    cells = [
        *_page(_title(scn.title), _play_source(scn), nbgrader=True),
        _nbgrader(new_code_cell(decisions), DECISIONS_CELL, grade=True, points=max_points(scn)),
    ]
    if scn.reflection is not None:
        reflection = (
            "### BEGIN SOLUTION\n"
            "The trainee's reflection is copied here from their saved answers when the module is "
            "autograded.\n"
            "### END SOLUTION"
        )
        cells.append(
            _nbgrader(
                new_markdown_cell(reflection),
                REFLECTION_CELL,
                grade=True,
                solution=True,
                locked=False,
                points=scn.reflection.points,
            )
        )
    return _notebook(cells, page_title(content, scn.title), content, scn.id, assessed=True)


def practice_notebook(content: ModuleContent, scn: Scenario) -> NotebookNode:
    page = _page(_title(scn.title), _play_source(scn), nbgrader=False)
    return _notebook(page, page_title(content, scn.title), content, scn.id, assessed=False)


def reading_notebook(content: ModuleContent, *, nbgrader: bool) -> NotebookNode:
    title = f"Reading: {content.module.title}"
    page = _page(_title(title), READING_SOURCE, nbgrader=nbgrader)
    return _notebook(page, page_title(content, "Reading"), content, READING, assessed=nbgrader)


def _write(path: Path, text: str, report: BuildReport) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    report.written.append(path)


def _write_json(path: Path, data: Any, report: BuildReport) -> None:
    _write(path, document_text(data), report)


def _clear_build_output(folder: Path) -> None:
    """Remove what an earlier build wrote, so a scenario deleted from ``scenarios/`` disappears
    too; anything else (answers and names trainees saved) stays."""
    if not folder.exists():
        return
    generated = ("*.ipynb", f"*{SCENARIO_SUFFIX}", READING_FILE, MODULE_DOCUMENT)
    for pattern in generated:
        for path in folder.rglob(pattern):
            path.unlink()
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def build_course(
    course: Course,
    *,
    source_dir: Path | None = SOURCE_DIR,
    practice_dir: Path | None = PRACTICE_DIR,
    policy: Policy | None = None,
) -> BuildReport:
    """Regenerate every notebook, deterministically: the nbgrader source in ``source_dir`` and the
    self-study pages in ``practice_dir``; either may be None (not built, left as it is)."""
    policy = policy or load_policy()
    report = BuildReport()
    targets = [
        (folder, assessed) for folder, assessed in ((source_dir, True), (practice_dir, False)) if folder
    ]
    for folder, _ in targets:
        _clear_build_output(folder)
    modules = course.modules
    for position, content in enumerate(modules, start=1):
        neighbours = (
            modules[position - 2] if position > 1 else None,
            modules[position] if position < len(modules) else None,
        )
        for folder, assessed in targets:
            out = folder / content.module.id
            about = module_document(content, position, policy, assessed=assessed)
            _write_json(out / MODULE_DOCUMENT, about, report)
            reading = reading_notebook(content, nbgrader=assessed)
            _write(out / f"{READING}.ipynb", nbformat.writes(reading), report)
            reading_doc = reading_document(content, policy, assessed=assessed, neighbours=neighbours)
            _write_json(out / READING_FILE, reading_doc, report)
            for scn in content.items:
                nb = source_notebook(content, scn, policy) if assessed else practice_notebook(content, scn)
                _write(out / f"{scn.id}.ipynb", nbformat.writes(nb), report)
                _write_json(
                    out / f"{scn.id}{SCENARIO_SUFFIX}",
                    play_document(content, scn, policy, assessed=assessed, neighbours=neighbours),
                    report,
                )
    return report
