"""Which clauses each graded decision and knowledge-check question tests: the course's coverage."""

from __future__ import annotations

import pandas as pd

from ..policy import Policy
from .catalog import Course


def coverage_matrix(course: Course, policy: Policy) -> pd.DataFrame:
    """Clauses (rows, policy order) x items (columns, course order): how many options of the
    item's graded decisions cite the clause."""
    items = course.items
    matrix = pd.DataFrame(
        0,
        index=pd.Index(list(policy.clauses), name="clause"),
        columns=pd.Index([i.id for i in items], name="item"),
    )
    for item in items:
        for step in item.steps:
            for option in step.options:
                for clause in option.clauses:
                    matrix.loc[clause, item.id] += 1
    return matrix


def uncovered(matrix: pd.DataFrame) -> list[str]:
    """Clauses no graded decision or question cites."""
    return [clause for clause, total in matrix.sum(axis=1).items() if total == 0]
