"""Isolation on the hub, tested as a trainee would attack it.

Trainee B (hub-ben) fetches a module, answers and submits it with the course's own functions, as
his own Unix user; his server runs with a page open. Trainee A (hub-ana) then attacks, with real
commands run as her Unix user (runuser) and through the hub in Chromium: reading B's home,
answers, nbgrader cache and submission, the cohort, the gradebook, the source notebooks (the key),
``scenarios/`` and the hub's state; tampering with the exchange; submitting as B; reaching B's
server, the grading service and tutors' pages; logging in as who she is not; and reaching B's
processes, kernels and routes on the machine itself. Every attack must fail and leave its target
as it was; each names itself in the test ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pwd
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pamela
import pytest

from course.documents import ANSWERS_SUFFIX
from course.hub.settings import COURSE_ID, GRADER_USER, SERVICE_URL_PATH, TRAINEE_FOLDER, TUTOR_GROUP
from course.hub.spawn import trainee_environment

from ..conftest import KERNEL_COMMAND
from ..test_browser import module_status
from .conftest import TRAINEES, TUTORS, Hub, log_in

pytestmark = pytest.mark.slow

MODULE = "05-must-not"  # not the journey's module: the two files can share one hub
ANA, BEN = TRAINEES
TUTOR = next(iter(TUTORS))
HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"  # the key, in the source notebooks only


# -- running things as a trainee ---------------------------------------------------------------
# Where runuser is: Debian keeps it in /usr/sbin, outside the accounts' own PATH.


def run_as(
    hub: Hub, user: str, *argv: str, cwd: str | None = None, **env: str
) -> subprocess.CompletedProcess:
    """``hub.as_user``, the name these attacks were written with."""
    return hub.as_user(user, *argv, cwd=cwd, **env)


def as_trainee(hub: Hub, user: str, code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Python as ``user`` with the environment the hub gives a trainee's server."""
    environment = {**trainee_environment(hub.places), "JUPYTERHUB_USER": user, **env}
    return run_as(hub, user, str(hub.places.bin / "python"), "-c", code, *args, **environment)


def attack(hub: Hub, shell: str) -> subprocess.CompletedProcess:
    """A shell command as trainee A."""
    return run_as(hub, ANA, "bash", "-c", shell)


def as_tutor(hub: Hub, *argv: str) -> subprocess.CompletedProcess:
    """A command in the cohort as the grader account, as the service's terminal runs it."""
    return run_as(hub, GRADER_USER, *argv, cwd=str(hub.places.cohort), COURSE_COHORT=str(hub.places.cohort))


PLAY_AND_SUBMIT = """
import sys
from pathlib import Path
from course.documents import Answers
from course.play.answers import save_answers
from course.play.exchange import fetch_released, submit_module
root = Path.home() / sys.argv[1]
root.mkdir(mode=0o700, exist_ok=True)
fetch_released(root)
module, scenario, reflection = sys.argv[2:5]
save_answers(root / module, Answers(scenario=scenario, reflection=reflection))
if sys.argv[5] == "submit":
    print(submit_module(root / module))
"""

HTTP = """
import sys, urllib.error, urllib.request
method, url, token, body = sys.argv[1:5]
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
headers = {"Authorization": f"token {token}"} if token else {}
request = urllib.request.Request(url, data=body.encode() or None, method=method, headers=headers)
try:
    with urllib.request.build_opener(Stay).open(request, timeout=60) as answer:
        print(answer.status)
        print(answer.read().decode(errors="replace"))
except urllib.error.HTTPError as refused:
    print(refused.code)
    print(refused.read().decode(errors="replace"))
"""


def http_as(hub: Hub, user: str, method: str, url: str, token: str = "", body: str = "") -> tuple[int, str]:
    """An HTTP request made by ``user``'s own process (no redirects followed): status and body."""
    done = run_as(hub, user, str(hub.places.bin / "python"), "-c", HTTP, method, url, token, body)
    assert done.returncode == 0, done.stderr
    status, _, text = done.stdout.partition("\n")
    return int(status), text


