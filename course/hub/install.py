"""``course hub install``: put the course where every trainee's server can run it, and make the
grader account, its cohort and nbgrader's shared exchange (as root, once per server and again
after each update; it keeps the cohort and everything in it).

What it makes, and who can read it:

- ``PREFIX/app``: the course's tracked files, root's, readable by all, except ``scenarios/``,
  which carry every answer's points and feedback: readable by the tutors' group only.
- ``PREFIX/venv``: the locked environment, built with a Python every account can run (a checkout's
  ``.venv`` may use an interpreter under ``/root``, which trainees cannot read).
- the cohort (``/srv/mip-course/cohort``): the grader's, mode 0700 (gradebook, source notebooks).
- the exchange (``/srv/nbgrader/exchange``): nbgrader's own modes (0777 for its root, the course's
  folder 0755 with ``inbound`` 2733, ``outbound`` 0755, ``feedback`` 0711), with the sticky bit on
  the root and the course's folder made by the grader first, so that no trainee can make, rename
  or replace the folder others fetch from.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import REPO
from .settings import COURSE_ID, GRADER_USER, TRAINEE_GROUP, TUTOR_GROUP, Places
from .spawn import SYSTEM_PATH

LEFT_OUT = ("tests/", "benchmarks/", "docs/screenshots/")  # not needed to run the course
KEYED = ("scenarios",)  # hold the key: tutors' group only
PYTHONS = ("/usr/bin/python3.11", "/usr/local/bin/python3.11")
NOLOGIN = "/usr/sbin/nologin"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"  # root's PATH has it; a service's need not


class InstallError(RuntimeError):
    """The course cannot be installed here; the message says why and what to do."""


@dataclass
class InstallReport:
    places: Places
    python: str
    steps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join([*self.steps, f"installed at {self.places.prefix} (Python {self.python})"])


def run(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(list(argv), capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise InstallError(
            f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip() or done.stdout}"
        )
    return done


def as_grader(places: Places, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """One of the course's commands as the grader account, with its own groups (runuser sets them
    from /etc/group) and the installed environment first on its PATH (nbgrader runs ``alembic``)."""
    account = pwd.getpwnam(GRADER_USER)
    env = {"PATH": f"{places.bin}:{SYSTEM_PATH}", "HOME": account.pw_dir, "LANG": "C.UTF-8"}
    return run(RUNUSER, "-u", GRADER_USER, "--", str(places.bin / argv[0]), *argv[1:], cwd=cwd, env=env)


def tracked_files(source: Path) -> list[str]:
    done = run("git", "-C", str(source), "ls-files", "-z")
    return [name for name in done.stdout.split("\0") if name and not name.startswith(LEFT_OUT)]


def copy_app(source: Path, app: Path) -> int:
    """The tracked files into a fresh ``app`` (swapped in whole), root's and readable by all except
    the keyed folders; returns how many files."""
    fresh = app.with_name(app.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    names = tracked_files(source)
    for name in names:
        target = fresh / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target, follow_symlinks=False)
    for dirpath, _dirnames, filenames in os.walk(fresh):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                os.chmod(path, 0o755 if os.access(source / path.relative_to(fresh), os.X_OK) else 0o644)
    tutors = grp.getgrnam(TUTOR_GROUP).gr_gid
    for keyed in KEYED:
        for dirpath, _dirnames, filenames in os.walk(fresh / keyed):
            os.chown(dirpath, 0, tutors)
            os.chmod(dirpath, 0o750)
            for name in filenames:
                os.chown(Path(dirpath) / name, 0, tutors)
                os.chmod(Path(dirpath) / name, 0o640)
    old = app.with_name(app.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if app.exists():
        app.rename(old)
    fresh.rename(app)
    shutil.rmtree(old, ignore_errors=True)
    return len(names)


def readable_python(explicit: str | None) -> str:
    """A Python 3.11 every account can run: ``explicit``, else Debian's."""
    for candidate in [explicit] if explicit else PYTHONS:
        if candidate and Path(candidate).is_file():
            check = subprocess.run(
                [RUNUSER, "-u", "nobody", "--", candidate, "-c", "import sys"], capture_output=True
            )
            if check.returncode == 0:
                return candidate
    raise InstallError(
        f"no Python 3.11 that every account can run ({explicit or ', '.join(PYTHONS)}): install Debian's "
        "python3.11 (apt-get install python3.11), or give one with --python"
    )


def uv_command() -> list[str]:
    """uv as this process found it: ``uv run`` names itself in ``$UV``; else on PATH; else the
    module that scripts/bootstrap.sh installs."""
    found = os.environ.get("UV") or shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


