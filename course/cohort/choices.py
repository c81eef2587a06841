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

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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
from ..grading.file_cache import FileCache, Key, file_key, salt_of

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
    *,
    keep: bool = True,
) -> CohortAnswers:
    """Read every ``<scenario>.answers.json`` of the collected ``submissions`` against the released
    ``keys``; files are named in the invalid frame relative to ``root`` (the course directory).
    ``unreadable``: ``(module, scenario) -> why`` for released keys that could not be read.

    What each file gave is kept in ``root``'s report cache (:mod:`course.grading.file_cache`),
    with the module's keys as released: a file whose name, size and time are unchanged is not read
    again. ``keep=False`` reads every file and keeps nothing."""
    unreadable = unreadable or {}
    tables: dict[str, _Options] = {}
    caches: dict[str, FileCache] = {}
    # student, module, scenario, folder, file name, cache row
    walked: list[tuple[str, str, str, Path, str, int]] = []
    for student, module, folder in submissions:
        if module not in caches:
            tables[module] = _Options(keys.get(module, {}))
            refused = sorted((s, why) for (m, s), why in unreadable.items() if m == module)
            salt = salt_of([tables[module].salt, refused])
            caches[module] = FileCache(root if keep else None, module, "answers", salt, _FIELDS, _RAGGED)
        cache, table = caches[module], tables[module]
        for name, key in _answers_files(folder):
            scenario_id = name[: -len(ANSWERS_SUFFIX)]
            cached = f"{student}/{name}"
            if cache.get(cached, key) is None:
                row, lasting = _derive(folder / name, keys, unreadable, table, module, scenario_id)
                cache.put(cached, key if lasting else None, row)
            walked.append((student, module, scenario_id, folder, name, len(cache.values) - 1))
    if keep:
        for cache in caches.values():
            cache.save()
    return _frames(walked, caches, tables, root)


class _Options:
    """Every option of a module's released scenarios, numbered: a decision is kept as its option's
    number, and the decision's columns are looked up here."""

    def __init__(self, scenarios: Mapping[str, GradingKey]):
        self.numbers: dict[tuple[str, str, str], int] = {}
        rows: list[tuple] = []
        for scenario_id in sorted(scenarios):
            scenario = scenarios[scenario_id]["scenario"]
            for step in scenario["steps"]:
                # decisions() below says what each column means.
                best = max(o["points"] for o in step["options"])
                clauses = tuple(sorted({c for o in step["options"] for c in o["clauses"]}))
                count = len(step["options"])
                for option in step["options"]:
                    self.numbers[scenario_id, step["id"], option["id"]] = len(rows)
                    chosen = (option["id"], option["action"], option["points"])
                    rows.append((scenario_id, step["id"], *chosen, best, clauses, count))
        self.rows = rows
        self.salt = salt_of({s: scenarios[s] for s in sorted(scenarios)})


_FIELDS = [("valid", int), ("policy_version", str), ("updated", str), ("reason", str)]
# Per decision: the option's number (_Options), and where it was shown (0: not recorded).
_RAGGED = ["option", "shown_at"]


class _CouldNotRead(InvalidAnswers):
    """The file could not be read this time (an OS error): said, and never kept in the cache."""


def _derive(
    path: Path,
    keys: Keys,
    unreadable: Mapping[tuple[str, str], str],
    table: _Options,
    module: str,
    scenario_id: str,
) -> tuple[tuple, bool]:
    """One answers file's cache row (:data:`_FIELDS`, :data:`_RAGGED`), and whether it may be kept."""
    try:
        if (module, scenario_id) in unreadable:
            why = unreadable[module, scenario_id]
            raise InvalidAnswers(f"its grading key as released is unreadable: {why}")
        scenario = _scenario(keys, module, scenario_id)
        answers = parse_answers(_read(path), scenario)
    except InvalidAnswers as exc:
        return (0, "", "", str(exc), [], []), not isinstance(exc, _CouldNotRead)
    options, shown = [], []
    for row in decisions(scenario, answers.choices, answers.orders):
        options.append(table.numbers[scenario_id, row["step"], row["option"]])
        shown.append(row["shown_at"] or 0)
    return (1, answers.policy_version, answers.updated, "", options, shown), True


