"""The cohort's decisions, one row each, read from the answers files trainees submitted.

This is the raw material of the tutors' analytics (``analytics.py``): which option each trainee
chose at each decision, what it earned and which policy clauses were at stake. Answers files are
data: they are parsed and validated with :func:`course.documents.parse_answers` against the
scenario *as released* (its grading key as nbgrader recorded it, ``course.grading.released``),
the same scenario the guard checked them against and the grade was computed from, so a scenario
edited since release changes neither. A file that fails validation (the grader calls it
*tampered*) adds no decision and is listed, with the reason, among the invalid files instead.

:func:`read_cohort_answers` reads the submitted tree once and returns every frame
(:class:`CohortAnswers`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..documents import (
    ANSWERS_SUFFIX,
    MAX_ANSWERS_BYTES,
    GradingKey,
    InvalidAnswers,
    ScenarioData,
    parse_answers,
)
from ..engine import walk

Keys = Mapping[str, Mapping[str, GradingKey]]  # module -> scenario -> key as released
# (student, module, folder) for every collected submission: grading.gradebook.submitted_folders
Submissions = Iterator[tuple[str, str, Path]]
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
_DECISION_FIELDS = [*CHOICE_COLUMNS[3:], *POSITION_COLUMNS]  # what decisions() gives for each
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


def read_cohort_answers(
    submissions: Submissions,
    keys: Keys,
    root: Path,
    unreadable: Mapping[tuple[str, str], str] | None = None,
) -> CohortAnswers:
    """Read every ``<scenario>.answers.json`` of the collected ``submissions`` against the released
    ``keys``; files are named in the invalid frame relative to ``root`` (the course directory).
    ``unreadable``: ``(module, scenario) -> why`` for released keys that could not be read."""
    unreadable = unreadable or {}
    choices: list[list[Any]] = []
    invalid: list[dict[str, Any]] = []
    answered: list[dict[str, Any]] = []
    for student, module, path in _answers_files(submissions):
        scenario_id = path.name[: -len(ANSWERS_SUFFIX)]
        where = {"student": student, "module": module, "scenario": scenario_id}
        try:
            if (module, scenario_id) in unreadable:
                why = unreadable[module, scenario_id]
                raise InvalidAnswers(f"its grading key as released is unreadable: {why}")
            scenario = _scenario(keys, module, scenario_id)
            answers = parse_answers(_read(path), scenario)
        except InvalidAnswers as exc:
            invalid.append({**where, "file": _shown(path, root), "reason": str(exc)})
            continue
        # Rows as lists, in the frame's column order: a frame of a large cohort's millions of
        # decisions builds several times faster from lists than from dicts.
        choices += [
            [student, module, scenario_id, *(row[c] for c in _DECISION_FIELDS)]
            for row in decisions(scenario, answers.choices, answers.orders)
        ]
        answered.append({**where, "policy_version": answers.policy_version, "updated": answers.updated})
    return CohortAnswers(
        _choices_frame(choices),
        pd.DataFrame(invalid, columns=INVALID_COLUMNS),
        pd.DataFrame(answered, columns=ANSWERED_COLUMNS),
    )


def decisions(
    scenario: ScenarioData,
    choices: Sequence[Mapping[str, str]],
    orders: Mapping[str, Sequence[str]] | None = None,
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


def _answers_files(submissions: Submissions) -> Iterator[tuple[str, str, Path]]:
    for student, module, folder in submissions:
        for path in sorted(folder.glob(f"*{ANSWERS_SUFFIX}")):
            yield student, module, path


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _scenario(keys: Keys, module: str, scenario_id: str) -> ScenarioData:
    if module not in keys:
        raise InvalidAnswers(f"module {module!r} was not released to this cohort (released: {sorted(keys)})")
    if scenario_id not in keys[module]:
        raise InvalidAnswers(f"module {module!r} as released has no scenario {scenario_id!r}")
    return keys[module][scenario_id]["scenario"]


def _read(path: Path) -> bytes:
    """At most one byte more than the app ever writes, so an oversized file is refused, not loaded."""
    if path.is_symlink() or not path.is_file():
        raise InvalidAnswers("not a regular file: the app writes answers as plain files")
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_ANSWERS_BYTES + 1)
    except OSError as exc:
        raise InvalidAnswers(f"answers file could not be read ({exc.strerror or exc})") from exc


def _choices_frame(rows: list[list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*CHOICE_COLUMNS, *POSITION_COLUMNS])
    return frame.astype({"points": "int64", "best_points": "int64", "shown_at": "Int64", "options": "int64"})
