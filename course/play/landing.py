"""The course landing page: policy version, each module's status and time, and where to go on."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from ..build.notebooks import CATALOG_FILE, read_catalog
from ..policy import load_policy
from .progress import COMPLETED, IN_PROGRESS, NOT_STARTED, ModuleProgress, continue_target, course_progress

PRACTICE_FOLDER = "practice"


def _href(module_id: str, page_id: str) -> str:
    return f"{PRACTICE_FOLDER}/{escape(module_id)}/{escape(page_id)}.ipynb"


def _continue_html(progress: list[ModuleProgress]) -> str:
    target = continue_target(progress)
    if target is None:
        return (
            '<p class="mip-continue">You have completed every module. '
            '<a href="certificate.ipynb">Get your CPD certificate</a>.</p>'
        )
    module, page = target
    started = any(m.status != NOT_STARTED for m in progress)
    label = "Continue where you left off" if started else "Start the course"
    return (
        f'<p class="mip-continue"><a href="{_href(module.id, page.id)}">{label}: '
        f"{escape(page.title)}</a> <span>({escape(module.title)})</span></p>"
    )


def landing_html(catalog: dict[str, Any], progress: list[ModuleProgress]) -> str:
    policy = load_policy()
    modules = []
    for module, state in zip(catalog["modules"], progress, strict=True):
        links = "".join(
            f'<li><a href="{_href(module["id"], p.id)}">{escape(p.title)}</a>'
            + (
                f' <span class="mip-page-status">({p.status})</span>'
                if p.status in (IN_PROGRESS, COMPLETED)
                else ""
            )
            + "</li>"
            for p in state.pages
        )
        modules.append(
            f'<section class="mip-module" aria-labelledby="m-{escape(module["id"])}">'
            f'<h2 id="m-{escape(module["id"])}">{escape(module["title"])}</h2>'
            f'<p class="mip-module-status">Status: <strong>{state.status}</strong> · '
            f"{state.done} of {len(state.graded)} done · "
            f"estimated time {module['cpd_minutes']} minutes (CPD)</p>"
            f"<p>{escape(module['summary'])}</p><ol>{links}</ol></section>"
        )
    return (
        f'<main class="mip-landing"><h1>{escape(policy.organisation)}: {escape(policy.title)}</h1>'
        f"<p>An interactive course on the policy, version {escape(catalog['policy_version'])} "
        f"(last reviewed {escape(policy.last_reviewed)}). Each scenario is a situation you could "
        "meet online: read it, decide what to do, see what follows, and reflect on your choice. "
        "In self-study you get feedback straight away, and your answers are saved as you go.</p>"
        f"{_continue_html(progress)}{''.join(modules)}</main>"
    )


def show_landing(folder: Path | None = None) -> None:
    practice = (folder or Path.cwd()) / PRACTICE_FOLDER
    if not (practice / CATALOG_FILE).exists():
        display(
            widgets.HTML(
                "<p role='alert'>The course has not been built yet: run <code>course build</code>.</p>"
            )
        )
        return
    catalog = read_catalog(practice)
    # An HTML widget, not an HTML output: JupyterLab's output renderer would turn every link
    # into target="_blank", breaking the back button and plain navigation.
    display(widgets.HTML(landing_html(catalog, course_progress(practice, catalog))))
