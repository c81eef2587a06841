"""The documents that pass between the course's stages, typed, with their one reader each.

``course build`` (``course.build.compose``) writes the play, module and reading documents beside
each page and embeds the grading key in the source notebook's hidden test; the trainee app writes
answers (``course.play.answers``); the submission guard writes verdicts. Everything else reads
them here, so a change to a document's shape touches this module and its one writer.

Stdlib only: the trainee's kernel reads these on every page, and must not pay for the build's
schema (pydantic, YAML) or for nbgrader to do so.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from .engine import InvalidChoices, walk
from .status import VerdictStatus

DOCUMENT_FORMAT = 1
SCENARIO_SUFFIX = ".scenario.json"  # the play document beside a scenario's notebook
READING = "reading"  # the page (notebook stem) holding a module's reading
READING_FILE = "reading.json"
MODULE_DOCUMENT = "module.json"  # beside a module's pages, in practice and in the release
# What a trainee must never be able to read before feedback is released.
KEY_OPTION_FIELDS = ("action", "points", "feedback", "clauses")
KEY_REFLECTION_FIELDS = ("rubric", "model_answer")


# --- The scenario as data (``Scenario.model_dump``), with or without its key -------------------


class OptionData(TypedDict):
    id: str
    text: str
    next: str
    consequence: str | None
    # The key: absent from what an assessed trainee can read.
    action: NotRequired[str]
    points: NotRequired[int]
    feedback: NotRequired[str]
    clauses: NotRequired[list[str]]


class StepData(TypedDict):
    id: str
    prompt: str
    points: int
    options: list[OptionData]


class EndingData(TypedDict):
    id: str
    title: str
    text: str


class ReflectionData(TypedDict):
    prompt: str
    points: int
    rubric: NotRequired[str]
    model_answer: NotRequired[str]


class ScenarioData(TypedDict):
    id: str
    module: str
    title: str
    kind: str
    start: str
    steps: list[StepData]
    endings: list[EndingData]
    reflection: ReflectionData | None
    platform: NotRequired[str | None]
    situation: NotRequired[dict[str, Any] | None]  # absent from the grading key
    schema_version: NotRequired[int]


def without_key(scenario: Mapping[str, Any]) -> ScenarioData:
    """A copy of a scenario without its answer key: no points per option, feedback, clauses,
    rubric or model answer. Fields already absent are fine: a released document is the same."""
    data: Any = copy.deepcopy(dict(scenario))
    for step in data["steps"]:
        for option in step["options"]:
            for name in KEY_OPTION_FIELDS:
                option.pop(name, None)
    for name in KEY_REFLECTION_FIELDS:
        (data.get("reflection") or {}).pop(name, None)
    return data


# --- Documents written by the build ------------------------------------------------------------


class PageLink(TypedDict):
    id: str
    title: str
    label: NotRequired[str]  # "Previous module" / "Next module" past a module's ends


class Navigation(TypedDict):
    module_id: str
    module_title: str
    position: int
    count: int
    previous: PageLink | None
    next: PageLink | None
    home: str


SITE_NAME = "MIP Social Media Policy"  # the course's short name: every page's header and title
HEADER_METADATA = "mip_header"  # the notebook metadata the page template draws the header from


class PageHeader(TypedDict):
    """What a page's header says, drawn by the page template before the kernel has run (so it
    is there while the page loads): the course, a link home, and for a module's pages the
    module, the page's place in it and the mode."""

    course: str
    home: str  # the landing page, relative to this page
    place: str  # "Page 2 of 7", "Course home"
    module: NotRequired[str]
    mode: NotRequired[str]  # a Mode
    badge: NotRequired[str]  # the mode in words (status.MODE_BADGE)


class ClauseText(TypedDict):
    text: str  # quoted as a trainee reads it, with a list's stem
    place: str  # where it is in the policy, never its id


class PolicyStamp(TypedDict):
    organisation: str
    title: str
    version: str
    last_reviewed: str
    review_every_months: NotRequired[int]  # how often the Institute reviews it


class PlayDocument(TypedDict):
    format: int
    mode: str  # a status.Mode
    policy_version: str
    navigation: Navigation
    scenario: ScenarioData  # whole in self-study; without_key when assessed
    max_points: int
    clauses: NotRequired[dict[str, ClauseText]]  # self-study only


class PageEntry(TypedDict):
    id: str
    title: str


class ModuleDocument(TypedDict):
    format: int
    mode: str
    policy_version: str
    policy: PolicyStamp
    id: str
    title: str
    summary: str
    outcome: str  # what completing it shows the trainee can do (on the certificate)
    cpd_minutes: int
    pass_mark: int
    check: str
    position: int
    pages: list[PageEntry]
    clauses: dict[str, str]  # clause id -> the policy version its wording dates from ("" never revised)
    places: dict[str, str]  # clause id -> where a trainee finds it


