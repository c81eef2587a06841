"""What was released to a cohort, read back as released: each scenario's grading key and each
module's document. The one place the tutor's side reads them.

``course build`` embeds the key in the source notebook's ``decisions`` hidden test (see
``course.documents.key_source``). When a module is generated for release, nbgrader stores that
cell's source in its gradebook, and at autograde it restores the cell from there (OverwriteCells).
So the gradebook's copy is the key the grade was computed with, whatever has happened to the
scenario's YAML or the source notebooks since: the grader, the tutor's view beside a reflection,
the cohort analytics and the review cycle all read it here, never from today's authored course.
Likewise each module's ``module.json`` in the release folder records its title, pages, knowledge
check, pass mark and the clauses it rests on, as the trainees were given them.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.api import Assignment, Gradebook, MissingEntry

from ..documents import (
    DECISIONS_CELL,
    MODULE_DOCUMENT,
    READING,
    GradingKey,
    KeyUnavailable,
    ModuleDocument,
    key_from_source,
    read_module_document,
)
from .gradebook import course_directory, open_gradebook
from .once import once

Keys = dict[str, dict[str, GradingKey]]  # module -> scenario -> key, as released


def released_key(gb: Gradebook, assignment: str, notebook: str) -> GradingKey:
    """The key of ``notebook`` in ``assignment`` as nbgrader recorded it when generating the
    release. Raises :class:`KeyUnavailable` saying why if there is none or it is unreadable."""
    where = f"{assignment}/{notebook}.ipynb as released"
    try:
        cell = gb.find_source_cell(DECISIONS_CELL, notebook, assignment)
    except MissingEntry as exc:
        raise KeyUnavailable(
            f"{where}: nbgrader's gradebook holds no {DECISIONS_CELL!r} cell (was the module "
            "generated for release with `course cohort release`?)"
        ) from exc
    key = key_from_source(cell.source, where)
    if key["scenario"]["id"] != notebook:
        raise KeyUnavailable(f"{where}: the key is for scenario {key['scenario']['id']!r}")
    return key


def key_or_reason(db_url: str, assignment: str, notebook: str) -> GradingKey | KeyUnavailable:
    """:func:`released_key` from the gradebook at ``db_url`` (as nbgrader's preprocessors are given
    it), or why it cannot be read: the grader and the guard each carry on with the reason. While
    one submission is graded, the module's keys are read once (:mod:`course.grading.once`)."""
    found = once(("released keys", db_url, assignment), lambda: _module_keys(db_url, assignment))
    if notebook in found:
        return found[notebook]
    try:  # not a scenario of the module: the reason, as released_key gives it
        with Gradebook(db_url) as gb:
            return released_key(gb, assignment, notebook)
    except KeyUnavailable as exc:
        return exc


def _module_keys(db_url: str, assignment: str) -> dict[str, GradingKey | KeyUnavailable]:
    with Gradebook(db_url) as gb:
        try:
            return _keys_of(gb, gb.find_assignment(assignment))
        except MissingEntry:
            return {}


def _keys_of(gb: Gradebook, assignment: Assignment) -> dict[str, GradingKey | KeyUnavailable]:
    """Each scenario's key in ``assignment`` as released, or why it cannot be read."""
    keys: dict[str, GradingKey | KeyUnavailable] = {}
    for notebook in assignment.notebooks:
        if notebook.name == READING:
            continue
        try:
            keys[notebook.name] = released_key(gb, assignment.name, notebook.name)
        except KeyUnavailable as exc:
            keys[notebook.name] = exc
    return keys


def released_keys(course_dir: Path) -> tuple[Keys, dict[tuple[str, str], str]]:
    """Every released scenario's key in the cohort at ``course_dir``, and why any could not be
    read (``(module, scenario) -> reason``). Raises FileNotFoundError if there is no gradebook."""
    keys: Keys = {}
    problems: dict[tuple[str, str], str] = {}
    with open_gradebook(course_dir, must_exist=True) as gb:
        for assignment in gb.assignments:
            module = keys.setdefault(assignment.name, {})
            for name, key in _keys_of(gb, assignment).items():
                if isinstance(key, KeyUnavailable):
                    problems[assignment.name, name] = str(key)
                else:
                    module[name] = key
    return keys, problems


def released_modules(course_dir: Path) -> dict[str, ModuleDocument]:
    """The module document of every module nbgrader has generated for release, in course order.
    Raises FileNotFoundError if there is no gradebook."""
    coursedir = course_directory(course_dir)
    with open_gradebook(course_dir, must_exist=True) as gb:
        names = [a.name for a in gb.assignments]
    documents = []
    for name in names:
        folder = Path(coursedir.format_path(coursedir.release_directory, ".", name))
        if (folder / MODULE_DOCUMENT).is_file():
            documents.append(read_module_document(folder))
    return {d["id"]: d for d in sorted(documents, key=lambda d: d["position"])}
