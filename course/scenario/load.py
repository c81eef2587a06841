"""Read YAML files into the typed schema, keeping line numbers for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Problem, ScenarioError
from .schema import SCHEMA_VERSION

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]

# Scenario and module files are hand-written data, at most about 22 KB and 7 levels deep, so
# these limits are generous. With them, and anchors and aliases refused, reading a file takes
# time and memory in proportion to its size: a file of nested aliases (a "billion laughs") is a
# few hundred bytes but expands to billions of values.
MAX_BYTES = 256 * 1024  # PyYAML takes 10-20 s a MiB of tiny items; at this cap, a few seconds
MAX_DEPTH = 50
MAX_NUMBER_CHARS = 100  # Python refuses longer decimals; YAML's base-60 numbers are quadratic


class _Refused(Exception):
    """Valid YAML that scenario files do not use, found at ``mark``."""

    def __init__(self, message: str, mark: yaml.Mark):
        super().__init__(message)
        self.message, self.mark = message, mark


class _ScenarioLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors, aliases and deep nesting as it composes.

    Refusing an alias here, before any node refers to another, means nothing downstream (the
    line map, the constructor, pydantic) ever sees a shared node, so none of it can expand one.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self._depth = 0
        self._anchors: dict[str, yaml.Mark] = {}

    def compose_document(self) -> yaml.Node:
        node = super().compose_document()
        # An anchor alone is harmless, so it is reported only once the document is read: a file
        # that uses one also has an alias, which is refused at the alias.
        if self._anchors:
            name, mark = next(iter(self._anchors.items()))
            raise _Refused(
                f"YAML anchor '&{name}' is not allowed in scenario files; remove it "
                "(scenario files write every value out in full)",
                mark,
            )
        return node

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            anchor = self._anchors.get(event.anchor)
            raise _Refused(
                f"YAML alias '*{event.anchor}'"
                + (f" (of the anchor on line {anchor.line + 1})" if anchor else "")
                + " is not allowed in scenario files; write the value out in full here instead",
                event.start_mark,
            )
        if event.anchor is not None:
            self._anchors.setdefault(event.anchor, event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _Refused(
                f"nested more than {MAX_DEPTH} levels deep; scenario files need only a few levels, "
                "so check the indentation and the brackets here",
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _Refused(
                f"a number of {len(node.value)} characters is too long (at most {MAX_NUMBER_CHARS}); "
                "if it is meant as text, put it in quotes",
                node.start_mark,
            )
        return super().construct_yaml_int(node)


_ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _ScenarioLoader.construct_yaml_int)


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
            if not isinstance(key, yaml.ScalarNode):
                continue  # not a field name; constructing the mapping reports it
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
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)  # never more, whatever the file is
        if len(raw) > MAX_BYTES:
            raise ScenarioError(
                [
                    Problem(
                        path,
                        "",
                        f"file is larger than {MAX_BYTES // 1024} KiB, the limit for a scenario or "
                        "module file (they are a few KB); check it is the right file, or split it",
                    )
                ]
            )
        loader: _ScenarioLoader | None = None
        try:
            loader = _ScenarioLoader(raw.decode("utf-8"))
            node = loader.get_single_node()
            # Map the lines first: constructing a mapping with a '<<' merge key rewrites its node.
            self.lines = _line_map(node) if node is not None else {}
            self.data: Any = loader.construct_document(node) if node is not None else None
        except UnicodeDecodeError as exc:
            raise ScenarioError([Problem(path, "", f"expected UTF-8 text ({exc.reason})")]) from exc
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else None
            raise ScenarioError([Problem(path, "", f"invalid YAML: {exc.problem}", line)]) from exc
        except _Refused as exc:
            raise ScenarioError([Problem(path, "", exc.message, exc.mark.line + 1)]) from exc
        finally:
            if loader is not None:
                loader.dispose()

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
            containers = {tuple(e["loc"])[:k] for e in errors for k in range(len(e["loc"]))}
            kept = [e for e in errors if tuple(e["loc"]) not in containers]
            raise ScenarioError([self._from_pydantic(e) for e in kept]) from exc

    def _from_pydantic(self, error: Any) -> Problem:
        loc: Loc = tuple(error["loc"])
        kind, message = error["type"], error["msg"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = "unknown field (check its spelling against the schema)"
        elif kind == "literal_error" and loc == ("schema_version",):
            message = f"expected schema_version {SCHEMA_VERSION}, got {error.get('input')!r}"
        elif kind == "string_pattern_mismatch":
            message = f"expected lower-case words joined by hyphens, got {error.get('input')!r}"
        elif kind == "enum":
            expected = error.get("ctx", {}).get("expected", "")
            message = f"expected one of {expected}, got {error.get('input')!r}"
        else:
            got = repr(error.get("input"))
            message = f"{message} (got {got if len(got) <= 80 else got[:77] + '...'})"
        return self.problem(loc, message)
