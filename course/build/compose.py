"""Compose the documents the app plays from out of the typed model: the play document (whole in
self-study, without its key when assessed), the module and reading documents, and the grading
key. Their shapes, and their readers, are in ``course.documents``."""

from __future__ import annotations

from typing import Any

from ..documents import (
    DOCUMENT_FORMAT,
    READING,
    SITE_NAME,
    ClauseText,
    GradingKey,
    ModuleDocument,
    Navigation,
    PageHeader,
    PageLink,
    PlayDocument,
    PolicyStamp,
    ReadingDocument,
    ScenarioData,
    without_key,
)
from ..policy import Policy
from ..scenario.catalog import ModuleContent
from ..scenario.schema import Scenario
from ..scenario.validate import max_points
from ..status import MODE_BADGE, Mode

# From a page back to the landing page: practice pages live in notebooks/practice/<module>/,
# a trainee's fetched modules in <their folder>/<module>/ beside the landing `course serve` adds.
PRACTICE_HOME, ASSESSED_HOME = "../../index.ipynb", "../index.ipynb"


def page_titles(content: ModuleContent) -> dict[str, str]:
    """A module's pages in order, by notebook stem: the reading, the scenarios, the check."""
    return {READING: f"Reading: {content.module.title}", **{s.id: s.title for s in content.items}}


Neighbours = tuple[ModuleContent | None, ModuleContent | None]  # the previous and next module
NO_NEIGHBOURS: Neighbours = (None, None)


def _stamp(policy: Policy, *, assessed: bool) -> dict[str, Any]:
    """What every document starts with: its format, the mode it plays in, the policy version."""
    return {
        "format": DOCUMENT_FORMAT,
        "mode": Mode.ASSESSED if assessed else Mode.PRACTICE,
        "policy_version": policy.version,
    }


def policy_stamp(policy: Policy) -> PolicyStamp:
    """The policy as the landing page and certificate name it."""
    return {
        "organisation": policy.organisation,
        "title": policy.title,
        "version": policy.version,
        "last_reviewed": policy.last_reviewed,
        "review_every_months": policy.review_every_months,
    }


def navigation(
    content: ModuleContent, page_id: str, *, assessed: bool, neighbours: Neighbours = NO_NEIGHBOURS
) -> Navigation:
    """Links to the previous and next page; past a module's ends, to the neighbouring module
    in self-study (a trainee's folder holds only the modules released so far, so not there)."""
    titles = page_titles(content)
    pages = list(titles)
    i = pages.index(page_id)

    def link(j: int) -> PageLink | None:
        if 0 <= j < len(pages):
            return {"id": pages[j], "title": titles[pages[j]]}
        other = None if assessed else neighbours[0 if j < 0 else 1]
        if other is None:
            return None
        page = READING if j >= 0 else (other.items[-1].id if other.items else READING)
        label = "Previous module" if j < 0 else "Next module"
        return {"id": f"../{other.module.id}/{page}", "title": other.module.title, "label": label}

    return {
        "module_id": content.module.id,
        "module_title": content.module.title,
        "position": i + 1,
        "count": len(pages),
        "previous": link(i - 1),
        "next": link(i + 1),
        "home": ASSESSED_HOME if assessed else PRACTICE_HOME,
    }


def page_header(nav: Navigation, mode: Mode) -> PageHeader:
    """A module page's header: the course, the module, "Page 2 of 7" and the mode."""
    return {
        "course": SITE_NAME,
        "home": nav["home"],
        "module": nav["module_title"],
        "place": f"Page {nav['position']} of {nav['count']}",
        "mode": mode,
        "badge": MODE_BADGE[mode],
    }


def module_document(
    content: ModuleContent, position: int, policy: Policy, *, assessed: bool
) -> ModuleDocument:
    """What the landing page needs about a module; released with it, so it holds no key."""
    module = content.module
    return {
        **_stamp(policy, assessed=assessed),
        "policy": policy_stamp(policy),
        "id": module.id,
        "title": module.title,
        "summary": module.summary,
        "outcome": module.outcome,
        "cpd_minutes": module.cpd_minutes,
        # Completion: every page finished and the knowledge check passed at this percentage.
        "pass_mark": module.pass_mark,
        "check": module.knowledge_check,
        "position": position,
        "pages": [{"id": page, "title": title} for page, title in page_titles(content).items()],
        # Which clauses a retake hangs on, and the version each one's wording dates from.
        "clauses": policy.revisions(content.clauses),
        # How a trainee is told where each of those clauses is (never by its id).
        "places": {c: policy.place(c) for c in sorted(content.clauses)},
    }


def public_scenario(scn: Scenario) -> ScenarioData:
    """The scenario as a trainee in assessed mode may read it (see :func:`without_key`)."""
    return without_key(scn.model_dump(mode="json"))


def play_document(
    content: ModuleContent,
    scn: Scenario,
    policy: Policy,
    *,
    assessed: bool,
    neighbours: Neighbours = NO_NEIGHBOURS,
) -> PlayDocument:
    """What the app reads beside a notebook: the whole scenario in practice, the public part
    when assessed."""
    document: PlayDocument = {
        **_stamp(policy, assessed=assessed),
        "navigation": navigation(content, scn.id, assessed=assessed, neighbours=neighbours),
        "scenario": public_scenario(scn) if assessed else _data(scn),
        "max_points": max_points(scn),
    }
    if not assessed:
        document["clauses"] = _clause_texts(scn, policy)
    return document


def reading_document(
    content: ModuleContent, policy: Policy, *, assessed: bool, neighbours: Neighbours = NO_NEIGHBOURS
) -> ReadingDocument:
    """The module's reading, with every cited clause quoted from the policy data."""
    module = content.module
    return {
        **_stamp(policy, assessed=assessed),
        "navigation": navigation(content, READING, assessed=assessed, neighbours=neighbours),
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
                "clauses": [{"text": policy.quote(c), "place": policy.place(c)} for c in part.clauses],
            }
            for part in module.reading
        ],
    }


def grading_key(scn: Scenario, policy: Policy) -> GradingKey:
    """Everything the grader needs, embedded in the hidden test cell of the source notebook."""
    data = _data(scn)
    del data["situation"]
    return {"scenario": data, "max_points": max_points(scn), "clauses": _clause_texts(scn, policy)}


def _data(scn: Scenario) -> ScenarioData:
    """The typed scenario as the plain data every document carries."""
    return scn.model_dump(mode="json")  # type: ignore[return-value]


def _clause_texts(scn: Scenario, policy: Policy) -> dict[str, ClauseText]:
    """Each cited clause as a trainee reads it: quoted (a list item with its stem) and placed."""
    used = sorted({c for step in scn.steps for o in step.options for c in o.clauses})
    return {c: {"text": policy.quote(c), "place": policy.place(c)} for c in used}