def release(hub: Hub) -> Path:
    """The tutor releases the module (again is fine); the grader's released copy."""
    done = as_tutor(hub, "course", "cohort", "release", MODULE)
    assert done.returncode == 0, done.stdout + done.stderr
    return hub.places.cohort / "release" / MODULE


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def state_of(path: Path, deep: bool = True) -> dict[str, tuple]:
    """What ``path`` is (as root): each entry's mode, owner and content hash, links not followed."""
    entries = [path, *(sorted(path.rglob("*")) if deep and path.is_dir() else [])]
    found = {}
    for entry in entries:
        info = entry.lstat()
        digest = hashlib.sha256(entry.read_bytes()).hexdigest() if entry.is_file() else None
        found[str(entry)] = (info.st_mode, info.st_uid, info.st_gid, info.st_ino, digest)
    return found


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.5)


def home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def pids_of(user: str, pattern: str) -> list[int]:
    done = subprocess.run(["pgrep", "-u", user, "-f", pattern], capture_output=True, text=True)
    return [int(pid) for pid in done.stdout.split()]


def listening(pid: int) -> list[int]:
    """The TCP ports process ``pid`` listens on (as root)."""
    done = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True)
    return [
        int(line.split()[3].rsplit(":", 1)[1]) for line in done.stdout.splitlines() if f"pid={pid}," in line
    ]


# -- trainee B: a module fetched, answered, submitted ------------------------------------------
@dataclass(frozen=True)
class Victim:
    folder: Path  # ~/mip-course
    answers: Path  # his saved answers, by its known path
    cache: Path  # nbgrader's copy of his submission in his home
    submission: Path  # his folder in the exchange's inbound
    stamp: str  # the submission's time, as nbgrader names it
    scenario: str  # the scenario he answered
    marker: str  # his reflection: shows wherever his answers leak


@pytest.fixture(scope="module")
def ben(hub: Hub) -> Victim:
    released = release(hub)
    scenario = sorted(released.glob("*.ipynb"))[0].stem
    marker = f"Ben's private reflection {secrets.token_hex(8)}"
    done = as_trainee(hub, BEN, PLAY_AND_SUBMIT, TRAINEE_FOLDER, MODULE, scenario, marker, "submit")
    assert done.returncode == 0, done.stderr
    stamp = done.stdout.strip().splitlines()[-1]
    inbound = hub.places.exchange / COURSE_ID / "inbound"
    (submission,) = [p for p in inbound.iterdir() if p.name.startswith(f"{BEN}+{MODULE}+{stamp}+")]
    # nbgrader's random part: the folder's name cannot be guessed from the trainee, module and time
    assert len(submission.name.rsplit("+", 1)[1]) >= 12
    folder = home(BEN) / TRAINEE_FOLDER
    answers = folder / MODULE / f"{scenario}{ANSWERS_SUFFIX}"
    cache = home(BEN) / ".local/share/jupyter/nbgrader_cache" / COURSE_ID / f"{BEN}+{MODULE}+{stamp}"
    for where in (answers, cache / answers.name, submission / answers.name):
        assert marker in where.read_text(), where
    return Victim(folder, answers, cache, submission, stamp, scenario, marker)


def b64_head(path: Path) -> str:
    """How the first bytes of ``path`` read in ``base64 -w0``'s output (which never fails to decode)."""
    return base64.b64encode(path.read_bytes()[:30]).decode()


def first_entry(folder: Path) -> str:
    return sorted(p.name for p in folder.iterdir())[0]


# Each read: (the attack as a shell command, its target, what would show if it worked), as root.
Read = Callable[[Hub, Victim], tuple[str, Path, str]]


def _read_file(path: Callable[[Hub, Victim], Path]) -> Read:
    return lambda hub, ben: (f"base64 -w0 '{path(hub, ben)}'", path(hub, ben), b64_head(path(hub, ben)))


def _list(path: Callable[[Hub, Victim], Path]) -> Read:
    return lambda hub, ben: (f"ls -a '{path(hub, ben)}'", path(hub, ben), first_entry(path(hub, ben)))


def _inbound(hub: Hub) -> Path:
    return hub.places.exchange / COURSE_ID / "inbound"


def _source(hub: Hub) -> Path:
    notebook = sorted((hub.places.cohort / "source" / MODULE).glob("*.ipynb"))[-1]
    assert HIDDEN_TESTS in notebook.read_text()  # the key is there: reading it would leak it
    return notebook


def _outbox_invitation(hub: Hub) -> Path:
    found = sorted((hub.places.state / "outbox").rglob("*.eml"))
    assert "Password:" in found[0].read_text()
    return found[0]


