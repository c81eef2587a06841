"""A trainee's answers for one scenario, saved as JSON beside the notebook.

Voila never saves the notebook and autograde re-runs it, so this file is what gets submitted,
collected and graded. It is data only: it is parsed, validated and never executed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .engine import InvalidChoices, Node, walk

FORMAT = 3  # 2 added policy_version; 3 the order each decision's options were shown in
READABLE_FORMATS = {2, 3}  # a format 2 file (saved before the upgrade) reads as "orders unknown"
SUFFIX = ".answers.json"
MAX_BYTES = 64 * 1024
MAX_REFLECTION_CHARS = 4000
FIELDS = {"format", "scenario", "choices", "reflection", "updated", "policy_version", "orders"}
HIDDEN_PREFIX = ".answers-"  # the app's own files beside the answers: its temp files and lock
STALE_TEMP_SECONDS = 60  # a temp file this old was left by a killed writer, never one in flight
_SURROGATE = re.compile("[\ud800-\udfff]")  # half a UTF-16 pair: no UTF-8 encoding exists


class InvalidAnswers(ValueError):
    """The answers file is not something the app could have written."""


@dataclass
class Answers:
    scenario: str
    choices: list[dict[str, str]] = field(default_factory=list)
    reflection: str = ""
    updated: str = ""
    # The policy version the choices were made under: a later revision of a clause the module
    # rests on makes the completion due for a retake.
    policy_version: str = ""
    # Step id -> the option ids in the order this trainee was shown them, so that a tutor can
    # check for position effects. Grading never reads it: a choice is an option id.
    orders: dict[str, list[str]] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def answers_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{scenario_id}{SUFFIX}"


def lock_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{HIDDEN_PREFIX}{scenario_id}.lock"


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (which a browser can send) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _valid_unicode(data: Any) -> bool:
    """Whether every string in parsed JSON, keys included, can be written as UTF-8. json.loads
    accepts "\\ud800" (and bytes holding an encoded surrogate), which nothing can write out later.
    Walked with a stack, not recursion: the data may nest as deep as the parser allowed."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def parse_answers(text: str | bytes, scenario: Node) -> Answers:
    """Parse and check answers against the scenario; raise :class:`InvalidAnswers` if off."""
    if len(text) > MAX_BYTES:
        raise InvalidAnswers(f"answers file is {len(text)} bytes; the app writes at most {MAX_BYTES}")
    try:
        data: Any = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidAnswers(f"answers file is not valid JSON ({exc})") from exc
    except RecursionError as exc:  # e.g. "[[[[...": small, yet too deep for the parser
        raise InvalidAnswers("answers file nests deeper than the app ever writes") from exc
    if not _valid_unicode(data):
        raise InvalidAnswers("answers file holds text that is not valid Unicode (a lone surrogate)")
    if not isinstance(data, dict):
        raise InvalidAnswers("answers file must hold a JSON object")
    if data.get("format") == 2 and "orders" not in data:
        data = {**data, "format": FORMAT, "orders": {}}
    if set(data) != FIELDS:
        raise InvalidAnswers(f"answers file fields are {sorted(data)}, expected {sorted(FIELDS)}")
    if data["format"] != FORMAT:
        raise InvalidAnswers(f"answers format {data['format']!r}, expected one of {sorted(READABLE_FORMATS)}")
    if data["scenario"] != scenario["id"]:
        raise InvalidAnswers(f"answers are for scenario {data['scenario']!r}, expected {scenario['id']!r}")
    if not isinstance(data["reflection"], str) or len(data["reflection"]) > MAX_REFLECTION_CHARS:
        raise InvalidAnswers(f"reflection must be text of at most {MAX_REFLECTION_CHARS} characters")
    if not all(isinstance(data[k], str) for k in ("updated", "policy_version")):
        raise InvalidAnswers("answers 'updated' and 'policy_version' must be text")
    if not isinstance(data["choices"], list):
        raise InvalidAnswers("answers 'choices' must be a list")
    try:
        walk(scenario, data["choices"])
    except InvalidChoices as exc:
        raise InvalidAnswers(f"choices do not follow the scenario: {exc}") from exc
    _check_orders(data["orders"], scenario)
    return Answers(**data)


def _check_orders(orders: Any, scenario: Node) -> None:
    """Each recorded order is a step of this scenario and a permutation of its option ids."""
    if not isinstance(orders, dict):
        raise InvalidAnswers("answers 'orders' must be an object")
    steps = {s["id"]: s for s in scenario["steps"]}
    for step_id, order in orders.items():
        if step_id not in steps:
            raise InvalidAnswers(f"answers 'orders' names step {step_id!r}, which this scenario has not")
        ids = [o["id"] for o in steps[step_id]["options"]]
        if not (
            isinstance(order, list)
            and all(isinstance(i, str) for i in order)
            and sorted(order) == sorted(ids)
        ):
            raise InvalidAnswers(f"answers 'orders' for step {step_id!r} is not an order of its options")


def read_saved(folder: Path, scenario_id: str) -> bytes | None:
    """The answers file exactly as it is on disk, or ``None`` if there is none."""
    try:
        return answers_path(folder, scenario_id).read_bytes()
    except FileNotFoundError:
        return None


def read_answers(folder: Path, scenario: Node) -> Answers | None:
    """The saved answers, or ``None`` if the trainee has not started this scenario."""
    saved = read_saved(folder, scenario["id"])
    return None if saved is None else parse_answers(saved, scenario)


@contextmanager
def answers_lock(folder: Path, scenario_id: str) -> Iterator[None]:
    """Hold the scenario's lock while reading and saving, so that the kernels of several tabs
    take turns. Not re-entrant: a second hold from the same process waits for ever."""
    folder.mkdir(parents=True, exist_ok=True)
    # Opened for writing: NFS (home folders on a hub) emulates flock with write locks. The file is
    # never removed, so every kernel locks the same one.
    with open(lock_path(folder, scenario_id), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield  # closing the file releases the lock, as does the process dying


def set_aside(folder: Path, scenario_id: str) -> Path:
    """Move an answers file that no longer fits its scenario out of the way, keeping it."""
    path = answers_path(folder, scenario_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{scenario_id}.answers-{stamp}.invalid.json")
    os.replace(path, kept)
    return kept


def _remove_stale_temps(folder: Path, scenario_id: str) -> None:
    """Remove this scenario's temp files left by a writer killed mid-save. Only old ones: a
    younger one may be another kernel's save in flight."""
    too_old = time.time() - STALE_TEMP_SECONDS
    for tmp in folder.glob(f"{HIDDEN_PREFIX}{scenario_id}.*.tmp"):
        with suppress(FileNotFoundError):  # another save removed it first
            if tmp.stat().st_mtime < too_old:
                tmp.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable. Best effort: some file systems refuse to sync a folder."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_answers(folder: Path, answers: Answers) -> Path:
    """Write atomically and durably, so that neither a killed process nor a power cut leaves a
    half file to be graded: the whole text goes to a temp file, synced, then renamed over."""
    answers.updated = datetime.now(UTC).isoformat(timespec="seconds")
    data = answers.to_json().encode("utf-8")  # first: text that cannot be written leaves no file
    path = answers_path(folder, answers.scenario)
    folder.mkdir(parents=True, exist_ok=True)  # a learner's own folder starts empty
    _remove_stale_temps(folder, answers.scenario)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{HIDDEN_PREFIX}{answers.scenario}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # the content is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)
    return path
