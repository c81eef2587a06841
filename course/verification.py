"""The course server's certificate routes: the PDF download, and the page that verifies one.

``certificate.pdf``: the certificate of the learner whose cookie comes with the request (self-study)
or of the folder served (a trainee's own server), made from their progress on the server, signed
with the server's secret (``course.credential``). ``verify?c=...``: what a signed certificate
states, confirmed, or a plain refusal if the link was changed. Neither needs an account.
"""

from __future__ import annotations

import asyncio
from datetime import date
from html import escape
from pathlib import Path
from urllib.parse import quote

from tornado.web import RequestHandler

from .certificate_pdf import certificate_pdf
from .credential import CertificateInvalid, certificate_number, load_secret, sign, verify
from .play.award import certificate_for, hours_minutes, long_date
from .play.learner import LEARNER_COOKIE, valid_learner_id
from .play.site import open_site

PDF_ROUTE, VERIFY_ROUTE = "certificate.pdf", "verify"
PDF_NAME = "mip-cpd-certificate.pdf"


def page(title: str, body: str, style: str = "") -> str:
    """A small standalone page in the course's colours: nothing loaded from elsewhere. ``style``:
    CSS rules of the page's own, after the shared ones."""
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{escape(title)} - MIP Social Media Policy</title><style>"
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2d3a;"
        "max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;font-size:1rem}"
        "h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}"
        "th,td{text-align:left;border-bottom:1px solid #c6cbd1;padding:.4rem .5rem}"
        ".ok{border-left:6px solid #1b6e3a;padding-left:1rem}.bad{border-left:6px solid #a4262c;"
        "padding-left:1rem}a{color:#0b57d0}a:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}"
        f"{style}</style></head><body><main>{body}</main></body></html>"
    )


class LearnerHandler(RequestHandler):
    """A route answered from the requesting learner's progress (or the folder served), refusing
    in plain words."""

    def initialize(self, root: Path, progress: Path) -> None:
        self.root, self.progress = root, progress

    def refuse(self, status: int, title: str, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page(title, f'<h1>{escape(title)}</h1><p class="bad">{escape(text)}</p>'))

    def learner(self) -> Path | None:
        """The requesting learner's own folder, by their cookie (self-study); None without one:
        then the answers beside the pages are read (as they always are for assessed modules)."""
        learner = valid_learner_id(self.get_cookie(LEARNER_COOKIE))
        return self.progress / learner if learner else None

    def send_pdf(self, data: bytes, name: str) -> None:
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.set_header("Cache-Control", "no-store")  # it is this learner's own
        self.finish(data)


class CertificatePdfHandler(LearnerHandler):
    """The requesting learner's certificate as a PDF download."""

    async def get(self) -> None:
        base = f"{self.request.protocol}://{self.request.host}{self.settings.get('base_url', '/')}"
        made = await asyncio.get_running_loop().run_in_executor(None, self._make, self.learner(), base)
        if isinstance(made, str):
            self.refuse(404, "No certificate yet", made)
            return
        self.send_pdf(made, PDF_NAME)

    def _make(self, learner: Path | None, base: str) -> bytes | str:
        """The PDF, or why there is none (in a worker thread: reading progress and drawing take
        a moment, which the server's other pages should not wait for)."""
        site = open_site(self.root, learner)
        if site is None:
            return "This course has no modules yet."
        progress, _ = site.progress()
        cert = certificate_for(site.saved_name.strip(), site.catalog, progress, date.today())
        if cert is None:
            return "Complete every scenario of a module and pass its knowledge check to receive one."
        if not cert.name:
            return "Type your name on the certificate page first: the certificate is made out to it."
        token = sign(cert, load_secret(self.progress))
        return certificate_pdf(cert, certificate_number(token), f"{base}{VERIFY_ROUTE}?c={quote(token)}")


class VerifyHandler(LearnerHandler):
    """What a certificate's link says, once its signature is checked."""

    def get(self) -> None:
        token = self.get_query_argument("c", "")
        try:
            stated = verify(token, load_secret(self.progress))
        except CertificateInvalid:
            self.refuse(
                400,
                "Certificate not verified",
                "This link does not verify: the certificate was changed, or it was not issued by this "
                "course. Ask the holder for the link printed on their certificate.",
            )
            return
        rows = "".join(
            f"<tr><td>{escape(str(title))}</td><td>{hours_minutes(int(minutes))}</td></tr>"
            for title, minutes in stated["modules"]
        )
        total = hours_minutes(sum(int(minutes) for _, minutes in stated["modules"]))
        completed = long_date(date.fromisoformat(stated["completed"]))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            page(
                "Certificate verified",
                "<h1>Certificate verified</h1>"
                f'<p class="ok">This certificate, number <strong>{certificate_number(token)}</strong>, was '
                f"issued by this course server of the {escape(stated['issuer'])}.</p>"
                f"<p>It certifies that <strong>{escape(stated['name'])}</strong> completed, on {completed}, "
                f"these modules of the interactive course on the {escape(stated['issuer'])} "
                f"{escape(stated['course'])}, version {escape(stated['policy'])}:</p>"
                '<table><caption>Modules completed</caption><thead><tr><th scope="col">Module</th>'
                f'<th scope="col">CPD time</th></tr></thead><tbody>{rows}</tbody></table>'
                f"<p>Total CPD time: <strong>{total}</strong>.</p>"
                "<p>If what the certificate in front of you says differs from this page, it was changed "
                "after it was issued.</p>",
            )
        )
