"""What the tutor sees beside a reflection: the path taken, the rubric, the reflection as literal text.

Markdown is checked the way nbconvert (the formgrader's and the feedback page's renderer) shows it:
rendered to HTML, then read back as plain text, so the checks do not trust the escaping they test.
"""

from __future__ import annotations

import copy
import html
import re
import string
from pathlib import Path

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbgrader.api import Gradebook

from course.build.compose import grading_key
from course.build.notebooks import build_course
from course.documents import DECISIONS_CELL, KeyUnavailable, Verdict, grade_id, key_from_source
from course.grading.released import released_key
from course.grading.tutor_view import (
    PATH_UNAVAILABLE,
    literal_markdown,
    markdown_text,
    note_markdown,
    path_markdown,
    reflection_markdown,
)
from course.policy import load_policy
from course.scenario.schema import Ending
from course.status import VerdictStatus

from ..conftest import ending_of, walk_model

HOSTILE_REFLECTIONS = [
    "<script>alert(1)</script>\n````\nstill text\n````",
    "<script>alert(1)</script> I declined.",
    "# Not a heading\n\n**not bold** [a link](javascript:alert(1)) <img src=x onerror=alert(1)>",
    "```\n</pre><script>alert(2)</script>\n```",
    "Ends in backticks ``",
    "````text\ninner fence\n````\n\n$x$ and $$y$$ & &amp; \\ escaped",
]


def plain(markdown: str) -> str:
    """The text a reader sees once nbconvert has rendered the markdown."""
    return html.unescape(re.sub(r"<[^>]+>", "", markdown2html_mistune(markdown)))


def squash(text: str) -> str:
    return " ".join(text.split())


def path_by(scn, pick) -> tuple[list[tuple], Ending]:
    """The path ``pick`` chooses, from the authored model: (step, option) pairs, then the ending."""
    taken = walk_model(scn, lambda step: pick(step.options))
    ending = ending_of(scn, taken)
    assert ending is not None, scn.id
    return taken, ending


PICKS = {
    "best": lambda options: max(options, key=lambda o: o.points),
    "worst": lambda options: min(options, key=lambda o: o.points),
    "last": lambda options: options[-1],
}


