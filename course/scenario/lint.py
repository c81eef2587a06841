"""Content lint: spelling (hunspell, British English, project word list), every option's feedback
quoting one of its clauses word for word, reading time per module against its CPD minutes, and
answer cues (``cues.py``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..paths import SCENARIOS_DIR
from ..policy import Policy
from ..quotes import quotes
from .catalog import Course, ModuleContent
from .cues import cue_findings, measure
from .schema import Option, Scenario

WORDLIST = "wordlist.txt"  # in the scenarios folder
WORDS_PER_MINUTE = 200  # a typical adult reading speed for careful, non-technical prose
DICTIONARY = "en_GB"
# Words, not hashtags or @handles (run-together by nature); a possessive 's is checked without it.
_WORD = re.compile("(?<![#@\\w])[A-Za-z\u00c0-\u00ff]+(?:['\u2019][A-Za-z\u00c0-\u00ff]+)*")


@dataclass(frozen=True)
class Finding:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def quotes_a_clause(option: Option, policy: Policy) -> bool:
    """Does the feedback hold a double-quoted passage (3+ words) found word for word in one of
    the option's clauses?"""
    return any(quotes(option.feedback, policy.clauses[c].text) for c in option.clauses if c in policy.clauses)


def texts(item: Scenario) -> Iterator[tuple[str, str]]:
    """Every piece of prose a trainee reads in a scenario or check, with its field path."""
    yield "title", item.title
    if item.situation:
        yield "situation.narrative", item.situation.narrative
        art = item.situation.artefact
        for name in ("author", "body", "recipient", "subject", "meta", "photo", "query", "footer"):
            if getattr(art, name):
                yield f"situation.artefact.{name}", getattr(art, name)
        for k, comment in enumerate(art.comments):
            yield f"situation.artefact.comments[{k}]", f"{comment.author} {comment.text}"
        # Web addresses are not words: a result's or a page's address is not spell-checked.
        for k, result in enumerate(art.results):
            yield f"situation.artefact.results[{k}]", f"{result.title} {result.snippet or ''}"
        if art.nav:
            yield "situation.artefact.nav", " · ".join(art.nav)
        for k, part in enumerate(art.sections):
            yield f"situation.artefact.sections[{k}]", f"{part.heading or ''} {part.text}"
        if form := art.form:
            yield "situation.artefact.form", " ".join((form.title or "", *form.fields, form.submit))
    for i, step in enumerate(item.steps):
        yield f"steps[{i}].prompt", step.prompt
        for j, option in enumerate(step.options):
            for name in ("text", "feedback", "consequence"):
                if getattr(option, name):
                    yield f"steps[{i}].options[{j}].{name}", getattr(option, name)
    for i, ending in enumerate(item.endings):
        yield f"endings[{i}]", f"{ending.title} {ending.text}"
    if item.reflection:
        yield "reflection.prompt", item.reflection.prompt


def module_texts(content: ModuleContent) -> Iterator[tuple[str, str]]:
    module = content.module
    yield f"{content.folder.name}/module.yaml: summary", module.summary
    for i, part in enumerate(module.reading):
        yield f"{content.folder.name}/module.yaml: reading[{i}]", f"{part.heading} {part.text}"
    for item in content.items:
        for field, text in texts(item):
            yield f"{content.folder.name}/{item.id}.yaml: {field}", text


def reading_minutes(content: ModuleContent, policy: Policy) -> float:
    """Minutes to read everything in the module once, clause quotes included."""
    words = sum(len(_WORD.findall(text)) for _, text in module_texts(content))
    words += sum(len(policy.clauses[c].text.split()) for p in content.module.reading for c in p.clauses)
    return words / WORDS_PER_MINUTE


def project_words(scenarios: Path = SCENARIOS_DIR) -> set[str]:
    path = scenarios / WORDLIST
    if not path.exists():
        return set()
    return {
        w.strip()
        for w in path.read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#")
    }


def misspelt(words: set[str]) -> set[str]:
    """The words hunspell's British English dictionary does not know."""
    if shutil.which("hunspell") is None:
        raise RuntimeError("hunspell is not installed (Debian: apt-get install hunspell hunspell-en-gb)")
    result = subprocess.run(
        ["hunspell", "-d", DICTIONARY, "-l"],
        input="\n".join(sorted(words)),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def lint(course: Course, policy: Policy, allowed: set[str]) -> tuple[list[Finding], dict[str, float]]:
    """Every problem found, and the reading minutes per module. ``allowed``: the project's words."""
    findings: list[Finding] = []
    for content in course.modules:
        for item in content.items:
            for i, step in enumerate(item.steps):
                for j, option in enumerate(step.options):
                    if not quotes_a_clause(option, policy):
                        findings.append(
                            Finding(
                                f"{content.folder.name}/{item.id}.yaml: steps[{i}].options[{j}].feedback",
                                "quotes none of its clauses word for word (put 3 or more words of "
                                f"{', '.join(option.clauses)} in double quotes)",
                            )
                        )

    # Trainees read clauses by their place in the policy, never by the ids authors use.
    ids = set(policy.clauses)
    for content in course.modules:
        for field, text in module_texts(content):
            for clause in sorted(c for c in ids if c in text):
                findings.append(
                    Finding(field, f"names clause id {clause!r}: say where it is in the policy instead")
                )

    where: dict[str, list[str]] = {}
    for content in course.modules:
        for field, text in module_texts(content):
            for word in _WORD.findall(text.replace("\u2019", "'")):
                where.setdefault(word.removesuffix("'s"), []).append(field)
    for word in sorted(misspelt(set(where)) - allowed):
        findings.append(
            Finding(
                where[word][0],
                f"unknown word {word!r} (fix it, or add it to scenarios/{WORDLIST})",
            )
        )

    minutes = {c.module.id: reading_minutes(c, policy) for c in course.modules}
    for content in course.modules:
        if content.module.cpd_minutes < minutes[content.module.id]:
            findings.append(
                Finding(
                    f"{content.folder.name}/module.yaml: cpd_minutes",
                    f"{content.module.cpd_minutes} is less than the "
                    f"{minutes[content.module.id]:.0f} minutes it takes just to read "
                    "the module",
                )
            )
    pass_marks = {c.module.id: c.module.pass_mark for c in course.modules}
    findings += [Finding(where, what) for where, what in cue_findings(measure(course), pass_marks)]
    return findings, minutes