READS: dict[str, Read] = {
    "list ben's home": _list(lambda hub, ben: home(BEN)),
    "list ben's course folder": _list(lambda hub, ben: ben.folder),
    "read ben's answers by their known path": _read_file(lambda hub, ben: ben.answers),
    "list ben's nbgrader submission cache": _list(lambda hub, ben: ben.cache),
    "read ben's answers in his nbgrader cache": _read_file(lambda hub, ben: ben.cache / ben.answers.name),
    "read ben's submission secret in his cache": _read_file(
        lambda hub, ben: ben.cache / "submission_secret.txt"
    ),
    "list the exchange's inbound": _list(lambda hub, ben: _inbound(hub)),
    "glob ben's submissions in inbound": lambda hub, ben: (
        f"ls -d '{_inbound(hub)}/{BEN}+'* '{_inbound(hub)}/{BEN}+{MODULE}+'*",
        ben.submission,
        ben.submission.name,
    ),
    "read ben's submission by the name pattern without its random part": lambda hub, ben: (
        f"base64 -w0 '{_inbound(hub)}/{BEN}+{MODULE}+{ben.stamp}/{ben.answers.name}'",
        ben.submission,
        b64_head(ben.submission / ben.answers.name),
    ),
    "read ben's submission by its time and a glob for the random part": lambda hub, ben: (
        f"base64 -w0 '{_inbound(hub)}/{BEN}+{MODULE}+{ben.stamp}+'*/'{ben.answers.name}'",
        ben.submission,
        b64_head(ben.submission / ben.answers.name),
    ),
    "list the cohort": _list(lambda hub, ben: hub.places.cohort),
    "list the grader's home": _list(lambda hub, ben: home(GRADER_USER)),
    "read the gradebook": _read_file(lambda hub, ben: hub.places.cohort / "gradebook.db"),
    "read a source notebook (the key)": _read_file(lambda hub, ben: _source(hub)),
    "read the cohort's nbgrader config": _read_file(
        lambda hub, ben: hub.places.cohort / "nbgrader_config.py"
    ),
    "list the app's scenarios": _list(lambda hub, ben: hub.places.app / "scenarios"),
    "read a scenario of the app (points and feedback)": _read_file(
        lambda hub, ben: hub.places.app / "scenarios" / MODULE / "module.yaml"
    ),
    "list the hub's state": _list(lambda hub, ben: hub.places.state),
    "read the hub's database": _read_file(lambda hub, ben: hub.places.state / "jupyterhub.sqlite"),
    "read the hub's cookie secret": _read_file(
        lambda hub, ben: hub.places.state / "jupyterhub_cookie_secret"
    ),
    "list the invitations": _list(lambda hub, ben: hub.places.state / "outbox"),
    "read an invitation with its password": _read_file(lambda hub, ben: _outbox_invitation(hub)),
}


@pytest.mark.parametrize("name", list(READS))
def test_a_trainee_cannot_read_what_is_not_hers(hub, ben, name):
    shell, target, secret = READS[name](hub, ben)
    before = state_of(target)
    done = attack(hub, shell)
    assert done.returncode != 0, (shell, done.stdout)
    assert secret not in done.stdout
    assert re.search(r"Permission denied|No such file", done.stderr), done.stderr
    assert state_of(target) == before


def test_what_a_trainee_can_read_holds_no_key(hub, ben):
    """The released notebooks, the installed app (but its scenarios/) and her own fetched copy:
    no notebook there carries the hidden tests the source notebooks hold."""
    _source(hub)
    done = as_trainee(hub, ANA, PLAY_AND_SUBMIT, TRAINEE_FOLDER, MODULE, ben.scenario, "", "keep")
    assert done.returncode == 0, done.stderr
    places = [hub.places.exchange / COURSE_ID / "outbound", hub.places.app, home(ANA)]
    found = attack(
        hub, "grep -rlF --include='*.ipynb' '{}' {}".format(HIDDEN_TESTS, " ".join(map(str, places)))
    )
    assert found.stdout == "", found.stdout
    readable = attack(hub, f"ls '{home(ANA) / TRAINEE_FOLDER / MODULE}'")
    assert f"{ben.scenario}.ipynb" in readable.stdout  # the search did look at her copy


