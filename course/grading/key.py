"""The grading key of a scenario, read as data from the hidden test cell that carries it.

``course build`` embeds the key in the source notebook's ``decisions`` cell as
``grade_scenario(json.loads(r\"\"\"{key}\"\"\"))``; nbgrader keeps that cell's released source in its
gradebook and restores it at autograde. The key is only ever parsed out of that source, never
executed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat

from ..build.notebooks import DECISIONS_CELL, grade_id

# Compact JSON never holds three quotes in a row (a string's closing quote is always followed by
# ``,``, ``:``, ``]`` or ``}``), so the key ends at the first three.
KEY_PATTERN = re.compile(r'json\.loads\(r"""(.*?)"""\)', re.S)


class KeyUnavailable(ValueError):
    """The grading key for a scenario could not be read."""


def key_from_source(source: str, where: str) -> dict[str, Any]:
    """The key in the source of a ``decisions`` cell; ``where`` names it in errors."""
    match = KEY_PATTERN.search(source)
    if match is None:
        raise KeyUnavailable(f'{where}: the {DECISIONS_CELL!r} cell holds no json.loads(r"""...""") key')
    try:
        key = json.loads(match.group(1))
    except (ValueError, RecursionError) as exc:
        raise KeyUnavailable(f"{where}: the key in the {DECISIONS_CELL!r} cell is not valid JSON") from exc
    scenario = key.get("scenario") if isinstance(key, dict) else None
    if not isinstance(scenario, dict) or not {"id", "start", "steps", "endings"} <= set(scenario):
        raise KeyUnavailable(f"{where}: the key has no scenario with id, start, steps and endings")
    if not isinstance(key.get("max_points"), int | float):
        raise KeyUnavailable(f"{where}: the key has no max_points number")
    return key


def read_grading_key(path: Path) -> dict[str, Any]:
    """The grading key embedded in the hidden test of a source notebook built by ``course build``."""
    if not path.is_file():
        raise KeyUnavailable(f"{path}: no such source notebook (`course build` writes it)")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises many kinds (JSON, schema, encoding, I/O)
        raise KeyUnavailable(f"{path}: not a readable notebook ({type(exc).__name__})") from exc
    cells = [c for c in nb.get("cells", []) if grade_id(c) == DECISIONS_CELL]
    if len(cells) != 1:
        raise KeyUnavailable(f"{path}: expected one {DECISIONS_CELL!r} cell, found {len(cells)}")
    return key_from_source(cells[0].get("source", ""), str(path))
