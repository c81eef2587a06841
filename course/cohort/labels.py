"""The words behind the ids in the cohort's frames: scenario titles, questions and options as the
trainees read them (the keys as released), each clause's plain label (the policy's ``plain``
wording, as the reading pages explain it) and trainees' names from the roster. The report's CSVs
and the dashboard both print these beside the ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from ..documents import ModuleDocument
from ..grading.released import Keys
from ..policy import Policy

Decision = tuple[str, str, str]  # (module, scenario, step)


@dataclass(frozen=True)
class CourseText:
    """The words behind the ids, as released to the cohort; ids where unknown."""

    titles: dict[tuple[str, str], str]  # (module, scenario) -> scenario title
    prompts: dict[Decision, str]  # decision -> question
    options: dict[tuple[str, str, str, str], str]  # decision + option -> option text
    order: dict[Decision, int]  # decision -> play order
    best: dict[Decision, str] = field(default_factory=dict)  # decision -> the option earning full credit
    clause_labels: dict[str, str] = field(default_factory=dict)  # clause id -> plain label

    def title(self, module: str, scenario: str) -> str:
        return self.titles.get((module, scenario), scenario)

    def prompt(self, module: str, scenario: str, step: str) -> str:
        return self.prompts.get((module, scenario, step), step)

    def option(self, module: str, scenario: str, step: str, option: str) -> str:
        return self.options.get((module, scenario, step, option), option)

    def better(self, module: str, scenario: str, step: str) -> str:
        """The id of the option earning the decision's full credit ("" where unknown)."""
        return self.best.get((module, scenario, step), "")

    def clause(self, clause: str) -> str:
        return self.clause_labels.get(clause, clause)

    def clauses(self, clauses: Iterable[str]) -> str:
        """Several clauses' labels, one after another (the ids are given beside them)."""
        return " | ".join(self.clause(c) for c in clauses)


def course_text(released: Mapping[str, ModuleDocument], keys: Keys, policy: Policy) -> CourseText:
    """The words of every released scenario, its decisions in play order (the module's pages in
    order, each scenario's steps as authored), from the keys as released: a scenario reworded
    since release is shown as the trainees read it."""
    titles, prompts, options, order, best = {}, {}, {}, {}, {}
    for m, document in released.items():
        for page in document["pages"]:
            key = keys.get(m, {}).get(page["id"])
            if key is None:
                continue  # the reading, or a scenario whose key could not be read
            item = key["scenario"]
            titles[m, item["id"]] = item["title"]
            for step in item["steps"]:
                decision = (m, item["id"], step["id"])
                order[decision] = len(order)
                prompts[decision] = step["prompt"]
                top = max(o["points"] for o in step["options"])
                best[decision] = next(o["id"] for o in step["options"] if o["points"] == top)
                for option in step["options"]:
                    options[(*decision, option["id"])] = option["text"]
    labels = {clause_id: clause.plain for clause_id, clause in policy.clauses.items()}
    return CourseText(titles, prompts, options, order, best, labels)


def trainee_names(roster: pd.DataFrame) -> dict[str, str]:
    """Each trainee's name as the roster gives it ("Chloé Dupont"), by id; "" where none is given."""
    return {
        str(r.id): " ".join(str(p) for p in (r.first_name, r.last_name) if isinstance(p, str) and p)
        for r in roster.itertuples(index=False)
    }
