"""The course server's resume page: a learner's progress continued in another browser, with the
resume code the landing page shows (``course.play.resume``).

``resume``: a form asking for the code. ``resume?code=...`` (the link the landing page offers to
send oneself) only fills the form in: a GET never switches a browser to other progress, so a link
opened by an e-mail preview or a prefetch changes nothing; the person presses the button. A POST
with the form's token and a known code points this browser's learner cookie at that code's learner
and goes to the landing page; anything else is refused in plain words and changes no cookie.

Guessing is hopeless: a code is one of 32**12 = 2**60 (about 1.2e18), drawn with ``secrets``, and
this server answers at most one wrong code a second (``Throttle``), however many are sent at once:
86,400 guesses a day. Even with a million learners on the server, finding any one of their codes
would take some 36,000 years on average.
"""

from __future__ import annotations

import asyncio
from html import escape
from pathlib import Path

from tornado.web import HTTPError, RequestHandler

from .play.learner import LEARNER_COOKIE, LEARNER_COOKIE_OPTIONS
from .play.resume import EXAMPLE, MAX_TYPED, learner_for, normalise, shown
from .verification import page

STYLE = (
    "label{display:block;font-weight:600;margin-top:1.25rem}"
    "input{font:inherit;font-size:1.25rem;letter-spacing:.08em;padding:.45rem .6rem;min-height:44px;"
    "width:100%;max-width:20rem;box-sizing:border-box;border:2px solid #5c6670;border-radius:6px;"
    "color:#1f2d3a;background:#fff}"
    "input:focus-visible,button:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}"
    ".hint{color:#3d4852;margin:.35rem 0 0}"
    "button{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1.25rem;margin-top:1rem;"
    "border:0;border-radius:6px;background:#0b57d0;color:#fff;cursor:pointer}"
    "button:hover{background:#083e94}.code{white-space:nowrap}"
)


class Throttle:
    """Wrong codes answered one at a time, each after ``delay`` seconds, by the whole server; past
    ``queue`` waiting, refused at once (a flood costs its sender, not the server's memory)."""

    def __init__(self, delay: float = 1.0, queue: int = 20) -> None:
        self.delay, self.queue, self.waiting = delay, queue, 0
        self._lock: asyncio.Lock | None = None  # made in the server's event loop, on first use

    async def wait(self) -> bool:
        """Hold a wrong answer back; False if too many are waiting already."""
        if self.waiting >= self.queue:
            return False
        self.waiting += 1
        try:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                await asyncio.sleep(self.delay)
        finally:
            self.waiting -= 1
        return True


class ResumeHandler(RequestHandler):
    def initialize(self, progress: Path, landing: str, throttle: Throttle) -> None:
        self.progress, self.landing, self.throttle = progress, landing, throttle

    def get(self) -> None:
        typed = self.get_query_argument("code", "")
        code = normalise(typed)
        if typed and code is None:
            self.form(
                200,
                "That link's resume code is incomplete or changed: type the code shown on the landing "
                "page of the browser you used before.",
            )
            return
        self.form(200, "", shown(code) if code else "")

    async def post(self) -> None:
        try:
            # Voila leaves Tornado's xsrf_cookies setting off, so this form checks its own token.
            self.check_xsrf_cookie()
        except HTTPError:
            self.form(
                403,
                "This form has expired or was sent from another site: nothing was changed. Enter your "
                "resume code again below.",
            )
            return
        typed = self.get_body_argument("code", "")
        code = normalise(typed)
        if code is None:
            self.form(
                400,
                f"That is not a resume code: a resume code has 12 letters and digits, like {EXAMPLE}. "
                "Nothing was changed in this browser.",
                typed[:MAX_TYPED],
            )
            return
        learner = learner_for(self.progress, code)
        if learner is None:
            if not await self.throttle.wait():
                self.form(429, "Too many codes were tried just now. Wait a minute, then try again.", "")
                return
            self.form(
                404,
                f"No progress on this course server has the resume code {shown(code)}. Check it on the "
                "landing page of the browser you used before, and try again. Nothing was changed in "
                "this browser.",
                shown(code),
            )
            return
        self.set_cookie(LEARNER_COOKIE, learner, **LEARNER_COOKIE_OPTIONS)
        self.redirect(self.landing, status=303)

    def form(self, status: int, problem: str, value: str = "") -> None:
        """The resume page: the form, ``value`` in its field, ``problem`` above it if any."""
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")  # a code in the address stays here
        title = "Resume code not accepted" if problem else "Resume your progress"
        alert = f'<p class="bad" id="problem">{escape(problem)}</p>' if problem else ""
        described = "problem hint" if problem else "hint"
        invalid = ' aria-invalid="true"' if problem and status != 200 else ""
        self.finish(
            page(
                title,
                "<h1>Resume your progress</h1>"
                f"{alert}"
                "<p>Your progress in this course is kept on this course server, linked to the browser "
                "you used. To continue it in this browser, enter the resume code shown on the course's "
                "landing page in that browser.</p>"
                f'<form method="post">{self.xsrf_form_html()}'
                '<label for="code">Resume code</label>'
                f'<input id="code" name="code" type="text" value="{escape(value)}" '
                f'maxlength="{MAX_TYPED}" autocomplete="off" autocapitalize="characters" spellcheck="false" '
                f'aria-describedby="{described}"{invalid}>'
                '<p class="hint" id="hint">12 letters and digits, for example '
                f'<span class="code">{EXAMPLE}</span>. Small letters, spaces and dashes are fine.</p>'
                '<button type="submit">Resume my progress</button></form>'
                "<p>This browser then continues with that progress. Anything done in this browser so far "
                "stays under its own resume code, on its landing page: note that code first if you want "
                "to come back to it.</p>"
                "<p>Use only your own code, and keep it to yourself as you would a password: whoever has "
                "it can see and continue that progress.</p>"
                f'<p><a href="{escape(self.landing)}">Back to the course</a></p>',
                STYLE,
            )
        )