# -- the exchange: nothing a trainee can make, move, remove or replace -------------------------
# Each attack on the exchange as a shell command; {evil} is a copy of the module of her own, with
# a notebook of hers in it, that {make_evil} makes in her home.
TAMPERING = {
    "rename the course folder": "mv {course} {exchange}/old",
    "remove the course folder": "rm -rf {course}",
    "swap in a course folder of her own": (
        "{make_evil} && mkdir {exchange}/mine && cp -r {evil}/outbound {exchange}/mine/ "
        "&& chmod -R a+rX {exchange}/mine && mv {course} {exchange}/gone && mv {exchange}/mine {course}"
    ),
    "rename outbound": "mv {course}/outbound {course}/outbound.old",
    "make an outbound of her own": "mkdir {course}/outbound2 && mv {course}/outbound {course}/x",
    "make a module folder in outbound": "mkdir {course}/outbound/99-evil",
    "remove the released module": "rm -rf {module}",
    "rename the released module": "mv {module} {module}.old",
    "write a notebook into the released module": (
        "{make_evil} && cp {evil}/outbound/{name}/* {module}/new.ipynb"
    ),
    "replace a released notebook": "{make_evil} && cp {evil}/outbound/{name}/{notebook_name} {notebook}",
    "link over a released notebook": "ln -sf /etc/hostname {notebook}",
    "open up the released module": "chmod 0777 {module}",
    "write into feedback": "mkdir {course}/feedback/" + BEN,
    "open up inbound for listing": "chmod 0777 {course}/inbound",
}


def tampering(hub: Hub, name: str) -> str:
    exchange = hub.places.exchange
    course = exchange / COURSE_ID
    module = course / "outbound" / MODULE
    notebook = sorted(module.glob("*.ipynb"))[0]
    evil = home(ANA) / "evil"
    make_evil = (
        f"rm -rf {evil} && mkdir -p {evil}/outbound/{MODULE} && cp {notebook} {evil}/outbound/{MODULE}/ "
        f"&& echo '{{\"cells\": []}}' > {evil}/outbound/{MODULE}/{notebook.name}"
    )
    return TAMPERING[name].format(
        exchange=exchange,
        course=course,
        module=module,
        notebook=notebook,
        notebook_name=notebook.name,
        name=MODULE,
        evil=evil,
        make_evil=make_evil,
    )


def exchange_state(hub: Hub) -> dict[str, tuple]:
    """The exchange as the grader made it: its root, the course folder, outbound and feedback
    whole, and inbound itself (its entries are each trainee's submissions)."""
    exchange = hub.places.exchange
    course = exchange / COURSE_ID
    return {
        **state_of(exchange, deep=False),
        **{str(p): state_of(p, deep=False)[str(p)] for p in sorted(exchange.iterdir()) if p.name != "mine"},
        **state_of(course, deep=False),
        **state_of(course / "outbound"),
        **state_of(course / "feedback"),
        **state_of(course / "inbound", deep=False),
    }


@pytest.mark.parametrize("name", TAMPERING)
def test_a_trainee_cannot_tamper_with_the_exchange(hub, ben, name):
    released = release(hub)
    shell = tampering(hub, name)
    before = exchange_state(hub)
    try:
        done = attack(hub, shell)
        assert done.returncode != 0, (shell, done.stdout)
        assert "Permission denied" in done.stderr or "not permitted" in done.stderr, done.stderr
        after = exchange_state(hub)
        assert after == before
    finally:
        subprocess.run(["rm", "-rf", str(hub.places.exchange / "mine"), str(home(ANA) / "evil")])
    # What B fetches afterwards is what the tutor released, byte for byte.
    fresh = f"refetch-{secrets.token_hex(4)}"
    done = as_trainee(
        hub,
        BEN,
        "import sys; from pathlib import Path; from course.play.exchange import "
        "fetch_released; r = Path.home() / sys.argv[1]; r.mkdir(mode=0o700); fetch_released(r)",
        fresh,
    )
    assert done.returncode == 0, done.stderr
    try:
        assert files_of(home(BEN) / fresh / MODULE) == files_of(released)
    finally:
        subprocess.run(["rm", "-rf", str(home(BEN) / fresh)])


# -- submitting as somebody else -------------------------------------------------------------
FORGERIES = {
    # the app's own submit, with the hub's user name set by hand
    "the app's submit with JUPYTERHUB_USER=hub-ben": "app",
    # nbgrader's own command line, naming the student
    "nbgrader submit --student hub-ben": "nbgrader",
}


