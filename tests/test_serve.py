"""``course serve`` in-process, without a browser or a kernel: the learner cookie, the learner
header Voila hands to the page's kernel, the root redirect, and ``install_pages``.

The server is the course's own ``CourseVoila``, configured as ``course serve`` configures it (the
repository's ``voila.json``, the course's template), run in a thread on a free loopback port. Its
kernel manager is the one thing replaced: ``start_kernel`` records the environment Voila would
start the page's kernel with, then ends the response there, empty: each page request stops just
before a kernel, and no error page (which would set cookies of its own) is drawn. That environment
is where the learner's id reaches the app (``course.play.learner``), so the checks hold whatever
order Voila reads the request's headers in.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from tornado.web import Finish

from course.hashed_assets import HASHED_NAME
from course.paths import NOTEBOOKS_DIR
from course.play.learner import LEARNER_COOKIE, LEARNER_ENV, LEARNER_HEADER, valid_learner_id
from course.serve import CERTIFICATE, LANDING, CourseVoila, install_pages, serve

from .conftest import free_port, voila_in_thread


@dataclass
class Running:
    port: int
    kernel_envs: list[dict[str, str]] = field(default_factory=list)  # one per kernel Voila asked for

    def get(self, path: str, headers: list[tuple[str, str]] = ()) -> tuple[http.client.HTTPResponse, bytes]:
        """One request, headers sent as given (repeated names included); the response and body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.putrequest("GET", path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body

    def page(self, headers: list[tuple[str, str]] = ()) -> tuple[http.client.HTTPResponse, dict[str, str]]:
        """The landing page requested, and the environment its kernel would have been given."""
        before = len(self.kernel_envs)
        response, body = self.get(f"/voila/render/{LANDING}", headers)
        # The handler got as far as the kernel, and no error page was drawn instead.
        assert (response.status, body, len(self.kernel_envs)) == (200, b"", before + 1)
        return response, self.kernel_envs[-1]


def cookies(response: http.client.HTTPResponse) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("served")
    (root / LANDING).write_bytes((NOTEBOOKS_DIR / LANDING).read_bytes())
    running = Running(free_port())

    class RecordingVoila(CourseVoila):
        def init_settings(self) -> dict:
            settings = super().init_settings()

            async def start_kernel(*_args, **kwargs):
                running.kernel_envs.append(dict(kwargs["env"]))
                raise Finish()  # the response ends here, as it stands

            self.kernel_manager.start_kernel = start_kernel
            return settings

    with voila_in_thread(RecordingVoila, root, running.port) as app:
        assert [h.lower() for h in app.voila_configuration.http_header_envs] == [LEARNER_HEADER.lower()]
        yield running


def test_the_root_redirects_to_the_landing_page(server):
    response, _ = server.get("/")
    assert response.status in (301, 302)
    assert response.getheader("Location") == f"/voila/render/{LANDING}"


def test_a_first_visit_is_given_a_learner_cookie_and_its_kernel_that_id(server):
    response, env = server.page()
    jar = cookies(response)
    learner = jar[LEARNER_COOKIE]
    assert valid_learner_id(learner.value) == learner.value
    assert learner["httponly"] and learner["samesite"] == "Lax" and learner["expires"]
    assert "_xsrf" in jar  # Voila's front end needs it to shut the kernel down
    assert env[LEARNER_ENV] == learner.value
    # Another browser is another learner.
    other, other_env = server.page()
    assert cookies(other)[LEARNER_COOKIE].value not in (learner.value, "")
    assert other_env[LEARNER_ENV] == cookies(other)[LEARNER_COOKIE].value


def test_a_returning_learner_keeps_their_id_and_gets_no_new_cookie(server):
    first, _ = server.page()
    learner = cookies(first)[LEARNER_COOKIE].value
    again, env = server.page([("Cookie", f"{LEARNER_COOKIE}={learner}")])
    assert LEARNER_COOKIE not in cookies(again)
    assert env[LEARNER_ENV] == learner


@pytest.mark.parametrize("with_cookie", [True, False], ids=["with-cookie", "without-cookie"])
def test_a_forged_learner_header_is_replaced_by_the_servers_own(server, with_cookie):
    own, _ = server.page()
    learner = cookies(own)[LEARNER_COOKIE].value
    victim = "V" * 32  # a well-formed id: someone else's progress folder, if it got through
    forged = [(LEARNER_HEADER, victim), (LEARNER_HEADER.lower(), "W" * 32)]
    sent = [("Cookie", f"{LEARNER_COOKIE}={learner}")] if with_cookie else []
    response, env = server.page([*sent, *forged])
    expected = learner if with_cookie else cookies(response)[LEARNER_COOKIE].value
    assert env[LEARNER_ENV] == expected
    assert not {victim, "W" * 32} & {v for k, v in env.items() if k.startswith("HTTP_")}


def test_a_learner_cookie_the_server_could_not_have_issued_is_replaced(server):
    response, env = server.page([("Cookie", f"{LEARNER_COOKIE}=../../etc")])
    issued = cookies(response)[LEARNER_COOKIE].value
    assert valid_learner_id(issued) == issued and env[LEARNER_ENV] == issued


def foreign_notebook() -> bytes:
    return b'{"cells": [{"cell_type": "code", "source": "print(\'my own work\')"}], "nbformat": 4}'


@pytest.mark.parametrize("name", [LANDING, CERTIFICATE])
def test_install_pages_refuses_to_overwrite_a_foreign_notebook(tmp_path, name):
    (tmp_path / name).write_bytes(foreign_notebook())
    with pytest.raises(FileExistsError, match=f"is not the course's {name}"):
        install_pages(tmp_path)
    assert (tmp_path / name).read_bytes() == foreign_notebook()


def test_serve_refuses_a_folder_with_a_foreign_landing_before_starting_voila(tmp_path, monkeypatch):
    (tmp_path / LANDING).write_bytes(foreign_notebook())
    monkeypatch.setattr("course.serve.run_voila", lambda *a, **k: pytest.fail("Voila was started"))
    with pytest.raises(FileExistsError):
        serve(root=tmp_path, progress=tmp_path / "progress")
    assert (tmp_path / LANDING).read_bytes() == foreign_notebook()


def test_install_pages_adds_missing_pages_and_updates_its_own(tmp_path):
    ours = {name: (NOTEBOOKS_DIR / name).read_bytes() for name in (LANDING, CERTIFICATE)}
    assert all(b"course.play." in page for page in ours.values())
    older = b'{"cells": [{"source": "from course.play.landing import show_landing"}]}'
    (tmp_path / LANDING).write_bytes(older)  # an earlier version of the course's own page
    install_pages(tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in ours} == ours
    install_pages(tmp_path)  # again: nothing to do, nothing refused
    assert {name: (tmp_path / name).read_bytes() for name in ours} == ours


def test_a_left_pages_kernel_is_culled_alike_on_course_serve_and_on_the_hub():
    """Within two minutes of a tab crashing, on either server; never while its page is open."""
    import json

    from course.hub.settings import KERNEL_CULL_EVERY_SECONDS, KERNEL_CULL_IDLE_SECONDS
    from course.paths import REPO

    expected = {
        "cull_idle_timeout": KERNEL_CULL_IDLE_SECONDS,
        "cull_interval": KERNEL_CULL_EVERY_SECONDS,
        "cull_connected": False,
    }
    hub = REPO / "deploy" / "jupyterhub" / "trainee" / "jupyter_server_config.json"
    for config in (REPO / "voila.json", hub):
        assert json.loads(config.read_text(encoding="utf-8"))["MappingKernelManager"] == expected, config
    assert KERNEL_CULL_IDLE_SECONDS + KERNEL_CULL_EVERY_SECONDS <= 120


def test_only_files_named_by_their_content_are_cached_for_good(server):
    """``course.hashed_assets``: a content-hashed script is immutable; a file whose name does not
    change with its content (``style.js``, ``package.json``) is still revalidated, as Voila does."""
    from voila.utils import get_voila_labextensions_path

    manager = next(
        Path(p) / "@jupyter-widgets" / "jupyterlab-manager"
        for p in get_voila_labextensions_path()
        if (Path(p) / "@jupyter-widgets" / "jupyterlab-manager").is_dir()
    )
    hashed = [
        f.relative_to(manager).as_posix()
        for f in (manager / "static").glob("*.js")
        if HASHED_NAME.search(f.name)
    ]
    plain = ["package.json", "static/style.js"]
    assert hashed and all((manager / name).is_file() for name in plain)
    caching = {}
    for name in [*hashed, *plain]:
        response, body = server.get(f"/voila/labextensions/@jupyter-widgets/jupyterlab-manager/{name}")
        assert response.status == 200 and body
        caching[name] = response.getheader("Cache-Control")
    assert {caching[name] for name in hashed} == {"public, max-age=31536000, immutable"}
    assert {caching[name] for name in plain} == {"no-cache"}
