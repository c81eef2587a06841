"""The course server's ``reflections.pdf``: every reflection the requesting learner has written
(self-study, by their cookie) or that the folder served holds (a trainee's own server), with the
scenarios' titles and prompts, as a PDF for their CPD log. Like the certificate, no account needed.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from .play.award import MAX_NAME
from .play.reflections import gather_reflections
from .play.site import open_site
from .reflections_pdf import reflections_pdf
from .verification import LearnerHandler

REFLECTIONS_ROUTE, REFLECTIONS_NAME = "reflections.pdf", "mip-cpd-reflections.pdf"


class ReflectionsPdfHandler(LearnerHandler):
    """Every reflection the requesting learner has written, as a PDF download: CPD evidence."""

    async def get(self) -> None:
        made = await asyncio.get_running_loop().run_in_executor(None, self._make, self.learner())
        if isinstance(made, str):
            self.refuse(404, "No reflections yet", made)
            return
        self.send_pdf(made, REFLECTIONS_NAME)

    def _make(self, learner: Path | None) -> bytes | str:
        """The PDF, or why there is none (in a worker thread, as the certificate's)."""
        site = open_site(self.root, learner)
        if site is None:
            return "This course has no modules yet."
        gathered = gather_reflections(site)
        if not gathered.entries:
            unread = ("Some saved answers could not be read:", *gathered.notes) if gathered.notes else ()
            return " ".join(
                (
                    "You have not written a reflection yet. Write one at the end of a scenario, then "
                    "download all of them here.",
                    *unread,
                )
            )
        name = site.saved_name.strip()[:MAX_NAME]
        return reflections_pdf(gathered, name, site.policy, date.today())
