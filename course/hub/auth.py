"""Who may log in to the course's hub, and which hub group each login belongs to.

JupyterHub's own PAM authenticator (the server's Unix accounts and passwords), restricted to the
course's Unix groups (never root, the grader account or anyone else on the server) and telling
the hub, at every login, whether the user is a tutor (``manage_groups``): the tutors' hub group,
which grants the grading service, follows the Unix group the accounts command keeps.
"""

from __future__ import annotations

import grp

from jupyterhub.auth import PAMAuthenticator
from traitlets import default

from .settings import TRAINEE_GROUP, TUTOR_GROUP


def unix_group_members(group: str) -> set[str]:
    try:
        return set(grp.getgrnam(group).gr_mem)
    except KeyError:
        return set()


class CourseAuthenticator(PAMAuthenticator):
    """PAM, for the course's trainees and tutors only, with tutors in the hub's tutors group."""

    @default("allowed_groups")
    def _course_groups(self) -> set[str]:
        return {TRAINEE_GROUP, TUTOR_GROUP}

    @default("manage_groups")
    def _manage_groups(self) -> bool:
        return True

    async def authenticate(self, handler, data):
        name = await super().authenticate(handler, data)
        if name is None:
            return None
        username = name if isinstance(name, str) else name["name"]
        groups = [TUTOR_GROUP] if username in unix_group_members(TUTOR_GROUP) else []
        return {"name": username, "groups": groups}
