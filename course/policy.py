"""The policy as data: sections and clauses with stable ids, read from ``policy.yaml``."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

POLICY_FILE = Path(__file__).with_name("policy.yaml")
POLICY_TEXT_FILE = Path(__file__).with_name("policy.txt")


class Frozen(BaseModel):
    """The base of the policy's and the scenarios' models: read-only, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


VERSION_PATTERN = r"^\d{4}-\d{2}$"  # year-month: versions compare in order as text
CLAUSE_ID_PATTERN = r"^[a-z]+(?:-[a-z]+)*\.[a-z]+(?:-[a-z]+)*$"  # section.clause, e.g. "privacy.settings"


class Clause(Frozen):
    id: str = Field(pattern=CLAUSE_ID_PATTERN)
    text: str
    plain: str
    # The policy version in which this clause's wording last changed; absent while the clause
    # is as it was when the course began. Completions older than it need a retake.
    revised: str | None = Field(default=None, pattern=VERSION_PATTERN)


class Section(Frozen):
    id: str
    title: str
    clauses: tuple[Clause, ...]
    # A list (the MUST NOT list): its first clause opens it, each other clause is an item read
    # after this stem, e.g. "Members must not".
    stem: str | None = None


class Policy(Frozen):
    id: str
    organisation: str
    title: str
    version: str = Field(pattern=VERSION_PATTERN)
    last_reviewed: str
    review_every_months: int
    update_at_least_every_months: int
    sections: tuple[Section, ...]

    @property
    def clauses(self) -> dict[str, Clause]:
        """Every clause by id, in policy order."""
        return {c.id: c for s in self.sections for c in s.clauses}

    def section_of(self, clause_id: str) -> Section:
        for section in self.sections:
            if any(c.id == clause_id for c in section.clauses):
                return section
        raise KeyError(clause_id)

    def place(self, clause_id: str) -> str:
        """Where a clause is, in the words a reader of the policy would use: "What members must
        not do, item 2"; "Keeping Boundaries, point 3". Trainees never see clause ids."""
        section = self.section_of(clause_id)
        n = [c.id for c in section.clauses].index(clause_id)
        if section.stem:
            return f"{section.title}, item {n}" if n else f"{section.title}, the list's opening words"
        return f"{section.title}, point {n + 1}"

    def quote(self, clause_id: str) -> str:
        """The clause as quoted to a trainee: a list item with its stem, so that it reads as the
        rule it is ("Members must not: accept friend requests...")."""
        section, text = self.section_of(clause_id), self.clauses[clause_id].text
        if section.stem and section.clauses[0].id != clause_id:
            return f"{section.stem}: {text[:1].lower()}{text[1:]}"
        return text

    def revisions(self, clause_ids: Iterable[str]) -> dict[str, str]:
        """``{clause id: version its wording dates from}``, "" for never revised."""
        return {c: self.clauses[c].revised or "" for c in sorted(set(clause_ids))}


def read_policy(path: Path = POLICY_FILE) -> Policy:
    policy = Policy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    ids = [c.id for s in policy.sections for c in s.clauses]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate clause ids: {', '.join(duplicates)}")
    ahead = sorted(c.id for c in policy.clauses.values() if c.revised and c.revised > policy.version)
    if ahead:
        raise ValueError(f"{path}: clauses revised after version {policy.version}: {', '.join(ahead)}")
    return policy


@cache
def load_policy() -> Policy:
    """The policy the course teaches (cached: it is read-only data)."""
    return read_policy()
