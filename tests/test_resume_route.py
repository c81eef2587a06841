"""The course server's resume page (``course/resume_route.py``), in-process on loopback: a browser
switched to another learner's progress only by a POST carrying the form's token and a known code,
never by a link, a forged form or a wrong code."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from course.play.learner import LEARNER_COOKIE, LEARNER_COOKIE_DAYS, PROGRESS_ENV, new_learner_id
from course.play.resume import new_code, resume_code, shown
from course.serve import LANDING, CourseVoila

from .conftest import NOTEBOOKS_DIR, free_port, voila_in_thread

LANDING_URL = f"/voila/render/{LANDING}"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def cookies(self) -> SimpleCookie:
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return jar

    @property
    def said(self) -> str:
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", self.body)).split())


@dataclass
class Served:
    port: int
    progress: Path

    def request(self, method: str, path: str, body: str | None = None, cookies: dict | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        reply = Reply(response.status, response.msg, response.read().decode())
        conn.close()
        return reply

    def form(self, path: str = "/resume") -> tuple[Reply, dict[str, str]]:
        """The resume page, and the cookies and form token a browser showing it would send back."""
        reply = self.request("GET", path)
        assert reply.status == 200
        (token,) = re.findall(r'<input type="hidden" name="_xsrf" value="([^"]+)"', reply.body)
        return reply, {"_xsrf": reply.cookies["_xsrf"].value, "token": unescape(token)}

    def submit(self, code: str, *, token: bool = True, cookie: bool = True, learner: str = "") -> Reply:
        """The form sent with ``code``, as a browser sends it (its token and ``_xsrf`` cookie, and
        the learner cookie it had, if any), unless told to leave the token or the cookie out."""
        _, got = self.form()
        fields = {"code": code, **({"_xsrf": got["token"]} if token else {})}
        cookies = {
            **({"_xsrf": got["_xsrf"]} if cookie else {}),
            **({LEARNER_COOKIE: learner} if learner else {}),
        }
        return self.request("POST", "/resume", urlencode(fields), cookies)

    def learner(self) -> tuple[str, str]:
        """A self-study learner with a resume code (as their landing page makes it): id and code."""
        learner = new_learner_id()
        return learner, resume_code(self.progress / learner)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("site")
    (root / LANDING).write_bytes((NOTEBOOKS_DIR / LANDING).read_bytes())
    progress = root.parent / "progress"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PROGRESS_ENV, str(progress))  # as `course serve --progress` sets it
        port = free_port()
        with voila_in_thread(CourseVoila, root, port) as app:
            assert not app.app.settings.get("xsrf_cookies")  # why the form checks its own token
            yield Served(port, progress)


def test_the_resume_page_is_a_labelled_form_with_its_token(served):
    reply, got = served.form()
    assert (
        '<label for="code">Resume code</label>' in reply.body and '<input id="code" name="code"' in reply.body
    )
    assert '<form method="post">' in reply.body and "Resume my progress" in reply.body
    assert got["token"] and got["_xsrf"]
    assert LEARNER_COOKIE not in reply.cookies  # showing the form changes no learner
    assert reply.headers["Cache-Control"] == "no-store"
    assert f'href="{LANDING_URL}">Back to the course' in reply.body
    assert "Use only your own code, and keep it to yourself" in reply.said
    assert '<html lang="en-GB">' in reply.body and "<title>Resume your progress - MIP" in reply.body
    assert not re.search(r"(src|href)=\"https?://", reply.body)  # nothing loaded from elsewhere


def test_a_link_with_a_code_fills_the_form_in_and_switches_nobody(served):
    _, code = served.learner()
    reply = served.request("GET", f"/resume?code={code.lower()}", cookies={LEARNER_COOKIE: new_learner_id()})
    assert reply.status == 200
    assert f'value="{shown(code)}"' in reply.body
    assert LEARNER_COOKIE not in reply.cookies
    reply = served.request("GET", "/resume?code=../../etc")
    assert (
        reply.status == 200 and 'value=""' in reply.body and "link's resume code is incomplete" in reply.said
    )


def test_a_right_code_sets_the_learner_cookie_and_goes_to_the_landing_page(served):
    learner, code = served.learner()
    typed = f" {shown(code).lower()} ".replace("0", "o")  # as someone might type it
    reply = served.submit(typed, learner=new_learner_id())  # this browser had a learner of its own
    assert reply.status == 303 and reply.headers["Location"] == LANDING_URL
    cookie = reply.cookies[LEARNER_COOKIE]
    assert cookie.value == learner
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    expires = parsedate_to_datetime(cookie["expires"]).timestamp()
    assert abs(expires - (time.time() + LEARNER_COOKIE_DAYS * 86400)) < 3600


@pytest.mark.parametrize(("token", "cookie"), [(False, True), (True, False), (False, False)])
def test_a_post_without_the_forms_token_is_refused_even_with_a_right_code(served, token, cookie):
    _, code = served.learner()
    reply = served.submit(code, token=token, cookie=cookie)
    assert reply.status == 403 and LEARNER_COOKIE not in reply.cookies
    assert "nothing was changed" in reply.said


def test_a_token_from_another_browser_is_refused(served):
    _, code = served.learner()
    _, mine = served.form()
    _, theirs = served.form()
    body = urlencode({"code": code, "_xsrf": theirs["token"]})
    reply = served.request("POST", "/resume", body, {"_xsrf": mine["_xsrf"]})
    assert reply.status == 403 and LEARNER_COOKIE not in reply.cookies


def test_a_wrong_code_is_refused_in_plain_words_and_sets_no_cookie(served):
    served.learner()
    wrong = new_code()
    reply = served.submit(shown(wrong))
    assert reply.status == 404 and LEARNER_COOKIE not in reply.cookies
    assert f"No progress on this course server has the resume code {shown(wrong)}" in reply.said
    assert "Nothing was changed in this browser" in reply.said
    assert f'value="{shown(wrong)}"' in reply.body  # to correct, not to type again
    assert 'aria-invalid="true"' in reply.body and 'aria-describedby="problem hint"' in reply.body


@pytest.mark.parametrize("typed", ["", "../x", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "\u0410BCD-EFGH-JKMN"])
def test_a_malformed_code_is_refused_and_sets_no_cookie(served, typed):
    reply = served.submit(typed)
    assert reply.status == 400 and LEARNER_COOKIE not in reply.cookies
    assert "That is not a resume code" in reply.said


def test_another_learners_stale_index_entry_is_refused(served):
    _, a = served.learner()
    bob, _ = served.learner()
    (served.progress / "resume" / a).write_text(bob)  # an index entry that is not Bob's own code
    reply = served.submit(a)
    assert reply.status == 404 and LEARNER_COOKIE not in reply.cookies


def test_wrong_codes_are_answered_one_at_a_time_however_many_are_sent(served):
    """A guesser gets at most one answer a second from the server, even in parallel."""
    forms = [served.form()[1] for _ in range(3)]
    replies: list[Reply] = []

    def guess(got):
        body = urlencode({"code": new_code(), "_xsrf": got["token"]})
        replies.append(served.request("POST", "/resume", body, {"_xsrf": got["_xsrf"]}))

    started = time.monotonic()
    guessers = [threading.Thread(target=guess, args=(got,)) for got in forms]
    for guesser in guessers:
        guesser.start()
    for guesser in guessers:
        guesser.join()
    assert time.monotonic() - started >= 2.9
    assert [r.status for r in replies] == [404, 404, 404]
    # A right code is not held back.
    _, code = served.learner()
    started = time.monotonic()
    assert served.submit(code).status == 303 and time.monotonic() - started < 0.9
