"""The data documents a scenario notebook plays from: full (practice), public (assessed), key."""

from __future__ import annotations

from typing import Any

from ..policy import Policy
from ..scenario.catalog import ModuleContent
from ..scenario.schema import Scenario
from ..scenario.validate import max_points

DOCUMENT_FORMAT = 1
SCENARIO_SUFFIX = ".scenario.json"
# What a trainee must never be able to read before feedback is released.
KEY_OPTION_FIELDS = ("action", "points", "feedback", "clauses")


# From a practice notebook (notebooks/practice/<module>/) back to the landing page.
PRACTICE_HOME = "../../index.ipynb"


def _navigation(content: ModuleContent, scn: Scenario, *, assessed: bool) -> dict[str, Any]:
    ids = [s.id for s in content.scenarios]
    i = ids.index(scn.id)
    return {
        "module_id": content.module.id,
        "module_title": content.module.title,
        "position": i + 1,
        "count": len(ids),
        "previous": ids[i - 1] if i > 0 else None,
        "next": ids[i + 1] if i + 1 < len(ids) else None,
        "home": None if assessed else PRACTICE_HOME,
    }


def public_scenario(scn: Scenario) -> dict[str, Any]:
    """The scenario without its answer key: no points per option, feedback, clauses or rubric."""
    data = scn.model_dump(mode="json")
    for step in data["steps"]:
        for option in step["options"]:
            for key in KEY_OPTION_FIELDS:
                del option[key]
    del data["reflection"]["rubric"]
    return data


def play_document(content: ModuleContent, scn: Scenario, policy: Policy, *, assessed: bool) -> dict[str, Any]:
    """What the app reads beside a notebook: the whole scenario in practice, the public part
    when assessed."""
    scenario = public_scenario(scn) if assessed else scn.model_dump(mode="json")
    document: dict[str, Any] = {
        "format": DOCUMENT_FORMAT,
        "mode": "assessed" if assessed else "practice",
        "policy_version": policy.version,
        "navigation": _navigation(content, scn, assessed=assessed),
        "scenario": scenario,
        "max_points": max_points(scn),
    }
    if not assessed:
        document["clauses"] = _clause_texts(scn, policy)
    return document


def grading_key(scn: Scenario, policy: Policy) -> dict[str, Any]:
    """Everything the grader needs, embedded in the hidden test cell of the source notebook."""
    data = scn.model_dump(mode="json")
    del data["situation"]
    return {"scenario": data, "max_points": max_points(scn), "clauses": _clause_texts(scn, policy)}


def _clause_texts(scn: Scenario, policy: Policy) -> dict[str, str]:
    used = sorted({c for step in scn.steps for o in step.options for c in o.clauses})
    return {c: policy.clauses[c].text for c in used}
