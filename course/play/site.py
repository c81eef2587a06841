"""The folder a landing page is served from: the self-study site or a trainee's own folder.

Self-study (`course serve`): ``index.ipynb`` beside ``practice/<module>/``. Assessed (`course
serve --root FOLDER`): ``index.ipynb`` beside the modules the trainee fetched with nbgrader,
``<module>/``. Either way each module folder carries its ``module.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..documents import Catalog, PolicyStamp, read_catalog
from ..paths import PRACTICE_DIR
from ..status import Mode
from .exchange import ExchangeProblem, submissions
from .progress import ModuleProgress, course_progress

PRACTICE_FOLDER = PRACTICE_DIR.name  # beside the landing page, as `course build` writes it
PROFILE_FILE = "profile.json"  # the trainee's name as it should appear on the certificate


@dataclass(frozen=True)
class Site:
    root: Path  # where the landing page is
    modules_dir: Path  # where the module folders are
    catalog: Catalog
    learner: Path | None  # the self-study learner's own folder; None: answers beside the pages

    @property
    def assessed(self) -> bool:
        return any(m["mode"] == Mode.ASSESSED for m in self.catalog["modules"])

    @property
    def policy(self) -> PolicyStamp:
        """The policy the modules teach (a site has modules, so their documents name it)."""
        return self.catalog["policy"]  # type: ignore[return-value]

    def href(self, module_id: str, page_id: str) -> str:
        """A link from the landing page (or the certificate) to a page of a module."""
        prefix, path = self.modules_dir.relative_to(self.root).as_posix(), f"{module_id}/{page_id}.ipynb"
        return path if prefix == "." else f"{prefix}/{path}"

    @property
    def profile(self) -> Path:
        return (self.learner or self.modules_dir) / PROFILE_FILE

    @property
    def saved_name(self) -> str:
        """The name the trainee typed on the certificate page ("" if none, or unreadable)."""
        try:
            name = json.loads(self.profile.read_text(encoding="utf-8")).get("name", "")
        except (OSError, ValueError, AttributeError):
            return ""
        return name if isinstance(name, str) else ""

    def progress(self) -> tuple[list[ModuleProgress], str]:
        """Every module's progress, and a problem to tell the trainee about ("" if none):
        when assessed, what has been submitted comes from nbgrader's exchange."""
        if not self.assessed:
            return course_progress(self.modules_dir, self.catalog, self.learner), ""
        try:
            submitted = submissions(self.root)
        except ExchangeProblem as exc:
            problem = f"Could not check your submissions: {exc}"
            return course_progress(self.modules_dir, self.catalog, self.learner), problem
        return course_progress(self.modules_dir, self.catalog, self.learner, submitted), ""


def open_site(root: Path, learner: Path | None) -> Site | None:
    """The site served from ``root`` as ``learner`` (their own folder, see ``Site.learner``) sees
    it, or None when no module has been built or fetched there."""
    for modules_dir in (root / PRACTICE_FOLDER, root):
        catalog = read_catalog(modules_dir)
        if catalog["modules"]:
            return Site(root, modules_dir, catalog, learner)
    return None