def test_a_trainee_cannot_submit_as_somebody_else(hub, ben):
    inbound = hub.places.exchange / COURSE_ID / "inbound"
    marker = f"Ana writing as Ben {secrets.token_hex(8)}"
    done = as_trainee(hub, ANA, PLAY_AND_SUBMIT, TRAINEE_FOLDER, MODULE, ben.scenario, marker, "keep")
    assert done.returncode == 0, done.stderr
    ana_uid = pwd.getpwnam(ANA).pw_uid
    existing = {p.name for p in inbound.iterdir()}
    for how in FORGERIES.values():
        if how == "app":
            done = as_trainee(
                hub,
                ANA,
                "import sys; from pathlib import Path; from course.play.exchange import submit_module; "
                "submit_module(Path(sys.argv[1]))",
                str(home(ANA) / TRAINEE_FOLDER / MODULE),
                JUPYTERHUB_USER=BEN,
            )
        else:
            done = run_as(
                hub,
                ANA,
                str(hub.places.bin / "nbgrader"),
                "submit",
                MODULE,
                "--student",
                BEN,
                cwd=str(home(ANA) / TRAINEE_FOLDER),
                **trainee_environment(hub.places),
            )
        assert done.returncode == 0, done.stderr  # the exchange takes it: collect must not
    forged = sorted(p.name for p in inbound.iterdir() if p.name not in existing)
    assert len(forged) == len(FORGERIES)
    assert all(n.startswith(f"{BEN}+{MODULE}+") and (inbound / n).stat().st_uid == ana_uid for n in forged)
    assert min(n.split("+")[2] for n in forged) > ben.stamp  # newer than his own: collect's first pick

    done = as_tutor(hub, "course", "cohort", "collect", MODULE)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    for name in forged:
        assert re.search(rf"{re.escape(name)}: submitted as {BEN} by the Unix user {ANA}", out), out
    collected = hub.places.cohort / "submitted" / BEN / MODULE
    assert (collected / ben.answers.name).read_bytes() == (ben.submission / ben.answers.name).read_bytes()
    assert marker not in (collected / ben.answers.name).read_text()
    assert (collected / "timestamp.txt").read_text() == ben.stamp


# -- through the hub, in Chromium ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ben_online(hub, ben, browser) -> Iterator[int]:
    """B logged in, his server running with the landing page (and its kernel) open: its pid."""
    context = browser.new_context()
    context.set_default_timeout(120_000)
    page = context.new_page()
    log_in(page, hub, BEN)
    page.wait_for_url(f"{hub.url}/user/{BEN}/voila/render/index.ipynb", timeout=240_000)
    assert "Status: submitted" in module_status(page, MODULE)  # his submission, on his own page
    (server,) = pids_of(BEN, "jupyterhub-singleuser")
    yield server
    context.close()


@pytest.fixture(scope="module")
def ana_page(hub, browser):
    context = browser.new_context()
    context.set_default_timeout(120_000)
    page = context.new_page()
    log_in(page, hub, ANA)
    page.wait_for_url(f"{hub.url}/user/{ANA}/voila/render/index.ipynb", timeout=240_000)
    yield page
    context.close()


BENS_PAGES = [
    f"/user/{BEN}/",
    f"/user/{BEN}/voila/render/index.ipynb",
    f"/user/{BEN}/reflections.pdf",
    f"/user/{BEN}/api/contents",
    f"/user/{BEN}/api/contents/{MODULE}",
    f"/user/{BEN}/files/{MODULE}",
    f"/user/{BEN}/course",
]
SERVICE_PAGES = [
    SERVICE_URL_PATH,
    f"{SERVICE_URL_PATH}formgrader",
    f"{SERVICE_URL_PATH}api/terminals",
    f"{SERVICE_URL_PATH}lab",
    f"{SERVICE_URL_PATH}voila/render/tutor-dashboard.ipynb",
]
HUB_ADMIN = ["/hub/admin", "/hub/api/users", f"/hub/api/users/{BEN}", "/hub/api/groups", "/hub/api/services"]
TUTORS_PAGES_ON_HER_SERVER = [
    f"/user/{ANA}/{page}"
    for page in (
        "formgrader",
        "lab",
        "tree",
        "terminals/1",
        "api/terminals",
        "notebooks/index.ipynb",
        "edit/index.ipynb",
        "create_assignment",
    )
]


