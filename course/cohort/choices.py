"""The cohort's decisions, one row each, read from the answers files trainees submitted.

This is the raw material of the tutors' analytics (``analytics.py``): which option each trainee
chose at each decision, what it earned and which policy clauses were at stake. Answers files are
data: they are parsed and validated with :func:`course.play.answers.parse_answers` against the
authored scenario, never executed. A file that fails validation (the grader calls it *tampered*)
adds no decision and is listed, with the reason, among the invalid files instead.

API: :func:`read_cohort_answers` reads the submitted tree once and returns both frames
(:class:`CohortAnswers`); :func:`cohort_choices` and :func:`invalid_answers` return one of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..play.answers import MAX_BYTES, SUFFIX, InvalidAnswers, parse_answers
from ..play.engine import Node, walk
from ..scenario.catalog import Course

# nbgrader's default CourseDirectory.submitted_directory: <course>/submitted/<student>/<module>/
SUBMITTED = "submitted"
CHOICE_COLUMNS = [
    "student",
    "module",
    "scenario",
    "step",
    "option",
    "action",
    "points",
    "best_points",
    "clauses",
]
# Where the chosen option stood on the trainee's screen (1 = top; empty where the answers
# predate recorded orders) and how many options there were: for position effects.
POSITION_COLUMNS = ["shown_at", "options"]
INVALID_COLUMNS = ["student", "module", "scenario", "file", "reason"]
ANSWERED_COLUMNS = ["student", "module", "scenario", "policy_version", "updated"]


@dataclass(frozen=True)
class CohortAnswers:
    """``choices``: one row per decision taken (columns :data:`CHOICE_COLUMNS`).
    ``invalid``: one row per answers file that added no decision (:data:`INVALID_COLUMNS`).
    ``answered``: one row per valid answers file, with the policy version the trainee answered
    under and when the app last saved it, as the file says (:data:`ANSWERED_COLUMNS`)."""

    choices: pd.DataFrame
    invalid: pd.DataFrame
    answered: pd.DataFrame


def read_cohort_answers(course_dir: Path, course: Course) -> CohortAnswers:
    """Read every ``<course_dir>/submitted/<student>/<module>/<scenario>.answers.json``."""
    scenarios = {
        content.module.id: {scn.id: scn.model_dump(mode="json") for scn in content.items}
        for content in course.modules
    }
    choices: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    answered: list[dict[str, Any]] = []
    for student, module, path in _answers_files(Path(course_dir) / SUBMITTED):
        scenario_id = path.name[: -len(SUFFIX)]
        where = {"student": student, "module": module, "scenario": scenario_id}
        try:
            scenario = _scenario(scenarios, module, scenario_id)
            answers = parse_answers(_read(path), scenario)
        except InvalidAnswers as exc:
            invalid.append({**where, "file": str(path.relative_to(course_dir)), "reason": str(exc)})
            continue
        choices += [{**where, **row} for row in decisions(scenario, answers.choices, answers.orders)]
        answered.append({**where, "policy_version": answers.policy_version, "updated": answers.updated})
    return CohortAnswers(
        _choices_frame(choices),
        pd.DataFrame(invalid, columns=INVALID_COLUMNS),
        pd.DataFrame(answered, columns=ANSWERED_COLUMNS),
    )


def cohort_choices(course_dir: Path, course: Course) -> pd.DataFrame:
    """The decisions of every valid answers file (see :func:`read_cohort_answers`)."""
    return read_cohort_answers(course_dir, course).choices


def invalid_answers(course_dir: Path, course: Course) -> pd.DataFrame:
    """The answers files that failed validation, each with its reason."""
    return read_cohort_answers(course_dir, course).invalid


def decisions(
    scenario: Node, choices: Sequence[Mapping[str, str]], orders: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, Any]]:
    """The decisions along a validated path: what was chosen, earned and at stake at each, and
    where the choice stood among the options shown (``orders``, as the answers recorded them)."""
    rows = []
    orders = orders or {}
    for step, option in walk(scenario, choices).taken:
        order = orders.get(step["id"])
        rows.append(
            {
                "step": step["id"],
                "option": option["id"],
                "action": option["action"],
                "points": option["points"],
                # validate.py guarantees one option earns the step's full points and none more.
                "best_points": max(o["points"] for o in step["options"]),
                # Every clause any option of the step cites, not only the chosen option's: a
                # decision tests each clause at stake, and an option that ignores a clause must
                # count against its mastery rather than drop out of it (which would flatter
                # the cohort exactly where it goes wrong).
                "clauses": tuple(sorted({c for o in step["options"] for c in o["clauses"]})),
                "shown_at": order.index(option["id"]) + 1 if order else None,
                "options": len(step["options"]),
            }
        )
    return rows


def _answers_files(submitted: Path) -> Iterator[tuple[str, str, Path]]:
    if not submitted.is_dir():
        return
    for student_dir in _visible(submitted):
        if not student_dir.is_dir():
            continue
        for module_dir in _visible(student_dir):
            if module_dir.is_dir():
                for path in sorted(module_dir.glob(f"*{SUFFIX}")):
                    yield student_dir.name, module_dir.name, path


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _scenario(scenarios: Mapping[str, Mapping[str, Node]], module: str, scenario_id: str) -> Node:
    if module not in scenarios:
        raise InvalidAnswers(f"module {module!r} is not in the course (expected one of {sorted(scenarios)})")
    if scenario_id not in scenarios[module]:
        raise InvalidAnswers(f"module {module!r} has no scenario {scenario_id!r}")
    return scenarios[module][scenario_id]


def _read(path: Path) -> bytes:
    """At most one byte more than the app ever writes, so an oversized file is refused, not loaded."""
    if path.is_symlink() or not path.is_file():
        raise InvalidAnswers("not a regular file: the app writes answers as plain files")
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InvalidAnswers(f"answers file could not be read ({exc.strerror or exc})") from exc


def _choices_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*CHOICE_COLUMNS, *POSITION_COLUMNS])
    return frame.astype({"points": "int64", "best_points": "int64", "shown_at": "Int64", "options": "int64"})
