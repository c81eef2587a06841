"""A trainee's answers for one scenario, saved as JSON beside the notebook.

Voila never saves the notebook and autograde re-runs it, so this file is what gets submitted,
collected and graded. It is data only: it is parsed, validated and never executed.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .engine import InvalidChoices, Node, walk

FORMAT = 2  # 2 added policy_version
SUFFIX = ".answers.json"
MAX_BYTES = 64 * 1024
MAX_REFLECTION_CHARS = 4000
FIELDS = {"format", "scenario", "choices", "reflection", "updated", "policy_version"}


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
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def answers_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{scenario_id}{SUFFIX}"


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
    if not isinstance(data, dict):
        raise InvalidAnswers("answers file must hold a JSON object")
    if set(data) != FIELDS:
        raise InvalidAnswers(f"answers file fields are {sorted(data)}, expected {sorted(FIELDS)}")
    if data["format"] != FORMAT:
        raise InvalidAnswers(f"answers format {data['format']!r}, expected {FORMAT}")
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
    return Answers(**data)


def read_answers(folder: Path, scenario: Node) -> Answers | None:
    """The saved answers, or ``None`` if the trainee has not started this scenario."""
    path = answers_path(folder, scenario["id"])
    if not path.exists():
        return None
    return parse_answers(path.read_bytes(), scenario)


def set_aside(folder: Path, scenario_id: str) -> Path:
    """Move an answers file that no longer fits its scenario out of the way, keeping it."""
    path = answers_path(folder, scenario_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{scenario_id}.answers-{stamp}.invalid.json")
    os.replace(path, kept)
    return kept


def save_answers(folder: Path, answers: Answers) -> Path:
    """Write atomically, so a crash mid-write never leaves a half file to be graded."""
    answers.updated = datetime.now(UTC).isoformat(timespec="seconds")
    path = answers_path(folder, answers.scenario)
    folder.mkdir(parents=True, exist_ok=True)  # a learner's own folder starts empty
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".answers-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(answers.to_json())
    os.replace(tmp, path)
    return path