@pytest.fixture(scope="module")
def source_dir(course, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("build")
    build_course(course, source_dir=folder / "source", practice_dir=folder / "practice")
    return folder / "source"


def key_file(source_dir: Path, scn) -> Path:
    return source_dir / scn.module / f"{scn.id}.ipynb"


def decisions_source(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if grade_id(c) == DECISIONS_CELL)


def key_of(scn):
    return grading_key(scn, load_policy())


def test_key_read_from_each_built_source_notebook_is_exactly_the_grading_key(course, source_dir):
    for scn in course.items:
        key = key_from_source(decisions_source(key_file(source_dir, scn)), scn.id)
        assert key == key_of(scn), scn.id


@pytest.mark.parametrize("pick", sorted(PICKS))
def test_path_shows_every_prompt_choice_and_points_in_order_then_ending_rubric_and_reflection(
    course, source_dir, pick
):
    for scn in course.scenarios:
        taken, ending = path_by(scn, PICKS[pick])
        choices = [{"step": step.id, "option": option.id} for step, option in taken]
        md, problem = reflection_markdown("I did it.", choices, key_of(scn))
        assert problem is None, scn.id
        text = squash(plain(md))
        total = sum(option.points for _, option in taken)
        expected = [f"decisions: {total} of "]
        for step, option in taken:
            unit = "point" if step.points == 1 else "points"
            expected += [
                squash(step.prompt),
                f"Chosen: {squash(option.text)}",
                f"{option.points} of {step.points} {unit}",
            ]
        expected += [f"Ending reached: {squash(ending.title)}", "Rubric", squash(scn.reflection.rubric)]
        expected += ["A model answer", squash(scn.reflection.model_answer)]
        expected += ["Reflection, as written by the trainee:", "I did it."]
        at = 0
        for fragment in expected:
            found = text.find(fragment, at)
            assert found >= 0, f"{scn.id} ({pick}): {fragment!r} missing or out of order"
            at = found + len(fragment)
        # Only the options chosen are shown, never the others or any feedback.
        chosen = {squash(option.text) for _, option in taken}
        for step in scn.steps:
            for option in step.options:
                if squash(option.text) not in chosen:
                    assert squash(option.text) not in text, f"{scn.id}: unchosen option shown"
                assert squash(option.feedback) not in text, f"{scn.id}: feedback shown"


def test_unfinished_path_names_the_decision_not_made(course, source_dir):
    scn = next(s for s in course.scenarios if len(path_by(s, PICKS["best"])[0]) > 1)
    (first_step, first_option), (next_step, _) = path_by(scn, PICKS["best"])[0][:2]
    choices = [{"step": first_step.id, "option": first_option.id}]
    md, problem = reflection_markdown("Half way.", choices, key_of(scn))
    text = squash(plain(md))
    assert problem is None
    assert f"Not finished: no choice was made at “{squash(next_step.prompt)}”" in text
    assert "Ending reached" not in text
    assert f"{first_option.points} of {first_step.points} point" in text


def test_prompts_and_option_texts_are_shown_as_text_never_markup(course, source_dir):
    scn = course.scenarios[0]
    hostile = copy.deepcopy(key_of(scn))
    step = next(s for s in hostile["scenario"]["steps"] if s["id"] == hostile["scenario"]["start"])
    step["prompt"] = "<img src=x onerror=alert(1)> **bold**\n# heading [a](b) `code`"
    step["options"][0]["text"] = "1. <script>alert(1)</script> | a | b |\n- item _x_ \\ &amp;"
    choices = [{"step": step["id"], "option": step["options"][0]["id"]}]
    rendered = markdown2html_mistune(path_markdown(hostile, choices))
    for tag in ("<img", "<script", "<h1", "<a ", "<code", "<em", "<table"):
        assert tag not in rendered
    text = squash(plain(path_markdown(hostile, choices)))
    assert squash(step["prompt"]) in text and f"Chosen: {squash(step['options'][0]['text'])}" in text


def test_markdown_text_round_trips_every_ascii_punctuation_mark():
    for text in [string.punctuation, "a*b*c _d_ `e` [f](g) <h> &amp; $1 and $2$ ~~s~~ \\n", "#1. - + > !"]:
        assert plain(markdown_text(text)).strip() == text


@pytest.mark.parametrize("reflection", HOSTILE_REFLECTIONS)
def test_reflection_stays_literal_whatever_it_holds(reflection):
    md = literal_markdown(reflection)
    fence = re.search(r"^(`+)text$", md, re.M).group(1)
    longest = max((len(run) for run in re.findall(r"`+", reflection)), default=0)
    assert len(fence) == max(3, longest + 1)
    rendered = markdown2html_mistune(md)
    for tag in ("<script", "<img", "<h1", "<a ", "<strong>not"):
        assert tag not in rendered
    block = re.search(r"<pre>(.*)</pre>", rendered, re.S).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", block)) == reflection + "\n"


def released_in_gradebook(tmp_path: Path, sources: dict[str, str | None]) -> Gradebook:
    """A real nbgrader gradebook holding, for each notebook of module ``m``, the ``decisions``
    cell's source as generating a release would record it (``None``: no such cell)."""
    gb = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    gb.update_or_create_assignment("m")
    for notebook, source in sources.items():
        gb.update_or_create_notebook(notebook, "m")
        if source is not None:
            gb.update_or_create_source_cell(DECISIONS_CELL, notebook, "m", cell_type="code", source=source)
    return gb


def test_missing_or_garbled_key_as_released_shows_the_reflection_alone_with_a_note(
    course, source_dir, tmp_path
):
    scn, other = course.scenarios[0], course.scenarios[1]
    choices = [{"step": s.id, "option": o.id} for s, o in path_by(scn, PICKS["best"])[0]]
    good = decisions_source(key_file(source_dir, scn))
    cases = {
        "missing": (None, "holds no 'decisions' cell"),
        "garbage": ("this is not a key", "holds no json.loads"),
        "truncated": (good.replace('"max_points"', '"max_points', 1), "not valid JSON"),
        "other": (decisions_source(key_file(source_dir, other)), f"is for scenario {other.id!r}"),
        scn.id: (good, None),
    }
    reflection = "<b>My</b> reflection ```"
    with released_in_gradebook(tmp_path, {name: source for name, (source, _) in cases.items()}) as gb:
        for name, (_, expected) in cases.items():
            try:
                key = released_key(gb, "m", name)
            except KeyUnavailable as exc:
                key = exc
            md, problem = reflection_markdown(reflection, choices, key)
            if expected is None:
                assert problem is None and md.endswith(literal_markdown(reflection))
                continue
            assert problem is not None and expected in problem, name
            assert md == f"{PATH_UNAVAILABLE}\n\n{literal_markdown(reflection)}", name
            assert str(tmp_path) not in md  # server paths go to the log, not the trainee's feedback
    # Choices that do not fit the key fall back the same way.
    md, problem = reflection_markdown(reflection, [{"step": "nope", "option": "x"}], key_of(scn))
    assert md.startswith(PATH_UNAVAILABLE) and "do not follow" in problem


def test_notes_for_what_has_no_reflection_to_grade():
    assert note_markdown(Verdict("s", VerdictStatus.OK, reflection="Something.")) is None
    for verdict, words in [
        (Verdict("s", VerdictStatus.NOT_STARTED), "not attempted"),
        (
            Verdict("s", VerdictStatus.TAMPERED, reasons=["cell play was edited."]),
            "changed outside the course app",
        ),
        (
            Verdict("s", VerdictStatus.OK, choices=[{"step": "a", "option": "b"}], reflection="  \n"),
            "no reflection was written",
        ),
    ]:
        note = note_markdown(verdict)
        assert words in note and "scores 0" in note
        assert "cell play" not in note  # reasons are shown, escaped, by the decisions cell
