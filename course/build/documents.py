"""The data documents the app plays from: full (practice), public (assessed), key, reading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..policy import Policy
from ..scenario.catalog import ModuleContent
from ..scenario.schema import Scenario
from ..scenario.validate import max_points

DOCUMENT_FORMAT = 1
SCENARIO_SUFFIX = ".scenario.json"
READING = "reading"  # the page (notebook stem) holding a module's reading
READING_FILE = "reading.json"
# What a trainee must never be able to read before feedback is released.
KEY_OPTION_FIELDS = ("action", "points", "feedback", "clauses")
# From a practice notebook (notebooks/practice/<module>/) back to the landing page.
PRACTICE_HOME = "../../index.ipynb"


def page_titles(content: ModuleContent) -> dict[str, str]:
    """A module's pages in order, by notebook stem: the reading, the scenarios, the check."""
    return {READING: f"Reading: {content.module.title}", **{s.id: s.title for s in content.items}}


def navigation(content: ModuleContent, page_id: str, *, assessed: bool) -> dict[str, Any]:
    titles = page_titles(content)
    pages = list(titles)
    i = pages.index(page_id)

    def link(j: int) -> dict[str, str] | None:
        return {"id": pages[j], "title": titles[pages[j]]} if 0 <= j < len(pages) else None

    return {
        "module_id": content.module.id,
        "module_title": content.module.title,
        "position": i + 1,
        "count": len(pages),
        "previous": link(i - 1),
        "next": link(i + 1),
        "home": None if assessed else PRACTICE_HOME,
    }


def read_play_document(folder: Path, page_id: str) -> dict[str, Any]:
    """The play document written beside a scenario's or check's notebook."""
    return json.loads((folder / f"{page_id}{SCENARIO_SUFFIX}").read_text(encoding="utf-8"))


def public_scenario(scn: Scenario) -> dict[str, Any]:
    """The scenario without its answer key: no points per option, feedback, clauses or rubric."""
    data = scn.model_dump(mode="json")
    for step in data["steps"]:
        for option in step["options"]:
            for key in KEY_OPTION_FIELDS:
                del option[key]
    if data["reflection"]:
        del data["reflection"]["rubric"]
    return data


def play_document(content: ModuleContent, scn: Scenario, policy: Policy, *, assessed: bool) -> dict[str, Any]:
    """What the app reads beside a notebook: the whole scenario in practice, the public part
    when assessed."""
    document: dict[str, Any] = {
        "format": DOCUMENT_FORMAT,
        "mode": "assessed" if assessed else "practice",
        "policy_version": policy.version,
        "navigation": navigation(content, scn.id, assessed=assessed),
        "scenario": public_scenario(scn) if assessed else scn.model_dump(mode="json"),
        "max_points": max_points(scn),
    }
    if not assessed:
        document["clauses"] = _clause_texts(scn, policy)
    return document


def reading_document(content: ModuleContent, policy: Policy, *, assessed: bool) -> dict[str, Any]:
    """The module's reading, with every cited clause quoted from the policy data."""
    module = content.module
    return {
        "format": DOCUMENT_FORMAT,
        "mode": "assessed" if assessed else "practice",
        "policy_version": policy.version,
        "navigation": navigation(content, READING, assessed=assessed),
        "module": {
            "id": module.id,
            "title": module.title,
            "summary": module.summary,
            "cpd_minutes": module.cpd_minutes,
        },
        "parts": [
            {
                "heading": part.heading,
                "text": part.text,
                "clauses": [{"id": c, "text": policy.clauses[c].text} for c in part.clauses],
            }
            for part in module.reading
        ],
    }


def grading_key(scn: Scenario, policy: Policy) -> dict[str, Any]:
    """Everything the grader needs, embedded in the hidden test cell of the source notebook."""
    data = scn.model_dump(mode="json")
    del data["situation"]
    return {"scenario": data, "max_points": max_points(scn), "clauses": _clause_texts(scn, policy)}


def _clause_texts(scn: Scenario, policy: Policy) -> dict[str, str]:
    used = sorted({c for step in scn.steps for o in step.options for c in o.clauses})
    return {c: policy.clauses[c].text for c in used}
