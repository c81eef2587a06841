"""Checks that span fields: ids, references, reachability, endings and full credit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..status import Kind
from .errors import Problem
from .load import Loc, SourceFile
from .schema import FORMAT_KINDS, KIND_FIELDS, PHOTO_KINDS, ArtefactKind, Scenario

MIN_QUESTIONS = 3


def _duplicates(ids: Iterable[str]) -> set[str]:
    return {i for i, n in Counter(ids).items() if n > 1}


def check_scenario(scn: Scenario, src: SourceFile, clause_ids: set[str]) -> list[Problem]:
    problems: list[Problem] = []

    def add(loc: Loc, message: str) -> None:
        problems.append(src.problem(loc, message))

    step_ids = [s.id for s in scn.steps]
    ending_ids = [e.id for e in scn.endings]
    for i, step in enumerate(scn.steps):
        if step.id in _duplicates(step_ids) or step.id in ending_ids:
            add(("steps", i, "id"), f"duplicate id {step.id!r}: step and ending ids must be unique")
    for i, ending in enumerate(scn.endings):
        if ending.id in _duplicates(ending_ids):
            add(("endings", i, "id"), f"duplicate id {ending.id!r}: ending ids must be unique")

    targets = set(step_ids) | set(ending_ids)
    if scn.start not in step_ids:
        add(("start",), f"expected the id of a step ({', '.join(step_ids)}), got {scn.start!r}")

    edges: dict[str, set[str]] = {s.id: set() for s in scn.steps}
    for i, step in enumerate(scn.steps):
        option_ids = [o.id for o in step.options]
        full_credit = False
        for j, option in enumerate(step.options):
            loc: Loc = ("steps", i, "options", j)
            if option.id in _duplicates(option_ids):
                add((*loc, "id"), f"duplicate option id {option.id!r} in step {step.id!r}")
            if option.next not in targets:
                add((*loc, "next"), f"expected the id of a step or ending, got {option.next!r}")
            else:
                edges[step.id].add(option.next)
            if option.points > step.points:
                add(
                    (*loc, "points"), f"expected at most the step's {step.points} points, got {option.points}"
                )
            full_credit |= option.points == step.points
            for k, clause in enumerate(option.clauses):
                if clause not in clause_ids:
                    add((*loc, "clauses", k), f"unknown clause id {clause!r} (see course/policy.yaml)")
        if not full_credit:
            add(
                ("steps", i, "points"),
                f"no option earns the full {step.points} points: every "
                "decision needs at least one full-credit option",
            )

    problems += _check_kind(scn, src)
    problems += _check_artefact(scn, src)
    problems += _check_graph(scn, src, edges, set(ending_ids))
    if not problems:
        most = max_points(scn)
        least_full = _path_points(scn, full_credit_only=True, best=False)
        if least_full < most:
            add(
                ("steps",),
                f"a path taking full credit at every step earns only {least_full} of the "
                f"scenario's {most} points: every such path must earn full marks (give the shorter "
                "path's decisions more points, or lead it to a further decision)",
            )
    return problems


def _check_kind(scn: Scenario, src: SourceFile) -> list[Problem]:
    """Scenarios tell a story with consequences; knowledge checks ask questions in turn."""
    problems: list[Problem] = []
    story_fields = ("platform", "situation", "reflection")
    if scn.kind == Kind.SCENARIO:
        for name in story_fields:
            if getattr(scn, name) is None:
                problems.append(src.problem((name,), "required field is missing (every scenario has it)"))
        for i, step in enumerate(scn.steps):
            for j, option in enumerate(step.options):
                if option.consequence is None:
                    problems.append(
                        src.problem(
                            ("steps", i, "options", j, "consequence"),
                            "required field is missing: say what happens next",
                        )
                    )
        return problems
    for name in story_fields:
        if getattr(scn, name) is not None:
            problems.append(src.problem((name,), "not used in a knowledge check: remove it"))
    if len(scn.steps) < MIN_QUESTIONS:
        problems.append(
            src.problem(
                ("steps",),
                f"a knowledge check asks at least {MIN_QUESTIONS} questions, found {len(scn.steps)}",
            )
        )
    for i, step in enumerate(scn.steps):
        if len({o.next for o in step.options}) > 1:
            problems.append(
                src.problem(
                    ("steps", i, "options"),
                    "every answer to a question must lead to the same next question or ending",
                )
            )
        for j, option in enumerate(step.options):
            if option.consequence is not None:
                problems.append(
                    src.problem(
                        ("steps", i, "options", j, "consequence"), "not used in a knowledge check: remove it"
                    )
                )
    return problems


def _check_artefact(scn: Scenario, src: SourceFile) -> list[Problem]:
    """An artefact's fields are those its kind draws: a field no drawing shows is an author's slip."""
    if scn.situation is None:
        return []
    art, at = scn.situation.artefact, ("situation", "artefact")
    kind = ArtefactKind(art.kind)
    problems: list[Problem] = []

    def add(name: str, message: str) -> None:
        problems.append(src.problem((*at, name), message))

    if art.format is not None and FORMAT_KINDS[art.format] != kind:
        add("format", f"{art.format!r} is a format of kind {FORMAT_KINDS[art.format]}, not {kind}")
    for owner, names in KIND_FIELDS.items():
        for name in names:
            if owner != kind and getattr(art, name):
                add(name, f"drawn only for kind {owner}, not {kind}: remove it or change the kind")
    if art.photo is not None and kind not in PHOTO_KINDS:
        add("photo", f"drawn only for kinds {', '.join(PHOTO_KINDS)}, not {kind}: put it in the body")
    if kind == ArtefactKind.SEARCH_RESULT and art.query is None:
        add("query", "required field is missing: the words in the search box")
    if art.body is None and not (art.results or art.sections):
        add("body", "required field is missing (only search results and web pages with sections go without)")
    return problems


def _check_graph(
    scn: Scenario, src: SourceFile, edges: dict[str, set[str]], endings: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    index = {s.id: i for i, s in enumerate(scn.steps)}
    if scn.start not in edges:
        return problems

    # Reachability from the start.
    seen, todo = {scn.start}, [scn.start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for step_id, i in index.items():
        if step_id not in seen:
            problems.append(
                src.problem(("steps", i, "id"), f"step {step_id!r} is unreachable from start {scn.start!r}")
            )
    for i, ending in enumerate(scn.endings):
        if ending.id not in seen:
            problems.append(
                src.problem(
                    ("endings", i, "id"), f"ending {ending.id!r} is unreachable: no option leads to it"
                )
            )

    # Every path must end: no step may lead back to itself, directly or through others.
    state: dict[str, int] = {}

    def visit(step_id: str, trail: list[str]) -> None:
        state[step_id] = 1
        for nxt in sorted(edges[step_id]):
            if nxt in endings:
                continue
            if state.get(nxt) == 1:
                cycle = " -> ".join([*trail[trail.index(nxt) :], nxt])
                problems.append(
                    src.problem(
                        ("steps", index[step_id], "options"),
                        f"path never ends: {cycle}; every path must reach an ending",
                    )
                )
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[step_id] = 2

    for step_id in index:
        if step_id not in state:
            visit(step_id, [step_id])
    return problems


def _path_points(scn: Scenario, *, full_credit_only: bool, best: bool) -> int:
    """Points along the best (or worst) path from start to an ending."""
    steps = {s.id: s for s in scn.steps}
    pick = max if best else min
    memo: dict[str, int] = {}

    def from_here(node: str) -> int:
        if node not in steps:
            return 0
        if node not in memo:
            step = steps[node]
            options = [o for o in step.options if o.points == step.points or not full_credit_only]
            memo[node] = pick(o.points + from_here(o.next) for o in options)
        return memo[node]

    return from_here(scn.start)


def max_points(scn: Scenario) -> int:
    """Points along the best path from start to an ending: the scenario's full marks."""
    return _path_points(scn, full_credit_only=False, best=True)