@pytest.mark.browser
@pytest.mark.parametrize("path", BENS_PAGES + SERVICE_PAGES + HUB_ADMIN)
def test_a_trainee_in_the_browser_is_refused_others_pages(hub, ben, ben_online, ana_page, path):
    answer = ana_page.goto(f"{hub.url}{path}")
    body = ana_page.content()
    # 403, or for the hub's API 404 (a user she may not see does not exist for her): never B's
    assert answer.status == 403 or (answer.status == 404 and path.startswith("/hub/api/")), (
        answer.status,
        ana_page.url,
        body[:2000],
    )
    assert ben.marker not in body


@pytest.mark.browser
@pytest.mark.parametrize("path", TUTORS_PAGES_ON_HER_SERVER)
def test_a_trainees_own_server_serves_no_tutors_page(hub, ana_page, path):
    answer = ana_page.goto(f"{hub.url}{path}")
    assert answer.status == 404, (answer.status, ana_page.url)


@pytest.mark.browser
def test_the_grading_services_terminal_refuses_a_trainee(hub, ana_page):
    grader_shells = len(pids_of(GRADER_USER, "bash"))
    for url in (
        f"{hub.url}{SERVICE_URL_PATH}api/terminals",
        f"{hub.url}{SERVICE_URL_PATH}api/contents/gradebook.db",
    ):
        answer = ana_page.request.post(url, max_redirects=0, fail_on_status_code=False)
        assert answer.status in (302, 403), (url, answer.status)
    assert len(pids_of(GRADER_USER, "bash")) == grader_shells


# Links she makes in her own course folder, each to something that is not hers: her own server
# (her Unix user) must not serve it.
LINKS = {
    "ben-answers.json": lambda hub, ben: ben.answers,
    "ben-home": lambda hub, ben: home(BEN),
    "key.ipynb": lambda hub, ben: _source(hub),
    "scenarios": lambda hub, ben: hub.places.app / "scenarios",
    "cohort": lambda hub, ben: hub.places.cohort,
}
THROUGH_HER_SERVER = [
    "files/ben-answers.json",
    "api/contents/ben-answers.json",
    "api/contents/ben-home",
    "voila/render/key.ipynb",
    "files/key.ipynb",
    "api/contents/scenarios",
    f"api/contents/scenarios/{MODULE}",
    "api/contents/cohort",
    "files/cohort/gradebook.db",
]


@pytest.mark.browser
@pytest.mark.parametrize("path", THROUGH_HER_SERVER)
def test_links_in_her_own_folder_serve_nothing_of_others(hub, ben, ana_page, path):
    folder = home(ANA) / TRAINEE_FOLDER
    for name, target in LINKS.items():
        made = attack(hub, f"ln -sfn '{target(hub, ben)}' '{folder / name}'")
        assert made.returncode == 0, made.stderr
    try:
        answer = ana_page.goto(f"{hub.url}/user/{ANA}/{path}")
        body = ana_page.content()
        assert answer.status >= 400, (answer.status, body[:2000])
        for secret in (ben.marker, HIDDEN_TESTS.lstrip("#").strip(), "feedback:", "SQLite format"):
            assert secret not in body
    finally:
        for name in LINKS:
            (folder / name).unlink(missing_ok=True)


# -- logins that must fail -------------------------------------------------------------------
@pytest.fixture
def outsider() -> Iterator[tuple[str, str]]:
    """A Unix user of the server with a real password, in none of the course's groups."""
    name, password = "hub-mallory", secrets.token_urlsafe(12)
    subprocess.run(["userdel", "--remove", name], capture_output=True)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    try:
        yield name, password
    finally:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        subprocess.run(["userdel", name], check=True)


