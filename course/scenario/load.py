"""Read YAML files into the typed schema, keeping line numbers for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Problem, ScenarioError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def field_path(loc: Loc) -> str:
    """('steps', 0, 'options', 1, 'next') -> 'steps[0].options[1].next'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_map(node: yaml.Node, loc: Loc = (), lines: dict[Loc, int] | None = None) -> dict[Loc, int]:
    """Map every field path in a composed YAML document to its 1-based line."""
    lines = {} if lines is None else lines
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*loc, key.value)] = key.start_mark.line + 1
            _line_map(value, (*loc, key.value), lines)
            lines[(*loc, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*loc, index), lines)
    return lines


class SourceFile:
    """A parsed YAML file and the line of each of its fields."""

    def __init__(self, path: Path):
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text)
        except UnicodeDecodeError as exc:
            raise ScenarioError([Problem(path, "", f"expected UTF-8 text ({exc.reason})")]) from exc
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else None
            raise ScenarioError([Problem(path, "", f"invalid YAML: {exc.problem}", line)]) from exc
        self.lines = _line_map(node) if node is not None else {}

    def line(self, loc: Loc) -> int | None:
        """The line of a field, or of its nearest parent that exists in the file."""
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc)

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.path, field_path(loc), message, self.line(loc))

    def parse(self, model: type[M]) -> M:
        if not isinstance(self.data, dict):
            raise ScenarioError([self.problem((), "expected a mapping of fields at the top level")])
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            errors = exc.errors()
            # A container fails when one of its items does; report the item, not both.
            locs = [tuple(e["loc"]) for e in errors]
            kept = [
                e
                for e in errors
                if not any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in locs)
            ]
            raise ScenarioError([self._from_pydantic(e) for e in kept]) from exc

    def _from_pydantic(self, error: Any) -> Problem:
        loc: Loc = tuple(error["loc"])
        kind, message = error["type"], error["msg"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = "unknown field (check its spelling against the schema)"
        elif kind == "literal_error" and loc == ("schema_version",):
            message = f"expected schema_version 1, got {error.get('input')!r}"
        elif kind == "string_pattern_mismatch":
            message = f"expected lower-case words joined by hyphens, got {error.get('input')!r}"
        elif kind == "enum":
            expected = error.get("ctx", {}).get("expected", "")
            message = f"expected one of {expected}, got {error.get('input')!r}"
        else:
            got = repr(error.get("input"))
            message = f"{message} (got {got if len(got) <= 80 else got[:77] + '...'})"
        return self.problem(loc, message)
