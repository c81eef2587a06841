"""A whole JupyterHub deployment of the course on loopback, shared by the hub's tests.

Made as a tutor makes one (``course hub install``, ``course hub accounts`` from roster CSVs, then
``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py``), in a fresh folder under /tmp readable by
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
from dataclasses import dataclass
from pathlib import Path

import pytest

from course.hub.accounts import make_accounts
from course.hub.install import install
from course.hub.settings import GRADER_USER, SERVICE_URL_PATH, Places
from course.hub.spawn import SYSTEM_PATH

from ..conftest import free_port

TRAINEES = {"hub-ana": ("Ana", "Silva"), "hub-ben": ("Ben", "Okafor")}
TUTORS = {"hub-tess": ("Tess", "Tutor")}
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
            ["runuser", "-u", user, "--", *argv],
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


def _passwords(outbox: Path) -> dict[str, str]:
    """Each account's first-login password, read from its invitation as the trainee reads it."""
    found = {}
    for message in outbox.glob("*/*.eml"):
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


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    if os.geteuid() != 0:
        pytest.skip("makes Unix accounts: needs root (CI runs as root)")
    base = Path(tempfile.mkdtemp(prefix="mip-hub-", dir="/tmp"))
    os.chmod(base, 0o755)
    places = Places(
        prefix=base / "opt", cohort=base / "srv" / "cohort", exchange=base / "exchange", state=base / "state"
    )
    made: list[str] = []
    proc = None
    try:
        install(places)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        for people, tutors in ((TRAINEES, False), (TUTORS, True)):
            for name in people:
                try:
                    pwd.getpwnam(name)
                    subprocess.run(
                        ["userdel", "--remove", name], capture_output=True
                    )  # a run that was cut short
                except KeyError:
                    pass
            roster = _roster(base / ("tutors.csv" if tutors else "trainees.csv"), people)
            report = make_accounts(roster, places, tutors=tutors, hub_url=url)
            made += report.made
        env = {
            "PATH": f"{places.bin}:{SYSTEM_PATH}",
            "LANG": "C.UTF-8",
            "MIP_HUB_PREFIX": str(places.prefix),
            "MIP_HUB_COHORT": str(places.cohort),
            "MIP_HUB_EXCHANGE": str(places.exchange),
            "MIP_HUB_STATE": str(places.state),
            "MIP_HUB_URL": url,
            "MIP_HUB_API_PORT": str(free_port()),
            "MIP_HUB_PROXY_API_PORT": str(free_port()),
            "MIP_HUB_SERVICE_PORT": str(free_port()),
        }
        log = base / "hub.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [str(places.bin / "jupyterhub"), "-f", str(places.deploy / "jupyterhub_config.py")],
                cwd=places.state,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the hub did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield Hub(url, places, _passwords(places.state / "outbox"), log)
    finally:
        if proc is not None:
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


def log_in(page, hub: Hub, user: str) -> None:
    """The hub's own login form, with the password from the user's invitation."""
    page.goto(f"{hub.url}/hub/login")
    page.get_by_label("Username:").fill(user)
    page.get_by_label("Password:").fill(hub.passwords[user])
    page.get_by_role("button", name="Sign in").click()