class ReadingModule(TypedDict):
    id: str
    title: str
    summary: str
    cpd_minutes: int


class ReadingPart(TypedDict):
    heading: str
    text: str
    clauses: list[ClauseText]


class ReadingDocument(TypedDict):
    format: int
    mode: str
    policy_version: str
    navigation: Navigation
    module: ReadingModule
    parts: list[ReadingPart]


class Catalog(TypedDict):
    """The modules in a folder, in course order, and the policy they teach."""

    policy_version: str
    policy: PolicyStamp | None
    modules: list[ModuleDocument]


class GradingKey(TypedDict):
    scenario: ScenarioData  # the whole scenario but its situation
    max_points: int
    clauses: dict[str, ClauseText]


def document_text(data: Mapping[str, Any]) -> str:
    """How every document is written: sorted keys, so the same input gives the same bytes."""
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_play_document(folder: Path, page_id: str) -> PlayDocument:
    """The play document written beside a scenario's or check's notebook."""
    return _read(folder / f"{page_id}{SCENARIO_SUFFIX}")


def read_module_document(folder: Path) -> ModuleDocument:
    return _read(folder / MODULE_DOCUMENT)


def read_reading_document(folder: Path) -> ReadingDocument:
    return _read(folder / READING_FILE)


def read_catalog(folder: Path) -> Catalog:
    """The modules found in ``folder`` (one sub-folder each), in course order, and the policy
    they teach. A trainee's folder holds only the modules released to them."""
    modules: list[ModuleDocument] = sorted(
        (read_module_document(p.parent) for p in folder.glob(f"*/{MODULE_DOCUMENT}")),
        key=lambda m: m["position"],
    )
    newest = max(modules, key=lambda m: m["policy_version"], default=None)
    return {
        "policy_version": newest["policy_version"] if newest else "",
        "policy": newest["policy"] if newest else None,
        "modules": modules,
    }


def revised_since(revisions: Mapping[str, str], version: str) -> list[str]:
    """The clauses of a module document's ``clauses`` whose wording changed after ``version``."""
    return [c for c, revised in revisions.items() if revised and revised > version]


# --- The grading key, embedded in the source notebook's hidden test ----------------------------

# Cell ids in the nbgrader source notebooks double as grade ids: the guard, the grader and the
# reports rely on them.
PLAY_CELL, DECISIONS_CELL, REFLECTION_CELL, TITLE_CELL = "play", "decisions", "reflection", "title"


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The nbgrader id of a notebook cell (``None`` for a cell nbgrader does not track), as data."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# Compact JSON never holds three quotes in a row (a string's closing quote is always followed by
# ``,``, ``:``, ``]`` or ``}``), so the key ends at the first three.
_KEY_IN_SOURCE = re.compile(r'json\.loads\(r"""(.*?)"""\)', re.S)


class KeyUnavailable(ValueError):
    """The grading key for a scenario could not be read."""


def key_source(key: GradingKey) -> str:
    """The ``decisions`` hidden test that carries the key: data in a raw string, which only
    :func:`key_from_source` reads (grading never runs it; see ``course.grading.execute``)."""
    text = json.dumps(key, sort_keys=True, ensure_ascii=True)
    return (
        "### BEGIN HIDDEN TESTS\n"
        "import json\n"
        "from course.grading.score import grade_scenario\n\n"
        f'grade_scenario(json.loads(r"""{text}"""))\n'
        "### END HIDDEN TESTS"
    )


def key_from_source(source: str, where: str) -> GradingKey:
    """The key in the source of a ``decisions`` cell; ``where`` names it in errors."""
    match = _KEY_IN_SOURCE.search(source)
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


# --- Answers: written by the trainee app, read by the app, the guard and the analytics ---------

ANSWERS_FORMAT = 3  # 2 added policy_version; 3 the order each decision's options were shown in
READABLE_ANSWERS_FORMATS = {2, 3}  # a format 2 file (saved before the upgrade): orders unknown
ANSWERS_SUFFIX = ".answers.json"
MAX_ANSWERS_BYTES = 64 * 1024
MAX_REFLECTION_CHARS = 4000
ANSWERS_FIELDS = {"format", "scenario", "choices", "reflection", "updated", "policy_version", "orders"}
_SURROGATE = re.compile("[\ud800-\udfff]")  # half a UTF-16 pair: no UTF-8 encoding exists


class InvalidAnswers(ValueError):
    """The answers file is not something the app could have written."""


