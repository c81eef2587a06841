"""A CPD certificate, made locally as a printable page: name, modules completed with their CPD
minutes, the date, the total CPD hours and the policy version the course teaches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from ..documents import Catalog, PolicyStamp
from ..status import PageStatus
from .progress import ModuleProgress
from .site import open_site

MAX_NAME = 120


@dataclass(frozen=True)
class Certificate:
    name: str
    modules: list[tuple[str, int]]  # (title, CPD minutes) of each completed module
    completed_on: date
    policy: PolicyStamp

    @property
    def cpd_hours(self) -> float:
        return round(sum(minutes for _, minutes in self.modules) / 60, 1)


def certificate_for(
    name: str, catalog: Catalog, progress: list[ModuleProgress], today: date
) -> Certificate | None:
    """None until at least one module is complete: every page finished and the knowledge check
    passed (when assessed, as the tutor's released feedback says). The date is the last
    completion's date. A module due for a retake (the policy changed since) is not listed until
    retaken."""
    minutes = {m["id"]: m["cpd_minutes"] for m in catalog["modules"]}
    done = [m for m in progress if m.progress == PageStatus.COMPLETED and m.passed]  # submitted or not
    if not done:
        return None
    stamps = [p.updated for m in done for p in m.graded if p.updated]
    completed_on = max((date.fromisoformat(s[:10]) for s in stamps), default=today)
    return Certificate(
        name, [(m.title, minutes[m.id]) for m in done], completed_on, catalog["policy"]
    )


def certificate_html(cert: Certificate) -> str:
    policy = cert.policy
    rows = "".join(
        f"<tr><td>{escape(title)}</td><td>{minutes} min</td></tr>" for title, minutes in cert.modules
    )
    return (
        '<section class="mip-certificate" aria-labelledby="mip-cert-title">'
        f'<h2 id="mip-cert-title">Certificate of completion</h2>'
        f'<p>This certifies that</p><p class="mip-cert-name">{escape(cert.name) or "(your name)"}</p>'
        f"<p>has completed the following modules of the interactive course on the "
        f"{escape(policy['organisation'])} {escape(policy['title'])}, "
        f"version {escape(policy['version'])}:</p>"
        f'<table><caption>Modules completed</caption><thead><tr><th scope="col">Module</th>'
        f'<th scope="col">CPD time</th></tr></thead><tbody>{rows}</tbody></table>'
        f"<p>Total CPD: <strong>{cert.cpd_hours:g} hours</strong>. "
        f"Completed on {cert.completed_on.strftime('%-d %B %Y')}.</p></section>"
    )


class CertificatePage:
    def __init__(self, folder: Path, today: date | None = None):
        site = open_site(folder)
        if site is None:
            raise FileNotFoundError(f"no course modules in {folder}: build the course first")
        self.catalog, self.profile = site.catalog, site.profile
        # Progress does not change while the trainee types a name: read the answers once.
        self.progress, _ = site.progress()
        self.today = today or date.today()
        saved = (
            json.loads(self.profile.read_text(encoding="utf-8")).get("name", "")
            if self.profile.exists()
            else ""
        )
        self.name = widgets.Text(value=saved, description="Your name", placeholder="As it should appear")
        self.name.add_class("mip-name")
        self.name.observe(self._on_name, names="value")
        self.body = widgets.HTML()
        self.view = widgets.VBox(
            [
                widgets.HTML(
                    "<p>Type your name as it should appear, then print this page or save it as PDF with "
                    "your browser's Print command (Ctrl+P).</p>"
                ),
                self.name,
                self.body,
            ]
        )
        self.view.add_class("mip-certificate-page")
        self._render()

    def _on_name(self, change: dict[str, Any]) -> None:
        name = change["new"][:MAX_NAME]
        self.profile.parent.mkdir(parents=True, exist_ok=True)
        self.profile.write_text(json.dumps({"name": name}), encoding="utf-8")
        self._render()

    def _render(self) -> None:
        cert = certificate_for(self.name.value[:MAX_NAME], self.catalog, self.progress, self.today)
        self.body.value = (
            certificate_html(cert)
            if cert
            else (
                '<p class="mip-no-certificate">Complete every scenario and the knowledge check of a '
                'module to receive a certificate for it. <a href="index.ipynb">Back to the course</a>.</p>'
            )
        )


def show_certificate(folder: Path | None = None) -> None:
    display(CertificatePage(folder or Path.cwd()).view)
