"""What the tutor sees in nbgrader's formgrader beside a trainee's reflection.

The guard writes this markdown into the autograded notebook's reflection cell: the path the
trainee took (each prompt, the option chosen and its points), the ending reached, the scenario's
rubric, then the reflection itself as literal text. The same notebook becomes the trainee's
feedback page once the tutor releases feedback, so nothing here goes beyond what the trainee may
see by then: the path, the points, the rubric and its model answer, never the rest of the key or a
server's paths.

Released notebooks hold no key, so the prompts, option texts, points and rubric come from the
grading key as released (``course.grading.key``), which is also the key the grade was computed
with: a scenario edited since release never changes what the tutor is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..documents import GradingKey, KeyUnavailable, Verdict
from ..engine import InvalidChoices, walk, walk_score
from ..render import points_text
from ..status import VerdictStatus

# Said in the notebook (which the trainee later sees) when the key cannot be used; the reason,
# which may name server paths or quote the file, goes to the grader's log only.
PATH_UNAVAILABLE = (
    "*The path taken cannot be shown here: the scenario's grading key could not be read. "
    "The grading log says why.*"
)
REFLECTION_HEADING = "**Reflection, as written by the trainee:**"
# Cases with no reflection to grade: the reflection cell is left as released, so nbgrader scores
# it 0 by itself, and this note goes in a cell of its own just above it.
NOTES = {
    VerdictStatus.NOT_STARTED: "this scenario was not attempted (no answers were saved)",
    VerdictStatus.TAMPERED: (
        "this submission was changed outside the course app (the decisions above give the reasons)"
    ),
    VerdictStatus.OK: "no reflection was written",
}


def markdown_text(text: str) -> str:
    """One line of text shown as itself in markdown: HTML's special characters as entities, every
    other ASCII punctuation mark backslash-escaped, whitespace (newlines too) as single spaces."""
    out = []
    for char in " ".join(text.split()):
        if char in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[char])
        elif char.isascii() and not char.isalnum() and char != " ":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def literal_block(text: str) -> str:
    """Text shown verbatim: a fenced block longer than any run of backticks inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def literal_markdown(text: str) -> str:
    """The trainee's reflection, headed, as literal text: never markdown, HTML or code."""
    return f"{REFLECTION_HEADING}\n\n{literal_block(text)}"


def path_markdown(key: GradingKey, choices: Sequence[Mapping[str, Any]]) -> str:
    """Each decision (prompt, option chosen, its points of the step's), then the ending reached.

    Raises :class:`KeyUnavailable` if the choices are not a path through the key's scenario.
    """
    try:
        played = walk(key["scenario"], choices)
    except InvalidChoices as exc:
        raise KeyUnavailable(f"the trainee's choices do not follow the key's scenario: {exc}") from exc
    lines = [f"**The path taken** (decisions: {points_text(walk_score(played), key['max_points'])})", ""]
    for n, (step, option) in enumerate(played.taken, start=1):
        marker = f"{n}. "
        indent = " " * len(marker)  # nested items line up with the item's text
        lines += [
            f"{marker}**{markdown_text(step['prompt'])}**",
            f"{indent}- Chosen: {markdown_text(option['text'])}",
            f"{indent}- {points_text(option['points'], step['points'])}",
        ]
    if not played.taken:
        lines.append("No decision was made.")
    lines.append("")
    if played.ending is not None:
        lines.append(f"**Ending reached:** {markdown_text(played.ending['title'])}")
    elif played.current is not None:
        lines.append(f"**Not finished:** no choice was made at “{markdown_text(played.current['prompt'])}”.")
    return "\n".join(lines)


# A rubric's bands ("2 points: ... 1 point: ... 0: ...") start after a full stop.
BAND_START = re.compile(r"(?<=[.;])\s+(?=\d+(?: points?)?:)")


def rubric_markdown(key: GradingKey) -> str:
    """The scenario's reflection rubric, one item per scoring band, then its model answer."""
    reflection = key["scenario"].get("reflection") or {}
    rubric = str(reflection.get("rubric", "")).strip()
    if not rubric:
        return "**Rubric**\n\nThis scenario has no rubric."
    bands = [b for b in BAND_START.split(rubric) if b.strip()]
    text = "**Rubric**\n\n" + "\n".join(f"- {markdown_text(band)}" for band in bands)
    model = str(reflection.get("model_answer") or "").strip()
    return f"{text}\n\n**A model answer**\n\n> {markdown_text(model)}" if model else text


def reflection_markdown(
    reflection: str, choices: Sequence[Mapping[str, Any]], key: GradingKey | KeyUnavailable
) -> tuple[str, str | None]:
    """The reflection cell as the tutor grades it, and why the path is missing (``None`` if shown).

    ``key`` is the scenario's key as released, or why it could not be read; either way the
    reflection is shown, alone with a note when the path cannot be.
    """
    try:
        if isinstance(key, KeyUnavailable):
            raise key
        head = [path_markdown(key, choices), rubric_markdown(key)]
        problem = None
    except KeyUnavailable as exc:
        head, problem = [PATH_UNAVAILABLE], str(exc)
    return "\n\n".join([*head, literal_markdown(reflection)]), problem


def note_markdown(verdict: Verdict) -> str | None:
    """Why there is no reflection to grade, or ``None`` if there is one."""
    if verdict.status == VerdictStatus.OK and verdict.reflection.strip():
        return None
    reason = NOTES.get(verdict.status, f"the submission's status is {verdict.status!r}")
    return f"**No reflection to grade:** {reason}, so the reflection scores 0."
