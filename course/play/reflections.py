"""A trainee's reflections, gathered from their saved answers for their CPD log: every scenario of
the course, in course order, with the prompt, what they wrote, when, the choices that led there
and the policy version. Pure data, read by the server's PDF of them (``course/reflections_pdf.py``).

What a trainee wrote is theirs and is kept as it is: it is data, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..documents import READING, InvalidAnswers, answers_path, read_play_document
from ..engine import walk
from .answers import read_answers
from .learner import answers_folder
from .site import Site


@dataclass(frozen=True)
class Reflection:
    module: str  # the module's title
    scenario: str  # the scenario's title
    prompt: str
    text: str  # as the trainee wrote it
    saved: datetime | None  # when the answers holding it were last saved (UTC), None if unknown
    path: tuple[str, ...]  # the options chosen, as the trainee read them, in order
    ending: str  # the ending's title, "" while the scenario is unfinished
    policy_version: str  # of the choices; of the page, where nothing was chosen yet


@dataclass(frozen=True)
class Reflections:
    entries: tuple[Reflection, ...]
    # Scenarios whose saved answers (or page) could not be read, in plain words: left out.
    notes: tuple[str, ...] = ()


def _saved_at(stamp: str, fallback: float) -> datetime | None:
    """The answers' own timestamp (``updated``, ISO 8601), else the file's modification time."""
    try:
        saved = datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.fromtimestamp(fallback, UTC) if fallback else None
    return saved if saved.tzinfo else saved.replace(tzinfo=UTC)


def gather_reflections(site: Site) -> Reflections:
    """Every non-empty reflection of ``site.learner`` (see ``Site``), module by module and scenario
    by scenario in course order. A scenario whose answers cannot be read is skipped with a note."""
    entries: list[Reflection] = []
    notes: list[str] = []
    for module in site.catalog["modules"]:
        pages = site.modules_dir / module["id"]
        answers = answers_folder(pages, module["mode"], site.learner)
        for page in module["pages"]:
            if page["id"] == READING:
                continue
            where = f"{page['title']} ({module['title']})"
            try:
                document = read_play_document(pages, page["id"])
                scenario = document["scenario"]
                reflection = scenario.get("reflection")
                if not reflection:
                    continue  # a knowledge check asks for none
                saved = read_answers(answers, scenario)
                mtime = answers_path(answers, scenario["id"]).stat().st_mtime if saved else 0.0
            except InvalidAnswers as exc:
                notes.append(f"{where}: the saved answers could not be read ({exc}).")
                continue
            except (OSError, ValueError, KeyError, TypeError):
                notes.append(f"{where}: the saved answers could not be read.")
                continue
            if saved is None or not saved.reflection.strip():
                continue
            played = walk(scenario, saved.choices)  # parse_answers checked the choices follow it
            entries.append(
                Reflection(
                    module=module["title"],
                    scenario=page["title"],
                    prompt=reflection["prompt"],
                    text=saved.reflection,
                    saved=_saved_at(saved.updated, mtime),
                    path=tuple(option["text"] for _, option in played.taken),
                    ending=played.ending["title"] if played.ending else "",
                    policy_version=saved.policy_version or document["policy_version"],
                )
            )
    return Reflections(tuple(entries), tuple(notes))