def refused_login(browser, hub: Hub, user: str, password: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.get_by_label("Username:").fill(user)
        page.get_by_label("Password:").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Invalid username or password").wait_for()
        assert page.url.split("?")[0] == f"{hub.url}/hub/login"
        assert context.request.get(f"{hub.url}/hub/api/user").status == 403  # no session
    finally:
        context.close()


@pytest.mark.browser
def test_a_unix_user_outside_the_course_cannot_log_in_with_a_correct_password(hub, browser, outsider):
    name, password = outsider
    pamela.authenticate(name, password, service="login")  # the password is right for the system
    refused_login(browser, hub, name, password)
    assert pids_of(name, ".") == []


@pytest.mark.browser
@pytest.mark.parametrize(
    "user, password",
    [(GRADER_USER, ""), (GRADER_USER, "grader"), ("root", ""), ("root", "root"), (ANA, "not-her-password")],
    ids=[
        "grader, no password",
        "grader, a guess",
        "root, no password",
        "root, a guess",
        "trainee, wrong password",
    ],
)
def test_logins_that_must_fail(hub, browser, user, password):
    if user == ANA:
        assert password != hub.passwords[ANA]
    refused_login(browser, hub, user, password)


@pytest.mark.browser
def test_a_tutor_gets_no_trainee_server(hub, browser):
    context = browser.new_context()
    context.set_default_timeout(120_000)
    try:
        page = context.new_page()
        log_in(page, hub, TUTOR)
        page.wait_for_url(f"{hub.url}{SERVICE_URL_PATH}**", timeout=240_000)
        refusal = f"{TUTOR} is not a trainee of this course"  # the pre_spawn_hook's, in the hub's log
        before = hub.log.read_text().count(refusal)
        page.goto(f"{hub.url}/hub/spawn")
        wait_until(lambda: hub.log.read_text().count(refusal) > before, "the hub refusing the spawn")
        answer = page.goto(f"{hub.url}/user/{TUTOR}/")  # the hub's "not running" page, no server
        assert answer.status >= 400 and page.url.startswith(f"{hub.url}/hub/"), (answer.status, page.url)
        assert pids_of(TUTOR, ".") == []
    finally:
        context.close()


# -- the machine itself: B's processes, kernels, server and routes --------------------------------
def test_bens_processes_keep_their_secrets(hub, ben_online):
    server = ben_online
    environ = Path(f"/proc/{server}/environ").read_bytes()
    assert b"JUPYTERHUB_API_TOKEN=" in environ  # what ana would be after
    kernels = pids_of(BEN, KERNEL_COMMAND)
    assert kernels, "B's landing page has a kernel"
    for pid in [server, *kernels]:
        for shell in (
            f"cat /proc/{pid}/environ",
            f"ls /proc/{pid}/fd",
            f"ls /proc/{pid}/cwd/",
            f"cat /proc/{pid}/mem",
            f"kill -0 {pid}",
            f"kill -TERM {pid}",
        ):
            done = attack(hub, shell)
            assert done.returncode != 0 and "JUPYTERHUB_API_TOKEN" not in done.stdout, (shell, done.stdout)
            assert re.search("Permission denied|not permitted", done.stderr), (shell, done.stderr)
    assert pids_of(BEN, "jupyterhub-singleuser") == [server]


PIPE_PROBE = """
import sys, time, zmq
pipe = zmq.Context().socket(zmq.PUSH)
pipe.connect(sys.argv[1])
pipe.send_multipart([b"a guessed key...", b"<IDS|MSG>", b"{}", b"{}", b"{}", b"{}", b"{}"])
time.sleep(1)  # linger: the message leaves before the process does
"""


def test_bens_kernels_are_not_reachable(hub, ben_online):
    """The kernel's channels are IPC sockets in B's runtime folder (his home, 0700); its one TCP
    port, ipykernel's pipe for forked subprocesses' output, drops what lacks its random key."""
    (kernel,) = pids_of(BEN, KERNEL_COMMAND)
    connection = json.loads(
        Path(
            re.search(rb"-f\x00([^\x00]+)", Path(f"/proc/{kernel}/cmdline").read_bytes()).group(1).decode()
        ).read_text()
    )
    assert connection["transport"] == "ipc" and connection["ip"].startswith(f"{home(BEN)}/")
    sockets = [
        Path(f"{connection['ip']}-{connection[f'{channel}_port']}")
        for channel in ("shell", "iopub", "stdin", "control", "hb")
    ]
    assert all(p.is_socket() for p in sockets)
    probe = (
        "import socket, sys\n"
        "for path in sys.argv[1:]:\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    try:\n"
        "        s.connect(path); print('connected', path)\n"
        "    except OSError as exc:\n"
        "        print(type(exc).__name__, path)\n"
    )
    done = run_as(hub, ANA, str(hub.places.bin / "python"), "-c", probe, *map(str, sockets))
    assert done.stdout.count("PermissionError") == len(sockets), done.stdout
    done = attack(hub, f"cat '{connection['ip'].removesuffix('-ipc')}.json'")
    assert done.returncode != 0 and connection["key"] not in done.stdout
    (pipe,) = listening(kernel)
    refused = hub.log.read_text().count("Bad pipe message")
    done = run_as(hub, ANA, str(hub.places.bin / "python"), "-c", PIPE_PROBE, f"tcp://127.0.0.1:{pipe}")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: hub.log.read_text().count("Bad pipe message") > refused, "the kernel dropping it")


