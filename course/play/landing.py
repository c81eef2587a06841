"""The course landing page: policy version, modules, and links to every scenario."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from ..build.notebooks import CATALOG_FILE
from ..policy import load_policy

PRACTICE_FOLDER = "practice"


def landing_html(catalog: dict[str, Any]) -> str:
    policy = load_policy()
    modules = []
    for module in catalog["modules"]:
        links = "".join(
            f'<li><a href="{PRACTICE_FOLDER}/{escape(module["id"])}/{escape(s["id"])}.ipynb">'
            f"{escape(s['title'])}</a></li>"
            for s in module["pages"]
        )
        modules.append(
            f'<section class="mip-module" aria-labelledby="m-{escape(module["id"])}">'
            f'<h2 id="m-{escape(module["id"])}">{escape(module["title"])}</h2>'
            f"<p>{escape(module['summary'])}</p>"
            f'<p class="mip-cpd">Estimated time: {module["cpd_minutes"]} minutes (CPD)</p>'
            f"<ol>{links}</ol></section>"
        )
    return (
        f'<main class="mip-landing"><h1>{escape(policy.organisation)}: {escape(policy.title)}</h1>'
        f"<p>An interactive course on the policy, version {escape(catalog['policy_version'])} "
        f"(last reviewed {escape(policy.last_reviewed)}). Each scenario is a situation you could "
        "meet online: read it, decide what to do, see what follows, and reflect on your choice. "
        "In self-study you get feedback straight away, and your answers are saved as you go.</p>"
        f"{''.join(modules)}</main>"
    )


def show_landing(folder: Path | None = None) -> None:
    catalog_path = (folder or Path.cwd()) / PRACTICE_FOLDER / CATALOG_FILE
    if not catalog_path.exists():
        display(
            widgets.HTML(
                "<p role='alert'>The course has not been built yet: run <code>course build</code>.</p>"
            )
        )
        return
    # An HTML widget, not an HTML output: JupyterLab's output renderer would turn every link
    # into target="_blank", breaking the back button and plain navigation.
    display(widgets.HTML(landing_html(json.loads(catalog_path.read_text(encoding="utf-8")))))
