"""How a decision's feedback shows the policy: by place, quoted once."""

from __future__ import annotations

from html import escape

import pytest

from course.policy import load_policy
from course.render import choice_html, ending_html, next_html

STEP = {"id": "s", "prompt": "What now?", "points": 2}


def option(feedback: str, clauses: list[str]) -> dict:
    return {"id": "o", "text": "Decline it.", "points": 2, "feedback": feedback, "clauses": clauses}


def documents_clauses(ids: list[str]) -> dict:
    policy = load_policy()
    return {c: {"text": policy.quote(c), "place": policy.place(c)} for c in ids}


def test_a_clause_the_feedback_quotes_is_named_by_its_place_not_repeated():
    policy = load_policy()
    quoted, other = "must-not.friend-requests", "must-not.compromising-relationships"
    feedback = 'Members must not "Accept friend requests from clients or service users".'
    html = choice_html(STEP, option(feedback, [quoted, other]), documents_clauses([quoted, other]))
    # The quoted clause: its place only. The other: quoted in full, with its stem, and placed.
    assert html.count("<blockquote") == 1
    assert policy.quote(other).startswith("Members must not: establish")
    assert escape(policy.quote(other)) in html
    assert f"In the policy: {escape(policy.place(quoted))}." in html
    assert escape(policy.place(other)) in html
    assert quoted not in html and other not in html  # never an internal id


def test_feedback_quoting_nothing_shows_every_clause_in_full():
    policy = load_policy()
    ids = ["privacy.tagging", "intro.public-permanent"]
    html = choice_html(STEP, option("Think about it.", ids), documents_clauses(ids))
    assert html.count("<blockquote") == 2 and "In the policy:" not in html
    assert "Privacy, point 3" in html and "Introduction, point 4" in html
    for c in ids:
        assert escape(policy.quote(c)) in html


def test_documents_built_before_places_still_show_their_clauses():
    html = choice_html(STEP, option("Think about it.", ["privacy.tagging"]), {"privacy.tagging": "Old text."})
    assert "<blockquote" in html and "Old text." in html


def test_every_platform_of_the_schema_has_a_label_and_no_label_is_stale():
    """render.py is stdlib only (the kernel imports it), so it restates the schema's platforms."""
    from course.render import PLATFORM_LABELS
    from course.scenario.schema import Platform

    assert set(PLATFORM_LABELS) == {p.value for p in Platform}


@pytest.mark.parametrize(
    ("points", "label", "tone"),
    [(2, "Best response", "best"), (1, "Partly right", "partial"), (0, "Not recommended", "poor")],
)
def test_feedback_says_in_words_how_good_the_choice_was(points, label, tone):
    option = {"id": "o", "text": "Decline it.", "points": points, "feedback": "Because.", "clauses": []}
    html = choice_html(STEP, option, {})
    assert f'class="mip-feedback mip-{tone}"' in html
    assert f"<strong>{label}</strong> ({points} of 2 point" in html
    for other in {"Best response", "Partly right", "Not recommended"} - {label}:
        assert other not in html


@pytest.mark.parametrize(
    ("got", "label", "tone"),
    [(4, "The best outcome", "best"), (2, "A mixed outcome", "partial"), (1, "A poor outcome", "poor")],
)
def test_an_ending_is_framed_by_how_the_path_went_in_words(got, label, tone):
    ending = {"id": "e", "title": "The frame holds", "text": "Daniel hears it."}
    html = ending_html(ending, (got, 4))
    assert f'<section class="mip-ending mip-{tone}"><h2>The frame holds</h2>' in html
    assert f"<strong>{label}.</strong> You scored {got} of 4 points." in html
    # Assessed: the key is the tutor's, so the ending is told without a verdict or a tone.
    plain = ending_html(ending)
    assert plain.startswith('<section class="mip-ending"><h2>') and "outcome" not in plain


def test_after_a_page_the_one_way_on_is_the_next_page_or_the_course():
    nav = {
        "module_id": "m",
        "module_title": "M",
        "position": 2,
        "count": 3,
        "previous": None,
        "next": {"id": "../m2/reading", "title": "<Keeping boundaries>", "label": "Next module"},
        "home": "../../index.ipynb",
    }
    html = next_html(nav)
    assert 'class="mip-button" href="../m2/reading.ipynb" rel="next">Next module: &lt;Keeping' in html
    assert next_html({**nav, "next": None}) == (
        '<p class="mip-next"><a class="mip-button" href="../../index.ipynb">Back to the course</a></p>'
    )