def her_token(hub: Hub) -> str:
    """Her own server's API token, as she can read it from her own process."""
    (server,) = pids_of(ANA, "jupyterhub-singleuser")
    done = attack(hub, f"cat /proc/{server}/environ")
    assert done.returncode == 0, done.stderr
    return re.search(r"JUPYTERHUB_API_TOKEN=([^\x00]+)", done.stdout).group(1)


def test_her_own_token_does_not_act_on_ben(hub, ben_online, ana_page):
    token = her_token(hub)
    api = f"{hub.url}/hub/api"
    assert http_as(hub, ANA, "GET", f"{api}/user", token)[0] == 200  # the token works, for her
    for method, path, body in [
        ("GET", f"/users/{BEN}", ""),
        ("POST", f"/users/{BEN}/tokens", "{}"),
        ("POST", f"/users/{BEN}/server", ""),
        ("DELETE", f"/users/{BEN}/server", ""),
        ("PATCH", f"/users/{BEN}", json.dumps({"name": ANA})),
        ("POST", f"/groups/{TUTOR_GROUP}/users", json.dumps({"users": [ANA]})),
        ("POST", "/users", json.dumps({"usernames": ["hub-eve"]})),
        ("GET", "/proxy", ""),
    ]:
        status, text = http_as(hub, ANA, method, f"{api}{path}", token, body)
        assert status in (403, 404), (method, path, status, text)
    assert pids_of(BEN, "jupyterhub-singleuser") == [ben_online]


def test_bens_server_and_the_service_refuse_her_on_loopback(hub, ben, ben_online, ana_page):
    """Straight to their ports on 127.0.0.1, past the proxy, with her own token."""
    token = her_token(hub)
    (ben_port,) = listening(ben_online)
    (service,) = pids_of(GRADER_USER, "jupyterhub-singleuser")
    (service_port,) = listening(service)
    for url in (
        f"http://127.0.0.1:{ben_port}/user/{BEN}/api/contents/{MODULE}",
        f"http://127.0.0.1:{ben_port}/user/{BEN}/files/{MODULE}/{ben.answers.name}",
        f"http://127.0.0.1:{ben_port}/user/{BEN}/api/kernels",
        f"http://127.0.0.1:{service_port}{SERVICE_URL_PATH}api/contents",
        f"http://127.0.0.1:{service_port}{SERVICE_URL_PATH}api/terminals",
    ):
        for with_token in (token, ""):
            status, text = http_as(hub, ANA, "GET", url, with_token)
            assert status in (302, 403), (url, status, text[:500])
            assert ben.marker not in text


def test_the_proxy_takes_no_route_from_her(hub, ben_online, ana_page):
    """The proxy's API port is in its command line, which every user can read; routes need its token."""
    (proxy,) = [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-f", "configurable-http-proxy"], capture_output=True, text=True
        ).stdout.split()
    ]
    done = attack(hub, f"tr '\\0' ' ' < /proc/{proxy}/cmdline")
    port = re.search(r"--api-port (\d+)", done.stdout).group(1)
    (her_server,) = pids_of(ANA, "jupyterhub-singleuser")
    (her_port,) = listening(her_server)
    api = f"http://127.0.0.1:{port}/api/routes"
    secret = re.search(rb"CONFIGPROXY_AUTH_TOKEN=([^\x00]+)", Path(f"/proc/{proxy}/environ").read_bytes())
    routes = json.loads(urllib_get(api, secret.group(1).decode()))
    status, _ = http_as(
        hub, ANA, "POST", f"{api}/user/{BEN}", "", json.dumps({"target": f"http://127.0.0.1:{her_port}"})
    )
    assert status == 403
    assert http_as(hub, ANA, "DELETE", f"{api}/user/{BEN}")[0] == 403
    assert http_as(hub, ANA, "GET", api)[0] == 403
    assert json.loads(urllib_get(api, secret.group(1).decode())) == routes
    assert f"/user/{BEN}" in routes


def urllib_get(url: str, token: str) -> str:
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read().decode()
