"""HTML for what the trainee and tutor see. Pure functions over scenario dicts.

Everything that came from a file or a trainee is escaped: text is data, never markup or code.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .documents import (
    ClauseText,
    EndingData,
    GradingKey,
    Navigation,
    OptionData,
    PageLink,
    ScenarioData,
    StepData,
)
from .engine import Walk, walk_score
from .quotes import quotes

Artefact = Mapping[str, Any]  # a situation's artefact (see scenario.schema.Artefact), as data

PLATFORM_LABELS = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "whatsapp": "WhatsApp",
    "linkedin": "LinkedIn",
    "x": "X",
    "tiktok": "TikTok",
    "email": "E-mail",
    "text-message": "Text message",
    "blog": "Blog",
    "website": "Website",
    "search-engine": "Search engine",
    "forum": "Forum",
    "device": "Device",
    "video-call": "Video call",
    "dating-app": "Dating app",
    "fitness-app": "Fitness app",
    "ai-tool": "AI assistant",
    "messenger": "Messenger",
}

# What the caption calls an artefact of each kind, and of each format (see scenario.schema).
KIND_NOUNS = {
    "post": "post",
    "comment-thread": "comments",
    "friend-request": "friend request",
    "message": "message",
    "email": "e-mail",
    "photo-tag": "tagged photo",
    "search-result": "results",
    "web-page": "page",
    "notification": "notification",
    "device-screen": "screen",
}
FORMAT_NOUNS = {
    "story": "story",
    "video": "video",
    "group-chat": "group chat",
    "meeting-chat": "meeting chat",
    "invitation": "invitation to connect",
    "blog-post": "post",
    "business-listing": "business listing",
    "settings": "settings",
    "lock-screen": "lock screen",
}
# The buttons a request shows, drawn as a picture of them: the trainee's choice is made below.
MOCK_ACTIONS = {"friend-request": ("Confirm", "Delete"), "invitation": ("Accept", "Ignore")}


def paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _initials(name: str) -> str:
    letters = [w[0] for w in name.replace("(", " ").split() if w[:1].isalpha()]
    return "".join(letters[:2]).upper() or "?"


def _avatar(name: str) -> str:
    return f'<span class="mip-avatar" aria-hidden="true">{escape(_initials(name))}</span>'


def _meta(art: Artefact) -> str:
    return f'<span class="mip-art-meta">{escape(art["meta"])}</span>' if art.get("meta") else ""


def _comment_items(art: Artefact, css: str) -> str:
    return "".join(
        f'<li class="{css}">{_avatar(c["author"])}<div><span class="mip-art-author">'
        f"{escape(c['author'])}</span> {escape(c['text'])} {_meta(c)}</div></li>"
        for c in art.get("comments", ())
    )


def _comments(art: Artefact, css: str) -> str:
    items = _comment_items(art, css)
    return f'<ul class="mip-comments" aria-label="Replies">{items}</ul>' if items else ""


def _body(art: Artefact, css: str = "mip-art-body") -> str:
    return f'<div class="{css}">{paragraphs(art["body"])}</div>' if art.get("body") else ""


def _photo(art: Artefact) -> str:
    """A photo, described in words where the picture would be (the course draws no images)."""
    if art.get("photo"):
        hidden = '<span class="mip-visually-hidden">Photo: </span>'
        return f'<p class="mip-photo">{hidden}{escape(art["photo"])}</p>'
    return '<p class="mip-photo" aria-hidden="true">Photo</p>' if art["kind"] == "photo-tag" else ""


def mock_buttons(labels: tuple[str, ...]) -> str:
    """Buttons as a picture of them: flat, dashed, never focusable, hidden from screen readers
    (they do nothing; the trainee decides with the app's own controls below)."""
    chips = "".join(f'<span class="mip-mock-button">{escape(label)}</span>' for label in labels)
    return f'<p class="mip-mock-actions" aria-hidden="true">{chips}</p>'


def _search_result(art: Artefact) -> str:
    """A search engine's page: its name, the query in the search box, then the results."""
    query = escape(art.get("query") or art["author"])  # documents built before queries: the author
    entries = "".join(
        "<li>"
        + (f'<p class="mip-result-address">{escape(r["address"])}</p>' if r.get("address") else "")
        + f'<p class="mip-result-title">{escape(r["title"])}</p>'
        + (f'<p class="mip-result-snippet">{escape(r["snippet"])}</p>' if r.get("snippet") else "")
        + "</li>"
        for r in art.get("results", ())
    )
    results = f'<ol class="mip-results" aria-label="Results">{entries}</ol>' if entries else ""
    engine = f'<p class="mip-search-engine">{escape(art["author"])}</p>' if art.get("query") else ""
    return (
        f'{engine}<p class="mip-search-box"><span class="mip-visually-hidden">Search: </span>{query}</p>'
        f"{_meta(art)}{results}{_body(art)}{_comments(art, 'mip-reply')}"
    )


def _form(form: Mapping[str, Any]) -> str:
    """A form on a page as a picture of one: its labels, empty boxes drawn by CSS, and its button
    (inert). Screen readers hear what it asks for."""
    title = f'<p class="mip-page-heading">{escape(form["title"])}</p>' if form.get("title") else ""
    fields = "".join(f"<li>{escape(f)}</li>" for f in form["fields"])
    return (
        f'<div class="mip-mock-form">{title}<span class="mip-visually-hidden">A form on the page asks '
        f"for:</span><ul>{fields}</ul>{mock_buttons((form['submit'],))}</div>"
    )


def _web_page(art: Artefact) -> str:
    """A web page with its parts: address bar, site name and menu, title, sections, form, footer."""
    address = art.get("address")
    bar = (
        f'<p class="mip-address-bar"><span class="mip-visually-hidden">Address: </span>'
        f"{escape(address or art['author'])}</p>"
    )
    site = f'<p class="mip-site-name">{escape(art["author"])}</p>' if address else ""
    links = "".join(f"<li>{escape(label)}</li>" for label in art.get("nav", ()))
    nav = f'<ul class="mip-site-nav" aria-label="The site\'s menu">{links}</ul>' if links else ""
    title = f'<p class="mip-page-title">{escape(art["subject"])}</p>' if art.get("subject") else ""
    sections = "".join(
        '<div class="mip-page-section">'
        + (f'<p class="mip-page-heading">{escape(part["heading"])}</p>' if part.get("heading") else "")
        + f"{paragraphs(part['text'])}</div>"
        for part in art.get("sections", ())
    )
    form = _form(art["form"]) if art.get("form") else ""
    footer = f'<p class="mip-page-footer">{escape(art["footer"])}</p>' if art.get("footer") else ""
    return (
        f"{bar}{site}{nav}{title}{_meta(art)}{sections}{_body(art)}"
        f"{_comments(art, 'mip-reply')}{form}{footer}"
    )


def _story(art: Artefact) -> str:
    """An Instagram story: a tall card, its progress bar and header, the photo, the words on it."""
    return (
        '<div class="mip-story"><p class="mip-story-progress" aria-hidden="true"><span></span></p>'
        f'<div class="mip-art-head">{_avatar(art["author"])}<div><span class="mip-art-author">'
        f"{escape(art['author'])}</span><br>{_meta(art)}</div></div>"
        f"{_photo(art)}{_body(art, 'mip-story-text')}</div>"
    )


def _artefact_inner(art: Artefact) -> str:
    """The artefact drawn as its kind looks on screen: only HTML and CSS, no images."""
    kind, author, fmt = art["kind"], escape(art["author"]), art.get("format")
    if kind == "email":
        rows = [("From", art["author"]), ("To", art.get("recipient")), ("Subject", art.get("subject"))]
        head = "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in rows if v)
        return f'<dl class="mip-email-head">{head}</dl>{_meta(art)}{_body(art)}'
    if kind == "message":
        chat = f'<p class="mip-chat-head">{escape(art["recipient"])}</p>' if art.get("recipient") else ""
        first = (
            f'<li class="mip-bubble">{_avatar(art["author"])}<div><span class="mip-art-author">'
            f"{author}</span>{_body(art, 'mip-bubble-text')}{_photo(art)}{_meta(art)}</div></li>"
        )
        rest = _comment_items(art, "mip-bubble")
        return f'{chat}<ul class="mip-chat" aria-label="Messages">{first}{rest}</ul>'
    if kind == "search-result":
        return _search_result(art)
    if kind == "web-page":
        return _web_page(art)
    if kind == "device-screen":
        return f'<p class="mip-device-bar">{author} {_meta(art)}</p>{_body(art)}{_comments(art, "mip-reply")}'
    if fmt == "story":
        return _story(art)
    actions = MOCK_ACTIONS.get(fmt or "") or MOCK_ACTIONS.get(kind)
    head = (
        f'<div class="mip-art-head">{_avatar(art["author"])}<div><span class="mip-art-author">'
        f"{author}</span>"
        + (f' <span class="mip-art-to">to {escape(art["recipient"])}</span>' if art.get("recipient") else "")
        + f"<br>{_meta(art)}</div></div>"
    )
    subject = (
        f'<p class="mip-art-subject"><strong>{escape(art["subject"])}</strong></p>'
        if art.get("subject")
        else ""
    )
    # A photo leads where the platform shows it first (a tag, Instagram, TikTok); a Facebook post
    # has its words above its photos.
    photo_first = kind == "photo-tag" or art.get("platform") in ("instagram", "tiktok")
    photo, body = _photo(art), _body(art)
    content = photo + body if photo_first else body + photo
    buttons = mock_buttons(actions) if actions else ""
    return f"{head}{subject}{buttons}{content}{_comments(art, 'mip-reply')}"


def caption(platform: str, art: Artefact) -> str:
    """Where the artefact is seen and what it is there ("Instagram · story", "Messenger · message");
    never a word twice ("E-mail", not "E-mail · e-mail")."""
    where = PLATFORM_LABELS.get(platform, platform)
    what = FORMAT_NOUNS.get(art.get("format") or "") or KIND_NOUNS.get(art["kind"], art["kind"])
    return where if where.lower().endswith(what.lower()) else f"{where} · {what}"


def situation_html(scenario: ScenarioData) -> str:
    """The situation and the artefact as the trainee would see it (knowledge checks have none)."""
    if not scenario.get("situation"):
        return ""
    situation, art = scenario["situation"], scenario["situation"]["artefact"]
    platform = art.get("platform") or scenario["platform"]
    art = {**art, "platform": platform}
    fmt = f" mip-format-{escape(art['format'])}" if art.get("format") else ""
    return (
        f'<section class="mip-situation" aria-label="The situation">{paragraphs(situation["narrative"])}'
        f'<figure class="mip-artefact mip-art-{escape(art["kind"])}{fmt} mip-platform-{escape(platform)}">'
        f"<figcaption>{escape(caption(platform, art))}</figcaption>{_artefact_inner(art)}</figure></section>"
    )


def points_text(got: float, out_of: float) -> str:
    return f"{got:g} of {out_of:g} point{'s' if out_of != 1 else ''}"


def clause_entry(clauses: Mapping[str, Any], clause_id: str) -> tuple[str, str]:
    """A cited clause's quotation and its place in the policy ("What members must not do, item
    2"). Documents built before places were recorded hold the bare text: no place then."""
    entry = clauses.get(clause_id, "")
    return (entry, "") if isinstance(entry, str) else (entry["text"], entry["place"])


def clause_html(text: str, place: str) -> str:
    footer = f"<footer>{escape(place)}</footer>" if place else ""
    return f'<blockquote class="mip-clause"><p>{escape(text)}</p>{footer}</blockquote>'


def _clauses_under(option: OptionData, clauses: Mapping[str, ClauseText]) -> str:
    """The clauses under an option's feedback: quoted in full unless the feedback already
    quotes them, then only named by their place."""
    shown, named = [], []
    for clause_id in option["clauses"]:
        text, place = clause_entry(clauses, clause_id)
        if quotes(option["feedback"], text):
            named.append(place)
        else:
            shown.append(clause_html(text, place))
    where = [p for p in named if p]
    see = f'<p class="mip-clause-ref">In the policy: {escape("; ".join(where))}.</p>' if where else ""
    return "".join(shown) + see


def rating(points: int, best: int) -> tuple[str, str]:
    """How good a choice was, in words (never colour alone), and the style it is shown in."""
    if points >= best:
        return "Best response", "best"
    return ("Partly right", "partial") if points > 0 else ("Not recommended", "poor")


def question_label(number: int | None) -> str:
    """A knowledge check numbers its questions ("Question 2. "); a scenario's decisions are not."""
    return f"Question {number}. " if number else ""


def choice_html(
    step: StepData, option: OptionData, clauses: Mapping[str, ClauseText] | None, number: int | None = None
) -> str:
    """A decision already made: the question as it was asked (branch prompts carry new facts),
    the choice, then (practice) feedback, then the consequence. ``number``: the question's number
    in a knowledge check."""
    parts = [
        f'<p class="mip-asked"><strong>{question_label(number)}</strong>{escape(step["prompt"])}</p>',
        f'<p class="mip-chosen"><strong>You chose:</strong> {escape(option["text"])}</p>',
    ]
    if clauses is not None and "feedback" in option:
        label, tone = rating(option["points"], step["points"])
        parts.append(
            f'<div class="mip-feedback mip-{tone}"><p><strong>{label}</strong> '
            f"({points_text(option['points'], step['points'])}). "
            f"{escape(option['feedback'])}</p>{_clauses_under(option, clauses)}</div>"
        )
    if option.get("consequence"):
        parts.append(
            f'<div class="mip-consequence"><p><strong>What happens next:</strong> '
            f"{escape(option['consequence'])}</p></div>"
        )
    return f'<section class="mip-decision">{"".join(parts)}</section>'


def outcome(got: float, best: float) -> tuple[str, str]:
    """How a whole path turned out, in words, and the style it is shown in (as :func:`rating`)."""
    if got >= best:
        return "The best outcome", "best"
    return ("A mixed outcome", "partial") if got * 2 >= best else ("A poor outcome", "poor")


def ending_html(ending: EndingData, scored: tuple[float, float] | None = None) -> str:
    """An ending, framed by how the path went when its score is known (``scored``: points got,
    out of), else told without a verdict (assessed: the key stays with the tutor)."""
    tone, verdict = "", ""
    if scored is not None:
        label, tone = outcome(*scored)
        verdict = (
            f'<p class="mip-outcome mip-score"><strong>{label}.</strong> You scored '
            f"{points_text(*scored)}.</p>"
        )
    return (
        f'<section class="mip-ending{" mip-" + tone if tone else ""}"><h2>{escape(ending["title"])}</h2>'
        f"{verdict}{paragraphs(ending['text'])}</section>"
    )


def _page_href(link: PageLink) -> str:
    return f"{escape(link['id'])}.ipynb"


def next_html(nav: Navigation) -> str:
    """The one clear way on once a page is finished: the next page, or back to the course."""
    following = nav.get("next")
    if following:
        label = following.get("label", "Next")
        href, text = _page_href(following), f"{label}: {following['title']}"
        return f'<p class="mip-next"><a class="mip-button" href="{href}" rel="next">{escape(text)}</a></p>'
    return (
        f'<p class="mip-next"><a class="mip-button" href="{escape(nav["home"])}">Back to the course</a></p>'
    )


def grading_html(w: Walk, key: GradingKey) -> str:
    """The tutor's and the trainee's feedback view: every decision with its explanation."""
    clauses = key["clauses"]
    rows = "".join(f"<li>{choice_html(step, option, clauses)}</li>" for step, option in w.taken)
    status = ""
    if w.current is not None:
        status = (
            f'<p class="mip-unfinished">Not finished: no choice was made at '
            f"“{escape(w.current['prompt'])}”.</p>"
        )
    ending = ending_html(w.ending, (walk_score(w), key["max_points"])) if w.ending else ""
    return (
        f'<section class="mip-grading"><h2>Your decisions: '
        f"{points_text(walk_score(w), key['max_points'])}</h2>"
        f"<ol>{rows}</ol>{status}{ending}</section>"
    )


def nav_html(nav: Navigation) -> str:
    """Real links between a module's pages (reading, scenarios, check) and back to the course."""
    links = []
    for key, rel, label in (("previous", "prev", "Previous"), ("next", "next", "Next")):
        if nav.get(key):
            links.append(
                f'<a href="{_page_href(nav[key])}" rel="{rel}">'
                f"{escape(nav[key].get('label', label))}: {escape(nav[key]['title'])}</a>"
            )
    if nav.get("home"):
        links.append(f'<a href="{escape(nav["home"])}">Back to the course</a>')
    return f'<nav class="mip-nav" aria-label="Pages of this module">{" · ".join(links)}</nav>'


def announcement(w: Walk, practice: bool, max_points: float) -> str:
    """Plain text for screen readers after a decision: the outcome, then what comes next."""
    step, option = w.taken[-1]
    parts = [f"You chose: {option['text']}"]
    if practice and "feedback" in option:
        parts.append(f"{points_text(option['points'], step['points'])}. {option['feedback']}")
    if option.get("consequence"):
        parts.append(f"What happens next: {option['consequence']}")
    if w.current is not None:
        parts.append(f"Next decision: {w.current['prompt']}")
    elif w.ending is not None:
        parts.append(f"{w.ending['title']}. {w.ending['text']}")
        if practice:
            parts.append(f"You scored {points_text(walk_score(w), max_points)}.")
    return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts)
