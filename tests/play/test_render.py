"""How a decision's feedback shows the policy: by place, quoted once."""

from __future__ import annotations

import re
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


def test_every_platform_kind_and_format_of_the_schema_has_a_label_and_no_label_is_stale():
    """render.py is stdlib only (the kernel imports it), so it restates the schema's platforms,
    artefact kinds and formats."""
    from course.render import FORMAT_NOUNS, KIND_NOUNS, MOCK_ACTIONS, PLATFORM_LABELS
    from course.scenario.schema import ArtefactFormat, ArtefactKind, Platform

    assert set(PLATFORM_LABELS) == {p.value for p in Platform}
    assert set(KIND_NOUNS) == {k.value for k in ArtefactKind}
    assert set(FORMAT_NOUNS) == {f.value for f in ArtefactFormat}
    assert set(MOCK_ACTIONS) <= set(KIND_NOUNS) | set(FORMAT_NOUNS)


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


# --- Situations, drawn as their platform shows them --------------------------------------------

MARKUP = '<evil onclick="x()">&amp;"'  # what a file might hold; drawn as text, never as markup


def drawn(art: dict, platform: str = "facebook") -> str:
    from course.render import situation_html

    scenario = {"platform": platform, "situation": {"narrative": "It happens.", "artefact": art}}
    return situation_html(scenario)


def inside(html: str, css: str) -> list[str]:
    """The contents of each element whose class is ``css`` (elements of this test's drawings
    hold no element of their own tag)."""
    return re.findall(rf'<(\w+) class="{css}"[^>]*>(.*?)</\1>', html, re.S)


def course_artefacts(course) -> dict[str, tuple[str, str]]:
    """Every scenario's drawing and caption, by scenario id."""
    out = {}
    for scn in course.scenarios:
        html = drawn(scn.model_dump(mode="json")["situation"]["artefact"], scn.platform)
        (caption,) = re.findall(r"<figcaption>(.*?)</figcaption>", html)
        out[scn.id] = html, caption
    return out


SEARCH = {
    "kind": "search-result",
    "author": "Google",
    "query": "Maggie Doyle Sale",
    "meta": "About 2,340 results",
    "results": [
        {
            "title": "Maggie Doyle Psychotherapy",
            "address": "example.co.uk",
            "snippet": "Therapy in Didsbury.",
        },
        {"title": "Margaret Doyle, Sale", "address": None, "snippet": None},
    ],
}


def test_the_search_box_shows_the_query_and_the_results_are_entries():
    html = drawn(SEARCH, "search-engine")
    (box,) = [text for _, text in inside(html, "mip-search-box")]
    assert box == '<span class="mip-visually-hidden">Search: </span>Maggie Doyle Sale'
    assert [t for _, t in inside(html, "mip-search-engine")] == ["Google"]
    assert [t for _, t in inside(html, "mip-result-title")] == [
        "Maggie Doyle Psychotherapy",
        "Margaret Doyle, Sale",
    ]
    assert [t for _, t in inside(html, "mip-result-address")] == ["example.co.uk"]
    assert [t for _, t in inside(html, "mip-result-snippet")] == ["Therapy in Didsbury."]
    assert html.count("<li>") == 2 and '<ol class="mip-results" aria-label="Results">' in html
    assert "<figcaption>Search engine · results</figcaption>" in html


def test_a_search_drawn_before_queries_existed_still_shows_its_author_in_the_box():
    html = drawn({"kind": "search-result", "author": 'Search results for "Keeley"', "body": "A result."})
    assert [t for _, t in inside(html, "mip-search-box")] == [
        '<span class="mip-visually-hidden">Search: </span>Search results for &quot;Keeley&quot;'
    ]


