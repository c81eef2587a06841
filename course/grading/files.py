"""Reading a file a trainee controls: never through a link, never more than expected.

Everything in a submission is the trainee's: a name may be a symbolic link to someone else's
work or the gradebook, a FIFO that blocks a reader forever, a hard link, or a sparse file of a
gigabyte. These helpers open the file itself (``O_NOFOLLOW``, non-blocking), check what the open
descriptor is, and read at most a limit, so a bad file is refused with a reason instead of being
followed, waited on or loaded.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path


class UnsafeFile(ValueError):
    """A file that is not what the course accepts; the message says why, in a sentence."""


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _check(name: str, info: os.stat_result, limit: int, owner: str | None) -> os.stat_result:
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFile(f"{name} is a symbolic link (links are never followed)")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFile(f"{name} is not a regular file")
    if info.st_nlink != 1:
        raise UnsafeFile(f"{name} is a hard link to another file")
    if info.st_size > limit:
        raise UnsafeFile(f"{name} is {info.st_size:,} bytes; the course accepts at most {limit:,}")
    if owner is not None and owner_name(info.st_uid) != owner:
        raise UnsafeFile(f"{name} belongs to {owner_name(info.st_uid)}, not to {owner}")
    return info


def read_regular(path: Path, limit: int, owner: str | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes (owned by
    ``owner``, when given); :class:`UnsafeFile` otherwise. The checks are made on the open file,
    so swapping the name for a link between a check and the read changes nothing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeFile(f"{path.name} is a symbolic link (links are never followed)") from exc
        raise UnsafeFile(f"{path.name} cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        _check(path.name, os.fstat(fd), limit, owner)
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew since the check
        raise UnsafeFile(f"{path.name} is larger than the {limit:,} bytes the course accepts")
    return data


def read_in(folder_fd: int, name: str, limit: int, owner: str | None = None) -> tuple[bytes, float]:
    """Like :func:`read_regular`, for ``name`` inside the open folder ``folder_fd`` (so the folder
    cannot be swapped for another between a check and the read); also the file's latest inode
    change time, taken after the read, so a change made while it was read shows."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder_fd)
    except OSError as exc:
        if stat.S_ISLNK(os.lstat(name, dir_fd=folder_fd).st_mode):
            raise UnsafeFile(f"{name} is a symbolic link (links are never followed)") from exc
        raise UnsafeFile(f"{name} cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        _check(name, os.fstat(fd), limit, owner)
        data = fh.read(limit + 1)
        changed = os.fstat(fd).st_ctime
    if len(data) > limit:
        raise UnsafeFile(f"{name} is larger than the {limit:,} bytes the course accepts")
    return data, changed


def printable(text: object, limit: int = 200) -> str:
    """Untrusted text made safe to print on a tutor's terminal: control characters (terminal
    escapes, newlines) shown as escapes, and cut at ``limit`` characters."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