def build_venv(places: Places, python: str) -> None:
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(places.venv)}
    env.pop("VIRTUAL_ENV", None)
    run(*uv_command(), "sync", "--frozen", "--no-dev", "--quiet", "--python", python, cwd=places.app, env=env)
    run("chmod", "-R", "a+rX", str(places.venv))


def install_proxy(places: Places) -> None:
    """configurable-http-proxy (npm, pinned in package-lock.json) beside the app; the hub runs it."""
    run("npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--silent", cwd=places.app)


def ensure_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return False
    except KeyError:
        run("groupadd", "--system", name)
        return True


def ensure_grader(home: Path) -> bool:
    """The grader account (no login, no password), in the tutors' group so it can build from
    ``scenarios/``; its home, 0700, holds the cohort (moved there if the account had another)."""
    try:
        account = pwd.getpwnam(GRADER_USER)
        made = False
    except KeyError:
        run(
            "useradd", "--system", "--home-dir", str(home), "--shell", NOLOGIN, "--user-group",
            "--groups", TUTOR_GROUP, GRADER_USER,
        )  # fmt: skip
        account, made = pwd.getpwnam(GRADER_USER), True
    run("usermod", "--append", "--groups", TUTOR_GROUP, GRADER_USER)
    if Path(account.pw_dir) != home:
        run("usermod", "--home", str(home), GRADER_USER)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, account.pw_uid, account.pw_gid)
    os.chmod(home, 0o700)
    return made


def make_exchange(exchange: Path) -> None:
    """nbgrader's exchange, its course folder the grader's before any trainee could make it."""
    exchange.mkdir(parents=True, exist_ok=True)
    os.chown(exchange, 0, 0)
    os.chmod(exchange, 0o1777)  # nbgrader's 0777, plus sticky: entries only their owner can move
    grader = pwd.getpwnam(GRADER_USER)
    course = exchange / COURSE_ID
    for folder, mode in (
        (course, 0o755),
        (course / "outbound", 0o755),
        (course / "inbound", 0o2733),
        (course / "feedback", 0o711),
    ):
        folder.mkdir(exist_ok=True)
        os.chown(folder, grader.pw_uid, grader.pw_gid, follow_symlinks=False)
        os.chmod(folder, mode)


HUB_LINES = (
    "\n# On the hub (course hub install): trainees are Unix users, so a submission must be owned by\n"
    "# the trainee it names.\n"
    "c.SafeCollect.check_owner = True\n"
)


def make_cohort(places: Places) -> bool:
    """The grader's cohort (``course cohort new``, as the grader), once; the dashboard beside it."""
    cohort = places.cohort
    made = False
    if not (cohort / "nbgrader_config.py").is_file():
        as_grader(
            places,
            "course",
            "cohort",
            "new",
            str(cohort),
            "--exchange",
            str(places.exchange),
            cwd=places.cohort.parent,
        )
        with open(cohort / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write(HUB_LINES)
        made = True
    dashboard = cohort / "tutor-dashboard.ipynb"
    shutil.copyfile(places.app / "grading" / "tutor-dashboard.ipynb", dashboard)
    grader = pwd.getpwnam(GRADER_USER)
    os.chown(dashboard, grader.pw_uid, grader.pw_gid)
    os.chmod(cohort, 0o700)
    return made


def install(
    places: Places, *, source: Path = REPO, python: str | None = None, proxy: bool = True
) -> InstallReport:
    if os.geteuid() != 0:
        raise InstallError("course hub install makes Unix accounts and folders: run it as root (sudo)")
    report = InstallReport(places, readable_python(python))
    for group in (TUTOR_GROUP, TRAINEE_GROUP):
        if ensure_group(group):
            report.steps.append(f"made the Unix group {group}")
    if ensure_grader(places.cohort.parent):
        report.steps.append(f"made the grader account {GRADER_USER}")
    places.prefix.mkdir(parents=True, exist_ok=True)
    os.chmod(places.prefix, 0o755)
    count = copy_app(source, places.app)
    report.steps.append(f"copied {count} files of the course to {places.app} (scenarios/: tutors only)")
    build_venv(places, report.python)
    report.steps.append(f"built the environment {places.venv}")
    if proxy:
        install_proxy(places)
        report.steps.append("installed configurable-http-proxy")
    make_exchange(places.exchange)
    report.steps.append(f"exchange ready at {places.exchange}")
    if make_cohort(places):
        report.steps.append(f"made the cohort {places.cohort}")
    places.state.mkdir(parents=True, exist_ok=True)
    os.chmod(places.state, 0o700)
    return report
