"""The typed, versioned scenario schema.

A scenario file is read into :class:`Scenario`; a module's ``module.yaml`` into :class:`Module`.
Structural rules that span fields (reachability, endings, clause ids) live in ``validate.py`` so
that every problem is reported at once, with its field path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from ..policy import CLAUSE_ID_PATTERN, Frozen
from ..status import Kind

SCHEMA_VERSION = 1  # the one a scenario or module file must declare

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
ClauseId = Annotated[str, StringConstraints(pattern=CLAUSE_ID_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


MAX_STEPS = 40


class Action(StrEnum):
    """The kind of action an option takes.

    The first group are responses the policy names; the second are the tempting responses a
    trainee may choose instead, so that reports can say which wrong moves are common.
    """

    WITHDRAW = "withdraw"
    SEEK_SUPERVISION = "seek-supervision"
    CONFRONT = "confront"
    DECLINE_FORMALLY = "decline-formally"
    REQUEST_UNTAG = "request-untag"
    REPORT_VIA_CODE = "report-via-code"
    PASSWORD_PROTECT = "password-protect"
    SEPARATE_ACCOUNTS = "separate-accounts"
    CHECK_PRIVACY_SETTINGS = "check-privacy-settings"
    SEEK_PERMISSION = "seek-permission"
    UPDATE_WEBSITE = "update-website"
    USE_SECURE_CHANNEL = "use-secure-channel"
    UPDATE_SECURITY = "update-security"
    CHECK_CURRENT_VERSION = "check-current-version"
    # Responses the policy does not endorse.
    ACCEPT = "accept"
    IGNORE = "ignore"
    REPLY_PUBLICLY = "reply-publicly"
    DELETE_SILENTLY = "delete-silently"
    POST_ONLINE = "post-online"
    SHARE_INFORMATION = "share-information"
    CONTINUE_ENGAGING = "continue-engaging"


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    WHATSAPP = "whatsapp"
    LINKEDIN = "linkedin"
    X = "x"
    TIKTOK = "tiktok"
    EMAIL = "email"
    TEXT_MESSAGE = "text-message"
    BLOG = "blog"
    WEBSITE = "website"
    SEARCH_ENGINE = "search-engine"
    FORUM = "forum"
    DEVICE = "device"
    VIDEO_CALL = "video-call"
    DATING_APP = "dating-app"
    FITNESS_APP = "fitness-app"
    AI_TOOL = "ai-tool"
    MESSENGER = "messenger"


class ArtefactKind(StrEnum):
    """How the app draws what the trainee is looking at."""

    POST = "post"
    COMMENT_THREAD = "comment-thread"
    FRIEND_REQUEST = "friend-request"
    MESSAGE = "message"
    EMAIL = "email"
    PHOTO_TAG = "photo-tag"
    SEARCH_RESULT = "search-result"
    WEB_PAGE = "web-page"
    NOTIFICATION = "notification"
    DEVICE_SCREEN = "device-screen"


class ArtefactFormat(StrEnum):
    """What an artefact is on its platform, where its kind alone would misname it.

    The caption names it ("Instagram · story"), and some are drawn as such: a story as a tall
    card, an invitation with LinkedIn's Accept and Ignore.
    """

    STORY = "story"
    VIDEO = "video"
    GROUP_CHAT = "group-chat"
    MEETING_CHAT = "meeting-chat"
    INVITATION = "invitation"
    BLOG_POST = "blog-post"
    BUSINESS_LISTING = "business-listing"
    SETTINGS = "settings"
    LOCK_SCREEN = "lock-screen"


# The kind each format is a form of (validate.py refuses any other pairing).
FORMAT_KINDS: dict[ArtefactFormat, ArtefactKind] = {
    ArtefactFormat.STORY: ArtefactKind.POST,
    ArtefactFormat.VIDEO: ArtefactKind.POST,
    ArtefactFormat.GROUP_CHAT: ArtefactKind.MESSAGE,
    ArtefactFormat.MEETING_CHAT: ArtefactKind.MESSAGE,
    ArtefactFormat.INVITATION: ArtefactKind.FRIEND_REQUEST,
    ArtefactFormat.BLOG_POST: ArtefactKind.WEB_PAGE,
    ArtefactFormat.BUSINESS_LISTING: ArtefactKind.SEARCH_RESULT,
    ArtefactFormat.SETTINGS: ArtefactKind.DEVICE_SCREEN,
    ArtefactFormat.LOCK_SCREEN: ArtefactKind.DEVICE_SCREEN,
}


class _Model(Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Comment(_Model):
    author: Text
    text: Text
    meta: Text | None = None


class SearchResult(_Model):
    """One entry on a page of search results, as a search engine lists it."""

    title: Text
    address: Text | None = Field(default=None, description="e.g. 'instagram.com/keeleyann.beauty'")
    snippet: Text | None = None


class PageSection(_Model):
    """A part of a web page: its heading and its text (paragraphs split by a blank line)."""

    heading: Text | None = None
    text: Text


class PageForm(_Model):
    """A form on a web page, drawn as a picture of one: its fields' labels and its button's."""

    title: Text | None = None
    fields: tuple[Text, ...] = Field(min_length=1)
    submit: Text


# Fields drawn for one kind only (validate.py refuses them on any other).
KIND_FIELDS: dict[ArtefactKind, tuple[str, ...]] = {
    ArtefactKind.SEARCH_RESULT: ("query", "results"),
    ArtefactKind.WEB_PAGE: ("address", "nav", "sections", "form", "footer"),
}
PHOTO_KINDS = (ArtefactKind.POST, ArtefactKind.PHOTO_TAG, ArtefactKind.MESSAGE)


class Artefact(_Model):
    """The post, message, e-mail... as the trainee would see it on the platform."""

    kind: ArtefactKind
    format: ArtefactFormat | None = Field(
        default=None, description="What it is on its platform, where the kind would misname it."
    )
    platform: Platform | None = Field(
        default=None,
        description="Where it is seen, when not on the scenario's platform (a WhatsApp message in a "
        "scenario about Instagram).",
    )
    author: Text
    body: Text | None = Field(
        default=None, description="Required, but for a search result with results or a page with sections."
    )
    recipient: Text | None = Field(default=None, description="For a message: the chat it is in.")
    subject: Text | None = None
    meta: Text | None = Field(default=None, description="e.g. '2 h · Public' or a timestamp")
    photo: Text | None = Field(
        default=None, description="What a photo in it shows, drawn as a described picture."
    )
    comments: tuple[Comment, ...] = ()
    query: Text | None = Field(default=None, description="A search result's query, in its search box.")
    results: tuple[SearchResult, ...] = ()
    address: Text | None = Field(default=None, description="A web page's address, in its address bar.")
    nav: tuple[Text, ...] = Field(default=(), description="A web page's menu: its links' labels.")
    sections: tuple[PageSection, ...] = ()
    form: PageForm | None = None
    footer: Text | None = None


class Situation(_Model):
    narrative: Text
    artefact: Artefact


class Option(_Model):
    id: Slug
    text: Text
    action: Action
    points: int = Field(ge=0)
    feedback: Text = Field(description="Why this is (or is not) right; quotes the clause.")
    clauses: tuple[ClauseId, ...] = Field(min_length=1)
    consequence: Text | None = Field(
        default=None, description="What happens next, shown in both modes (scenarios only)."
    )
    next: Slug = Field(description="The id of the next step or of an ending.")


class Step(_Model):
    id: Slug
    prompt: Text
    points: int = Field(gt=0, description="Full credit for this decision.")
    options: tuple[Option, ...] = Field(min_length=2)


class Ending(_Model):
    id: Slug
    title: Text
    text: Text


class Reflection(_Model):
    """What the trainee is asked to reflect on, and, for the tutor only, how to mark it."""

    prompt: Text
    points: int = Field(ge=0)
    rubric: Text = Field(description="Guidance for the tutor: what earns each mark, no overlaps.")
    model_answer: Text = Field(
        description="A full-marks answer: shown to the tutor when marking, to trainees only with feedback."
    )


class Scenario(_Model):
    """A scenario, or (``kind: knowledge-check``) a module's closing questions on the policy.

    Scenarios need ``platform``, ``situation``, ``reflection`` and a ``consequence`` on every
    option; knowledge checks have none of them (``validate.py`` enforces which is which).
    """

    schema_version: Literal[SCHEMA_VERSION]
    kind: Kind = Kind.SCENARIO
    id: Slug
    module: Slug
    title: Text
    platform: Platform | None = None
    situation: Situation | None = None
    start: Slug
    # Far more than a trainee can follow (the course's longest has 5); it also bounds how deep the
    # graph checks go, so no file can exhaust them.
    steps: tuple[Step, ...] = Field(min_length=1, max_length=MAX_STEPS)
    endings: tuple[Ending, ...] = Field(min_length=1)
    reflection: Reflection | None = None

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


class ReadingPart(_Model):
    """One part of a module's reading: the clauses it quotes, then what they ask in plain words."""

    heading: Text
    clauses: tuple[ClauseId, ...] = Field(min_length=1)
    text: Text


class Module(_Model):
    schema_version: Literal[SCHEMA_VERSION]
    id: Slug
    title: Text
    summary: Text
    outcome: Text = Field(
        description="What a trainee who completes the module can do: one sentence, printed on the CPD "
        "certificate after 'can'."
    )
    cpd_minutes: int = Field(gt=0)
    pass_mark: int = Field(
        ge=1, le=100, description="Percent of the knowledge check's points needed to complete the module."
    )
    reading: tuple[ReadingPart, ...] = Field(min_length=1)
    scenarios: tuple[Slug, ...] = Field(min_length=1, description="Scenario ids, in play order.")
    knowledge_check: Slug = Field(description="The id of the module's knowledge check, played last.")
