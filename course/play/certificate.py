"""The certificate page: the trainee's name, the modules completed with their CPD time and learning
outcomes, the total, the date and the policy version; a PDF made by the server to download (with
its number and a verification link), and a way back to the course."""

from __future__ import annotations

import json
import os
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from .award import MAX_NAME, Certificate, certificate_for, hours_minutes, long_date
from .learner import learner_root
from .site import open_site

# The server's certificate routes (course/verification.py), from the page at voila/render/.
PDF_LINK = "../../certificate.pdf"
LANDING_LINK = "index.ipynb"


def certificate_html(cert: Certificate) -> str:
    policy = cert.policy
    rows = "".join(
        f"<tr><td>{escape(m.title)}</td><td>{escape(m.outcome)}</td><td>{hours_minutes(m.minutes)}</td></tr>"
        for m in cert.modules
    )
    return (
        '<section class="mip-certificate" aria-labelledby="mip-cert-title">'
        f'<p class="mip-cert-issuer">{escape(policy["organisation"])}</p>'
        f'<h2 id="mip-cert-title">Certificate of Continuing Professional Development</h2>'
        f'<p>This certifies that</p><p class="mip-cert-name">{escape(cert.name) or "(your name)"}</p>'
        f"<p>has completed the following modules of the interactive course on the "
        f"{escape(policy['organisation'])} {escape(policy['title'])}, "
        f"version {escape(policy['version'])}, each with a knowledge check passed at its pass mark:</p>"
        f'<table><caption>Modules completed</caption><thead><tr><th scope="col">Module</th>'
        f'<th scope="col">Learning outcome</th><th scope="col">CPD time</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        f"<p>Total CPD time: <strong>{hours_minutes(cert.minutes)}</strong>. "
        f"Completed on {long_date(cert.completed_on)}.</p></section>"
    )


class CertificatePage:
    def __init__(self, folder: Path, today: date | None = None):
        site = open_site(folder, learner_root())
        if site is None:
            raise FileNotFoundError(f"no course modules in {folder}: build the course first")
        self.catalog, self.profile = site.catalog, site.profile
        # Progress does not change while the trainee types a name: read the answers once.
        self.progress, _ = site.progress()
        self.today = today or date.today()
        self.name = widgets.Text(
            value=site.saved_name, description="Your name", placeholder="As it should appear"
        )
        self.name.add_class("mip-name")
        self.name.observe(self._on_name, names="value")
        self.body = widgets.HTML()
        # On the hub the PDF is issued by the course's certificate service from the tutor's
        # records, to the name the course has for the trainee (course/hub/certificates.py).
        self.on_hub = bool(os.environ.get("JUPYTERHUB_USER"))
        how = (
            "The PDF is issued by the course from your tutor's records, made out to your name as "
            "your tutor registered it; this page shows the name you type."
            if self.on_hub
            else "Type your name as it should appear. Then download the certificate as a PDF:"
        )
        intro = widgets.HTML(
            f'<h1 class="mip-page-title">Your CPD certificate</h1><p>{how} The PDF carries a '
            "certificate number and a link (and QR code) that anyone you show it to can use to check "
            "it with the course. You can also print this page.</p>"
        )
        intro.add_class("mip-cert-intro")  # not printed: the certificate is
        self.view = widgets.VBox([intro, self.name, self.body])
        self.view.add_class("mip-certificate-page")
        self._render()

    def _on_name(self, change: dict[str, Any]) -> None:
        name = change["new"][:MAX_NAME]
        self.profile.parent.mkdir(parents=True, exist_ok=True)
        self.profile.write_text(json.dumps({"name": name}), encoding="utf-8")
        self._render()

    def _render(self) -> None:
        cert = certificate_for(self.name.value[:MAX_NAME], self.catalog, self.progress, self.today)
        back = f'<p class="mip-back"><a href="{LANDING_LINK}">Back to the course</a></p>'
        if cert is None:
            self.body.value = (
                '<p class="mip-no-certificate">Complete every scenario of a module and pass its knowledge '
                f"check to receive a certificate for it.</p>{back}"
            )
            return
        if cert.name.strip() or self.on_hub:
            download = (
                f'<p class="mip-download"><a href="{PDF_LINK}" download>Download certificate (PDF)</a></p>'
            )
        else:
            download = '<p class="mip-download">Type your name above to download the certificate.</p>'
        self.body.value = f"{certificate_html(cert)}{download}{back}"


def show_certificate(folder: Path | None = None) -> None:
    display(CertificatePage(folder or Path.cwd()).view)
