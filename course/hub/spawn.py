"""What the hub gives each server it starts: a trainee's own server and the tutors' service."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

from .settings import TRAINEE_FOLDER, TRAINEE_GROUP, Places

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def _course_env(places: Places, config_dir: str) -> dict[str, str]:
    return {
        # the deployment's Jupyter configuration for this server, then for every server of the hub
        # (voila.py), then the course's own voila.json
        "JUPYTER_CONFIG_PATH": os.pathsep.join(
            [str(places.deploy / config_dir), str(places.deploy), str(places.app)]
        ),
        "JUPYTER_PATH": str(places.app / "course" / "share" / "jupyter"),  # the course's templates
        "PATH": f"{places.bin}:{SYSTEM_PATH}",
        "MIP_HUB_PREFIX": str(places.prefix),
        "MIP_HUB_COHORT": str(places.cohort),
        "MIP_HUB_EXCHANGE": str(places.exchange),
        "MIP_HUB_STATE": str(places.state),
    }


def trainee_environment(places: Places) -> dict[str, str]:
    return _course_env(places, "trainee")


def tutor_environment(places: Places) -> dict[str, str]:
    # the dashboard's cohort, and `course cohort`'s default in the service's terminal
    return {
        **_course_env(places, "grader"),
        "COURSE_COHORTS": str(places.cohort),
        "COURSE_COHORT": str(places.cohort),
    }


def certificate_environment(places: Places) -> dict[str, str]:
    """The certificate service's: the cohort it reads (nbgrader runs ``alembic`` from the
    environment's bin), and where its signing key is kept (the grader's home, 0700)."""
    return {
        "PATH": f"{places.bin}:{SYSTEM_PATH}",
        "COURSE_COHORT": str(places.cohort),
        "MIP_CERTIFICATE_DIR": str(places.cohort.parent / "certificates"),
    }


def is_trainee(name: str) -> bool:
    try:
        return name in grp.getgrnam(TRAINEE_GROUP).gr_mem
    except KeyError:
        return False


def prepare_trainee_folder(spawner) -> None:
    """``Spawner.pre_spawn_hook`` (the hub, as root): only trainees get a course server, and their
    course folder exists, theirs alone, before it is served."""
    name = spawner.user.name
    if not is_trainee(name):
        raise RuntimeError(
            f"{name} is not a trainee of this course: tutors use the grading service, not a server "
            "of their own"
        )
    account = pwd.getpwnam(name)
    home = Path(account.pw_dir)
    folder = home / TRAINEE_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chown(folder, account.pw_uid, account.pw_gid)
    os.chmod(home, 0o700)  # another trainee's server never reads it