WEB_PAGE = {
    "kind": "web-page",
    "author": "Crowcroft Psychotherapy",
    "address": "crowcroft.example",
    "nav": ["Home", "Fees", "Contact"],
    "sections": [
        {"heading": "Welcome", "text": "I'm a therapist.\n\nIn Levenshulme."},
        {"text": "No heading."},
    ],
    "form": {"title": None, "fields": ["Name", "What would you like help with?"], "submit": "Send"},
    "footer": "Find me on Facebook",
}


def test_a_web_page_is_drawn_with_its_address_menu_headings_form_and_footer():
    html = drawn(WEB_PAGE, "website")
    assert [t for _, t in inside(html, "mip-address-bar")] == [
        '<span class="mip-visually-hidden">Address: </span>crowcroft.example'
    ]
    assert [t for _, t in inside(html, "mip-site-name")] == ["Crowcroft Psychotherapy"]
    assert '<ul class="mip-site-nav" aria-label="The site\'s menu"><li>Home</li><li>Fees</li>' in html
    assert [t for _, t in inside(html, "mip-page-heading")] == ["Welcome"]
    assert "<p>I&#x27;m a therapist.</p><p>In Levenshulme.</p>" in html and "<p>No heading.</p>" in html
    assert "<li>Name</li><li>What would you like help with?</li>" in html
    assert [t for _, t in inside(html, "mip-mock-button")] == ["Send"]
    assert [t for _, t in inside(html, "mip-page-footer")] == ["Find me on Facebook"]
    assert "[Form" not in html and "<form" not in html and "<input" not in html and "<a " not in html
    assert "<figcaption>Website · page</figcaption>" in html


def test_a_story_is_captioned_and_drawn_as_a_story():
    story = {
        "kind": "post",
        "format": "story",
        "author": "Your personal Instagram",
        "meta": "Draft · Close Friends",
        "photo": "Two chairs",
        "body": "Long week.",
    }
    html = drawn(story, "instagram")
    assert "<figcaption>Instagram · story</figcaption>" in html
    assert 'class="mip-artefact mip-art-post mip-format-story mip-platform-instagram"' in html
    assert '<div class="mip-story">' in html and '<p class="mip-story-progress" aria-hidden="true">' in html
    assert '<p class="mip-photo"><span class="mip-visually-hidden">Photo: </span>Two chairs</p>' in html
    assert '<div class="mip-story-text"><p>Long week.</p></div>' in html
    assert "<figcaption>Instagram · post</figcaption>" in drawn({**story, "format": None}, "instagram")


def test_an_artefact_seen_elsewhere_is_captioned_and_coloured_by_where_it_is_seen():
    message = {"kind": "message", "platform": "messenger", "author": "Priya", "body": "Morning."}
    html = drawn(message, "facebook")
    assert "<figcaption>Messenger · message</figcaption>" in html and "mip-platform-messenger" in html
    assert "<figcaption>Text message</figcaption>" in drawn({**message, "platform": "text-message"})
    assert "<figcaption>E-mail</figcaption>" in drawn(
        {"kind": "email", "author": "Ngozi", "body": "Hi."}, "email"
    )


@pytest.mark.parametrize(
    ("kind", "fmt", "labels"),
    [("friend-request", None, ["Confirm", "Delete"]), ("friend-request", "invitation", ["Accept", "Ignore"])],
)
def test_a_requests_buttons_are_a_picture_hidden_from_screen_readers(kind, fmt, labels):
    html = drawn({"kind": kind, "format": fmt, "author": "Daniel Okafor", "body": "Hi!"}, "linkedin")
    (group,) = re.findall(r'<p class="mip-mock-actions"([^>]*)>(.*?)</p>', html)
    assert group[0] == ' aria-hidden="true"'
    assert [t for _, t in inside(group[1], "mip-mock-button")] == labels
    assert "<button" not in html and "tabindex" not in html


