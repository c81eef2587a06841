"""nbgrader's configuration as its own apps find it, for the trainee's side (submit, fetch) and
the tutor's (gradebook, grading) alike. Imports traitlets and jupyter_core only, not nbgrader."""

from __future__ import annotations

from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader


class NotACohort(FileNotFoundError):
    """The folder given as a cohort's course directory is none (no ``nbgrader_config.py``), or holds
    no nbgrader gradebook yet."""


def load_nbgrader_config(*extra_dirs: Path) -> Config:
    """nbgrader's configuration as its own apps see it: Jupyter config dirs, then ``extra_dirs``."""
    config = Config()
    for folder in [*reversed(jupyter_config_path()), *map(str, extra_dirs)]:
        for loader, name in (
            (JSONFileConfigLoader, "nbgrader_config.json"),
            (PyFileConfigLoader, "nbgrader_config.py"),
        ):
            if (Path(folder) / name).is_file():
                config.merge(loader(name, path=str(folder)).load_config())
    return config