def _frames(
    walked: list[tuple[str, str, str, Path, str, int]],
    caches: Mapping[str, FileCache],
    tables: Mapping[str, _Options],
    root: Path,
) -> CohortAnswers:
    """The frames of the files ``walked``, in the walk's order, from this run's cache rows."""
    invalid: list[list[Any]] = []
    answered: list[list[Any]] = []
    files: list[tuple[str, str, int, int]] = []  # student, module, module's number, cache row
    numbers = {module: n for n, module in enumerate(caches)}
    for student, module, scenario_id, folder, name, at in walked:
        valid, policy_version, updated, reason = caches[module].values[at]
        if not valid:
            invalid.append([student, module, scenario_id, _shown(folder / name, root), reason])
            continue
        answered.append([student, module, scenario_id, policy_version, updated])
        files.append((student, module, numbers[module], at))
    return CohortAnswers(
        _choices_frame(files, caches, tables),
        pd.DataFrame(invalid, columns=INVALID_COLUMNS),
        pd.DataFrame(answered, columns=ANSWERED_COLUMNS),
    )


def _choices_frame(
    files: list[tuple[str, str, int, int]], caches: Mapping[str, FileCache], tables: Mapping[str, _Options]
) -> pd.DataFrame:
    """One row per decision of the valid ``files``, in their order, built column by column: a
    large cohort has millions of decisions."""
    columns = [*CHOICE_COLUMNS, *POSITION_COLUMNS]
    if not files:
        return _typed(pd.DataFrame([], columns=columns))
    # Each module's decisions (option numbers made cohort-wide) and where each file's begin.
    options, shown, starts, table_rows = [], [], [], []
    decided = 0
    for module, cache in caches.items():
        values, offsets = cache.lists("option")
        options.append(values + len(table_rows))
        shown.append(cache.lists("shown_at")[0])
        starts.append(offsets + decided)
        decided += len(values)
        table_rows += tables[module].rows
    all_options, all_shown = np.concatenate(options), np.concatenate(shown)
    module_number = np.array([f[2] for f in files], dtype=np.int64)
    row = np.array([f[3] for f in files], dtype=np.int64)
    first, ends = np.zeros(len(files), dtype=np.int64), np.zeros(len(files), dtype=np.int64)
    for number, begin in enumerate(starts):
        mine = module_number == number
        first[mine], ends[mine] = begin[row[mine]], begin[row[mine] + 1]
    counts = ends - first
    before = np.cumsum(counts) - counts
    picked = np.repeat(first - before, counts) + np.arange(int(counts.sum()))
    option = all_options[picked]
    table = list(zip(*table_rows, strict=True)) if table_rows else [()] * 8
    looked_up = [np.array(column, dtype=object)[option] for column in table]
    at = all_shown[picked]
    frame = pd.DataFrame(
        {
            "student": np.repeat(np.array([f[0] for f in files], dtype=object), counts),
            "module": np.repeat(np.array([f[1] for f in files], dtype=object), counts),
            "scenario": looked_up[0],
            "step": looked_up[1],
            "option": looked_up[2],
            "action": looked_up[3],
            "points": looked_up[4],
            "best_points": looked_up[5],
            "clauses": pd.Series(looked_up[6], dtype=object),
            "shown_at": pd.arrays.IntegerArray(at, at == 0),  # 0: not recorded (NA)
            "options": looked_up[7],
        },
        columns=columns,
    )
    return _typed(frame)


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


def _answers_files(folder: Path) -> list[tuple[str, Key | None]]:
    """The answers files in a submission's ``folder``, in name order, each with its cache key
    (None for a symlink or anything but a regular file: read, and refused, each time)."""
    try:
        with os.scandir(folder) as entries:
            found = [(e.name, e) for e in entries if e.name.endswith(ANSWERS_SUFFIX)]
    except OSError:
        return []
    files = []
    for name, entry in sorted(found, key=lambda f: f[0]):
        try:
            files.append((name, file_key(entry.stat(follow_symlinks=False))))
        except OSError:
            files.append((name, None))
    return files


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
        raise _CouldNotRead(f"answers file could not be read ({exc.strerror or exc})") from exc


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"points": "int64", "best_points": "int64", "shown_at": "Int64", "options": "int64"})