def test_the_courses_captions_name_what_each_artefact_is_where_it_is_seen(course):
    captions = {scn_id: caption for scn_id, (_, caption) in course_artefacts(course).items()}
    assert captions["close-friends-story-after-session"] == "Instagram · story"
    assert captions["late-night-placement-post"] == "Messenger · message"
    assert captions["shared-outlook-at-home"] == "Text message"
    assert captions["trainee-whatsapp-group"] == "WhatsApp · group chat"
    assert captions["follow-and-connection-requests"] == "LinkedIn · invitation to connect"
    assert captions["looking-clients-up"] == "Search engine · results"
    assert captions["video-sessions-from-home"] == "E-mail"
    assert captions["client-tiktok-about-therapy"] == "TikTok · video"
    for scn_id, caption in captions.items():
        words = caption.lower().replace("·", " ").split()
        assert len(words) == len(set(words)), (scn_id, caption)  # never "E-mail · e-mail"
        assert "-" not in caption.replace("E-mail", ""), (scn_id, caption)  # never a kind's id


def test_the_courses_artefacts_have_no_stage_directions_and_nothing_to_press(course):
    for scn_id, (html, _) in course_artefacts(course).items():
        for direction in ("[Form", "[Photo", "[Screenshot", "screenshots]", "Footer:", "Search results for"):
            assert direction not in html, (scn_id, direction)
        for control in ("<button", "<input", "<a ", "<form", "tabindex", "href="):
            assert control not in html, (scn_id, control)
        for buttons in re.findall(r'<p class="mip-mock-actions"[^>]*>', html):
            assert buttons == '<p class="mip-mock-actions" aria-hidden="true">', scn_id


def test_every_search_and_web_page_in_the_course_is_drawn_with_its_parts(course):
    for scn in course.scenarios:
        art = scn.situation.artefact
        html, _ = course_artefacts(course)[scn.id]
        if art.kind == "search-result":
            assert art.query and [t for _, t in inside(html, "mip-search-box")] == [
                f'<span class="mip-visually-hidden">Search: </span>{escape(art.query)}'
            ], scn.id
            assert art.results and len(inside(html, "mip-result-title")) == len(art.results), scn.id
        if art.kind == "web-page":
            assert art.address and art.nav and inside(html, "mip-address-bar"), scn.id


def everywhere(value, text: str):
    """``value`` with every string in it replaced by ``text``, but the kind, format and platform."""
    if isinstance(value, dict):
        return {
            k: v if k in ("kind", "format", "platform") else everywhere(v, text) for k, v in value.items()
        }
    if isinstance(value, list):
        return [everywhere(v, text) for v in value]
    return text if isinstance(value, str) else value


@pytest.mark.parametrize(
    "art",
    [
        SEARCH,
        WEB_PAGE,
        {
            **WEB_PAGE,
            "format": "blog-post",
            "subject": "s",
            "meta": "m",
            "comments": [{"author": "a", "text": "t"}],
        },
        {"kind": "post", "format": "story", "author": "a", "meta": "m", "photo": "p", "body": "b"},
        {
            "kind": "photo-tag",
            "author": "a",
            "photo": "p",
            "body": "b",
            "comments": [{"author": "a", "text": "t"}],
        },
        {
            "kind": "message",
            "format": "group-chat",
            "author": "a",
            "recipient": "r",
            "photo": "p",
            "body": "b",
        },
        {"kind": "friend-request", "format": "invitation", "author": "a", "meta": "m", "body": "b"},
        {"kind": "email", "author": "a", "recipient": "r", "subject": "s", "body": "b"},
        {"kind": "device-screen", "format": "settings", "author": "a", "meta": "m", "body": "b"},
    ],
)
def test_every_field_is_drawn_as_text_never_as_markup(art):
    html = drawn(everywhere(art, MARKUP))
    assert "<evil" not in html and 'onclick="' not in html
    assert escape(MARKUP) in html
    # The kind, format and platform become class names: escaped there too.
    hostile = drawn({**art, "kind": 'post" onmouseover="x', "format": 'story"><evil>'}, '"><evil>')
    assert "<evil" not in hostile and 'onmouseover="x' not in hostile
