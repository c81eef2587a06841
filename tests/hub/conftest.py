"""A whole JupyterHub deployment of the course on loopback, shared by the hub's tests.

Made as the README makes one (``deploy/jupyterhub/start.sh``, which installs the course and starts
the hub, then ``course hub accounts`` from roster CSVs), in a fresh folder under /tmp readable by
the trainees' accounts (pytest's own temporary folders are root's alone). Needs root, which CI
has: it creates Unix accounts (removed afterwards) and runs each trainee's server as its own.
"""

from __future__ import annotations

import email
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from course.hub.accounts import account_exists, make_accounts
from course.hub.install import RUNUSER
from course.hub.settings import GRADER_USER, SERVICE_URL_PATH, Places
from course.hub.spawn import SYSTEM_PATH
from course.paths import REPO

from ..conftest import BIN, free_port

TRAINEES = {"hub-ana": ("Ana", "Silva"), "hub-ben": ("Ben", "Okafor")}
TUTORS = {"hub-tess": ("Tess", "Tutor")}
TEST_ONLY = ("VIRTUAL_ENV", "JUPYTER", "COURSE_", "MIP_", "UV_PROJECT", "PYTHONPATH", "PYTEST")
LOCAL_ANNOUNCEMENT = "Welcome to the MIP course (set in jupyterhub_config.local.py)"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="makes Unix accounts: needs root (CI runs as root)")


@dataclass
class Hub:
    url: str
    places: Places
    passwords: dict[str, str]
    log: Path

    def as_user(
        self, user: str, *argv: str, cwd: str | None = None, **env: str
    ) -> subprocess.CompletedProcess:
        """A command as ``user`` (runuser: their own uid and groups), with the course's tools on PATH."""
        home = pwd.getpwnam(user).pw_dir
        environment = {"PATH": f"{self.places.bin}:{SYSTEM_PATH}", "HOME": home, "LANG": "C.UTF-8", **env}
        return subprocess.run(
            [RUNUSER, "-u", user, "--", *argv],
            capture_output=True,
            text=True,
            cwd=cwd or home,
            env=environment,
            timeout=600,
        )

    def grader(self, *argv: str) -> subprocess.CompletedProcess:
        return self.as_user(
            GRADER_USER, *argv, cwd=str(self.places.cohort), COURSE_COHORT=str(self.places.cohort)
        )


def passwords(invitations: Path) -> dict[str, str]:
    """Each account's first-login password, read from its invitation (``invitations``: the folder
    ``course hub accounts`` wrote) as the trainee reads it."""
    found = {}
    for message in invitations.glob("*.eml"):
        parsed = email.message_from_bytes(message.read_bytes())
        body = parsed.get_payload(decode=True).decode()
        user, password = re.search(r"Username: (\S+)\s+Password: (\S+)", body).groups()
        found[user] = password
    return found


def _roster(path: Path, people: dict[str, tuple[str, str]]) -> Path:
    rows = [f"{uid},{first},{last},{uid}@example.org" for uid, (first, last) in people.items()]
    path.write_text("id,first_name,last_name,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/hub/api/", timeout=2)
        urllib.request.urlopen(f"{url}{SERVICE_URL_PATH}api/status", timeout=2)
    except urllib.error.HTTPError as exc:
        return exc.code in (401, 403)  # the service answers, and asks for a login
    except OSError:
        return False
    return True


@contextmanager
def scratch_hub(trainees: dict[str, tuple[str, str]], tutors: dict[str, tuple[str, str]]) -> Iterator[Hub]:
    """The README's command, ``deploy/jupyterhub/start.sh`` (install, then the hub), with the
    deployment's places in a fresh folder and free ports; then the accounts, as a tutor makes them
    (``trainees`` and ``tutors``: id -> first and last name). Everything is removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="mip-hub-", dir="/tmp"))
    os.chmod(base, 0o755)
    places = Places(
        prefix=base / "opt", cohort=base / "srv" / "cohort", exchange=base / "exchange", state=base / "state"
    )
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        # an administrator's environment (certificates, caches...), not the test's own: no virtual
        # environment, nothing of Jupyter's or the course's, the system's tools on PATH
        **{k: v for k, v in os.environ.items() if not k.startswith(TEST_ONLY)},
        "PATH": os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN),
        "MIP_HUB_PREFIX": str(places.prefix),
        "MIP_HUB_COHORT": str(places.cohort),
        "MIP_HUB_EXCHANGE": str(places.exchange),
        "MIP_HUB_STATE": str(places.state),
        "MIP_HUB_URL": url,
        "MIP_HUB_API_PORT": str(free_port()),
        "MIP_HUB_PROXY_API_PORT": str(free_port()),
        "MIP_HUB_SERVICE_PORT": str(free_port()),
        "MIP_HUB_CERTIFICATES_PORT": str(free_port()),
    }
    # The institute's own settings file, which the hub loads last (deploy/jupyterhub/README.md).
    places.state.mkdir(mode=0o700)
    (places.state / "jupyterhub_config.local.py").write_text(
        f"c.JupyterHub.template_vars = {{'announcement_login': {LOCAL_ANNOUNCEMENT!r}}}\n", encoding="utf-8"
    )
    made: list[str] = []
    logins: dict[str, str] = {}
    log = base / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(REPO / "deploy" / "jupyterhub" / "start.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600  # the install builds an environment first
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the hub did not start:\n{log.read_text()}")
            time.sleep(0.5)
        for people, as_tutors in ((trainees, False), (tutors, True)):
            if not people:
                continue
            for name in people:
                if account_exists(name):  # a run that was cut short
                    subprocess.run(["userdel", "--remove", name], capture_output=True)
            roster = _roster(base / ("tutors.csv" if as_tutors else "trainees.csv"), people)
            report = make_accounts(roster, places, tutors=as_tutors, hub_url=url)
            made += report.made
            logins |= passwords(report.invitations.folder) if report.invitations else {}
        yield Hub(url, places, logins, log)
    finally:
        proc.terminate()  # the hub stops the trainees' servers and its services as it goes
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        for name in made:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    if os.geteuid() != 0:
        pytest.skip("makes Unix accounts: needs root (CI runs as root)")
    with scratch_hub(TRAINEES, TUTORS) as running:
        yield running


def log_in(page, hub: Hub, user: str) -> None:
    """The hub's own login form, with the password from the user's invitation."""
    page.goto(f"{hub.url}/hub/login")
    page.get_by_label("Username:").fill(user)
    page.get_by_label("Password:").fill(hub.passwords[user])
    page.get_by_role("button", name="Sign in").click()
