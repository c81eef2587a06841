"""The course landing page: policy version, each module's status and time, and where to go on."""

from __future__ import annotations

from html import escape
from pathlib import Path

import ipywidgets as widgets
from IPython.display import display

from ..documents import READING
from ..status import PageStatus
from .award import certified
from .learner import learner_root
from .progress import ModuleProgress, continue_target, percent_text, places
from .site import Site, open_site

SHOWN_PAGE_STATES = (
    PageStatus.IN_PROGRESS,
    PageStatus.COMPLETED,
    PageStatus.NEEDS_RETAKE,
    PageStatus.BELOW_PASS_MARK,
)


def _continue_html(site: Site, progress: list[ModuleProgress]) -> str:
    target = continue_target(progress)
    if target is None:
        if site.assessed:
            return (
                '<p class="mip-continue">Every module released to you is submitted. Your tutor '
                "releases feedback once it is graded.</p>"
            )
        return '<p class="mip-continue">You have completed every module.</p>'
    module, page = target
    if page.status == PageStatus.NEEDS_RETAKE:
        label = "Retake, as the policy has changed"
    elif page.status == PageStatus.BELOW_PASS_MARK:
        label = "Retake the knowledge check, to reach the pass mark"
    elif any(m.status != PageStatus.NOT_STARTED for m in progress):
        label = "Continue where you left off"
    else:
        label = "Start the course"
    return (
        f'<p class="mip-continue"><a href="{escape(site.href(module.id, page.id))}">{label}: '
        f"{escape(page.title)}</a> <span>({escape(module.title)})</span></p>"
    )


def _status_note(site: Site, module: dict, state: ModuleProgress, policy_version: str) -> str:
    """What the status means for this module, in a sentence; "" when the status says it all."""
    if state.status == PageStatus.NEEDS_RETAKE:
        return (
            f'<p class="mip-retake">The policy was revised (version {escape(policy_version)}) in '
            f"{escape(places(module, state.changed_clauses))} since you completed this module: play "
            "the pages marked “needs retake” again.</p>"
        )
    if state.status == PageStatus.BELOW_PASS_MARK:
        check = next(p for p in state.graded if p.status == PageStatus.BELOW_PASS_MARK)
        return (
            f'<p class="mip-retake">You scored {percent_text(check.score)} in the knowledge check; the '
            f"pass mark is {module['pass_mark']}%. Revisit {escape(places(module, state.missed))} in "
            f'<a href="{escape(site.href(module["id"], READING))}">the reading</a>, then '
            f'<a href="{escape(site.href(module["id"], check.id))}">retake the check</a> '
            "(choose “Start again” on its page).</p>"
        )
    if state.status == PageStatus.FEEDBACK_READY and state.passed is not None:
        check = next(p for p in state.graded if p.passed is not None)
        result = (
            "passed: the module counts as completed"
            if state.passed
            else "not passed: revisit the reading and ask your tutor about a retake"
        )
        return (
            f'<p class="mip-submission">Submitted {escape(state.submission.timestamp[:16])}. Your tutor '
            f"has released feedback: open a scenario and choose “Get my feedback”. Knowledge check "
            f"{percent_text(check.score)} (pass mark {module['pass_mark']}%), {result}.</p>"
        )
    if state.submission is None:
        return ""
    when = escape(state.submission.timestamp[:16])
    if state.status == PageStatus.FEEDBACK_READY:
        return (
            f'<p class="mip-submission">Submitted {when}. Your tutor has released feedback: open '
            "a scenario and choose “Get my feedback”.</p>"
        )
    return f'<p class="mip-submission">Submitted {when}. Feedback comes once your tutor releases it.</p>'


def _module_html(site: Site, module: dict, state: ModuleProgress, policy_version: str) -> str:
    links = "".join(
        f'<li><a href="{escape(site.href(module["id"], p.id))}">{escape(p.title)}</a>'
        + (f' <span class="mip-page-status">({p.status})</span>' if p.status in SHOWN_PAGE_STATES else "")
        + "</li>"
        for p in state.pages
    )
    mid = escape(module["id"])
    return (
        f'<section class="mip-module" aria-labelledby="m-{mid}">'
        f'<h2 id="m-{mid}">{escape(module["title"])}</h2>'
        f'<p class="mip-module-status">Status: <strong>{state.status}</strong> · '
        f"{state.done} of {len(state.graded)} done · "
        f"estimated time {module['cpd_minutes']} minutes (CPD)</p>"
        f"{_status_note(site, module, state, policy_version)}"
        f"<p>{escape(module['summary'])}</p><ol>{links}</ol></section>"
    )


def _intro(site: Site) -> str:
    if site.assessed:
        return (
            "These are the modules your tutor has released to you. Your answers are saved as you "
            "go; when a module is finished, submit it from any of its pages. Feedback appears "
            "once your tutor has graded and released it."
        )
    kept = "in this browser" if site.learner else "on this computer"
    return (
        "Each scenario is a situation you could meet online: read it, decide what to do, see what "
        "follows, and reflect on your choice. In self-study you get feedback straight away, and "
        f"your answers are saved {kept} as you go."
    )


def _certificate_html(progress: list[ModuleProgress]) -> str:
    """The certificate, reachable at any time, with how much of the course it covers so far."""
    done, total = len(certified(progress)), len(progress)
    return (
        f'<p class="mip-certificate-link"><a href="certificate.ipynb">Your CPD certificate</a>: '
        f"{done} of {total} module{'' if total == 1 else 's'} completed with the knowledge check passed.</p>"
        '<p class="mip-reflections"><a href="../../reflections.pdf" target="_blank" rel="noopener">'
        "Download all my reflections (PDF)</a></p>"  # a new tab: leaving this one stops its kernel
    )


def landing_html(site: Site, progress: list[ModuleProgress], problem: str = "") -> str:
    policy, version = site.policy, site.catalog["policy_version"]
    modules = "".join(
        _module_html(site, module, state, version)
        for module, state in zip(site.catalog["modules"], progress, strict=True)
    )
    alert = f'<p class="mip-error" role="alert">{escape(problem)}</p>' if problem else ""
    return (
        f'<main class="mip-landing"><h1>{escape(policy["organisation"])}: {escape(policy["title"])}</h1>'
        f"<p>An interactive course on the policy, version {escape(version)} "
        f"(last reviewed {escape(policy['last_reviewed'])}). {_intro(site)}</p>"
        f"{alert}{_continue_html(site, progress)}{_certificate_html(progress)}{modules}</main>"
    )


def show_landing(folder: Path | None = None) -> None:
    site = open_site(folder or Path.cwd(), learner_root())
    if site is None:
        display(
            widgets.HTML(
                "<main class='mip-landing'><p role='alert'>No modules here yet: build the course "
                "(<code>course build</code>) or fetch a module your tutor has released.</p></main>"
            )
        )
        return
    # An HTML widget, not an HTML output: JupyterLab's output renderer would turn every link
    # into target="_blank", breaking the back button and plain navigation.
    display(widgets.HTML(landing_html(site, *site.progress())))