@dataclass
class Answers:
    scenario: str
    choices: list[dict[str, str]] = field(default_factory=list)
    reflection: str = ""
    updated: str = ""
    # The policy version the choices were made under: a later revision of a clause the module
    # rests on makes the completion due for a retake.
    policy_version: str = ""
    # Step id -> the option ids in the order this trainee was shown them, so that a tutor can
    # check for position effects. Grading never reads it: a choice is an option id.
    orders: dict[str, list[str]] = field(default_factory=dict)
    format: int = ANSWERS_FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def answers_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{scenario_id}{ANSWERS_SUFFIX}"


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (which a browser can send) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _valid_unicode(data: Any) -> bool:
    """Whether every string in parsed JSON, keys included, can be written as UTF-8. json.loads
    accepts "\\ud800" (and bytes holding an encoded surrogate), which nothing can write out later.
    Walked with a stack, not recursion: the data may nest as deep as the parser allowed."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def parse_answers(text: str | bytes, scenario: ScenarioData) -> Answers:
    """Parse and check answers against the scenario; raise :class:`InvalidAnswers` if off."""
    if len(text) > MAX_ANSWERS_BYTES:
        raise InvalidAnswers(f"answers file is {len(text)} bytes; the app writes at most {MAX_ANSWERS_BYTES}")
    try:
        data: Any = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidAnswers(f"answers file is not valid JSON ({exc})") from exc
    except RecursionError as exc:  # e.g. "[[[[...": small, yet too deep for the parser
        raise InvalidAnswers("answers file nests deeper than the app ever writes") from exc
    if not _valid_unicode(data):
        raise InvalidAnswers("answers file holds text that is not valid Unicode (a lone surrogate)")
    if not isinstance(data, dict):
        raise InvalidAnswers("answers file must hold a JSON object")
    if data.get("format") == 2 and "orders" not in data:
        data = {**data, "format": ANSWERS_FORMAT, "orders": {}}
    if set(data) != ANSWERS_FIELDS:
        raise InvalidAnswers(f"answers file fields are {sorted(data)}, expected {sorted(ANSWERS_FIELDS)}")
    if data["format"] != ANSWERS_FORMAT:
        raise InvalidAnswers(
            f"answers format {data['format']!r}, expected one of {sorted(READABLE_ANSWERS_FORMATS)}"
        )
    if data["scenario"] != scenario["id"]:
        raise InvalidAnswers(f"answers are for scenario {data['scenario']!r}, expected {scenario['id']!r}")
    if not isinstance(data["reflection"], str) or len(data["reflection"]) > MAX_REFLECTION_CHARS:
        raise InvalidAnswers(f"reflection must be text of at most {MAX_REFLECTION_CHARS} characters")
    if not all(isinstance(data[k], str) for k in ("updated", "policy_version")):
        raise InvalidAnswers("answers 'updated' and 'policy_version' must be text")
    if not isinstance(data["choices"], list):
        raise InvalidAnswers("answers 'choices' must be a list")
    try:
        walk(scenario, data["choices"])
    except InvalidChoices as exc:
        raise InvalidAnswers(f"choices do not follow the scenario: {exc}") from exc
    _check_orders(data["orders"], scenario)
    return Answers(**data)


def _check_orders(orders: Any, scenario: ScenarioData) -> None:
    """Each recorded order is a step of this scenario and a permutation of its option ids."""
    if not isinstance(orders, dict):
        raise InvalidAnswers("answers 'orders' must be an object")
    steps = {s["id"]: s for s in scenario["steps"]}
    for step_id, order in orders.items():
        if step_id not in steps:
            raise InvalidAnswers(f"answers 'orders' names step {step_id!r}, which this scenario has not")
        ids = [o["id"] for o in steps[step_id]["options"]]
        if not (
            isinstance(order, list)
            and all(isinstance(i, str) for i in order)
            and sorted(order) == sorted(ids)
        ):
            raise InvalidAnswers(f"answers 'orders' for step {step_id!r} is not an order of its options")


# --- The guard's verdict: written by the guard, read by the grader and the results -------------

VERDICT_SUFFIX = ".verdict.json"


@dataclass
class Verdict:
    """The guard's judgement of one submitted scenario: validated data (choice ids and the
    reflection's text), never anything executable."""

    scenario: str
    status: VerdictStatus
    reasons: list[str] = field(default_factory=list)
    choices: list[dict[str, str]] = field(default_factory=list)
    reflection: str = ""

    def write(self, folder: Path) -> Path:
        path = verdict_path(folder, self.scenario)
        path.write_text(
            json.dumps(asdict(self), indent=1, sort_keys=True, ensure_ascii=True), encoding="utf-8"
        )
        return path


def verdict_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{scenario_id}{VERDICT_SUFFIX}"


def read_verdict(folder: Path, scenario_id: str) -> Verdict | None:
    path = verdict_path(folder, scenario_id)
    if not path.exists():
        return None
    data = _read(path)
    return Verdict(**{**data, "status": VerdictStatus(data["status"])})
