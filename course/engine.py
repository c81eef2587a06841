"""Walk a scenario's decision graph along the choices a trainee made.

Works on the plain-dict form of a scenario (as written into a notebook's ``.scenario.json`` or
grading key), with or without the answer key, so that the app and the grader follow the exact
same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the documents module reads answers with walk(): types only, no cycle
    from .documents import EndingData, OptionData, ScenarioData, StepData


class InvalidChoices(ValueError):
    """The choices do not describe a path through this scenario."""


@dataclass
class Walk:
    scenario: ScenarioData
    taken: list[tuple[StepData, OptionData]] = field(default_factory=list)  # (step, option) pairs
    current: StepData | None = None  # the step awaiting a decision
    ending: EndingData | None = None  # the ending reached, once finished

    @property
    def finished(self) -> bool:
        return self.ending is not None


def find(nodes: Sequence[Any], node_id: str) -> Any:
    """The step, option or ending with this id, or ``None``."""
    return next((n for n in nodes if n["id"] == node_id), None)


def walk(scenario: ScenarioData, choices: Sequence[Mapping[str, Any]]) -> Walk:
    """Follow ``choices`` (``[{"step": id, "option": id}, ...]``) from the scenario's start."""
    result = Walk(scenario, current=find(scenario["steps"], scenario["start"]))
    for n, choice in enumerate(choices, start=1):
        if result.current is None:
            raise InvalidChoices(f"choice {n} was made after the scenario had ended")
        if not isinstance(choice, Mapping) or set(choice) != {"step", "option"}:
            raise InvalidChoices(f"choice {n}: expected {{'step': ..., 'option': ...}}")
        if choice["step"] != result.current["id"]:
            raise InvalidChoices(
                f"choice {n}: expected step {result.current['id']!r}, got {choice['step']!r}"
            )
        option = find(result.current["options"], choice["option"])
        if option is None:
            raise InvalidChoices(
                f"choice {n}: step {result.current['id']!r} has no option {choice['option']!r}"
            )
        result.taken.append((result.current, option))
        result.current = find(scenario["steps"], option["next"])
        if result.current is None:
            result.ending = find(scenario["endings"], option["next"])
    return result


def walk_score(w: Walk) -> int:
    """The points of the options taken (the full scenario, or a grading key, carries them)."""
    return sum(option["points"] for _, option in w.taken)
