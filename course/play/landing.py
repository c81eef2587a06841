"""The course landing page: policy version, each module's status and time, and where to go on."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import ipywidgets as widgets
from IPython.display import display

from ..documents import READING, ModuleDocument, PolicyStamp
from ..status import PageStatus
from .award import certified, hours_minutes
from .learner import learner_root
from .progress import ModuleProgress, PageProgress, continue_target, percent_text, places
from .resume import resume_html
from .site import Site, open_site

SHOWN_PAGE_STATES = (
    PageStatus.IN_PROGRESS,
    PageStatus.COMPLETED,
    PageStatus.NEEDS_RETAKE,
    PageStatus.BELOW_PASS_MARK,
)


def _continue_html(site: Site, progress: list[ModuleProgress]) -> str:
    """The landing page's one clear action: where to go on."""
    target = continue_target(progress)
    if target is None:
        if site.assessed:
            return (
                '<p class="mip-continue">Every module released to you is submitted. Your tutor '
                "releases feedback once it is graded.</p>"
            )
        return '<p class="mip-continue">You have completed every module.</p>'
    module, page = target
    position = next(m["position"] for m in site.catalog["modules"] if m["id"] == module.id)
    if page.status == PageStatus.NEEDS_RETAKE:
        label = f"Retake, as the policy has changed: {page.title}"
    elif page.status == PageStatus.BELOW_PASS_MARK:
        label = f"Retake the knowledge check, to reach the pass mark: {page.title}"
    elif any(m.status != PageStatus.NOT_STARTED for m in progress) or any(
        p.status != PageStatus.NOT_STARTED for m in progress for p in m.pages
    ):
        label = f"Continue: {page.title}"
    else:
        label = f"Start module {position}: {module.title}"
    where = "" if label.startswith("Start") else f" <span>Module {position}: {escape(module.title)}</span>"
    return (
        f'<p class="mip-continue"><a class="mip-button" href="{escape(site.href(module.id, page.id))}">'
        f"{escape(label)}</a>{where}</p>"
    )


def _bar(done: int, total: int, label_id: str) -> str:
    """A progress bar named by the heading or line it belongs to; the numbers are said in words
    beside it, so the bar adds a picture, not information."""
    return (
        f'<progress class="mip-bar" max="{max(total, 1)}" value="{done}" aria-labelledby="{label_id}">'
        f"{done} of {total}</progress>"
    )


def _status_note(site: Site, module: ModuleDocument, state: ModuleProgress, policy_version: str) -> str:
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


def _page_status(page: PageProgress) -> str:
    if page.id == READING:
        return ' <span class="mip-page-status">(read)</span>' if page.status == PageStatus.COMPLETED else ""
    if page.status in SHOWN_PAGE_STATES:
        return f' <span class="mip-page-status">({page.status})</span>'
    return ""


def _module_html(
    site: Site, module: ModuleDocument, state: ModuleProgress, policy_version: str, current: bool
) -> str:
    """A module's card: its status, progress, score and time; what it is about and its pages on
    demand (open for the module the trainee is in), so the page stays short on a phone."""
    links = "".join(
        f'<li><a href="{escape(site.href(module["id"], p.id))}">{escape(p.title)}</a>{_page_status(p)}</li>'
        for p in state.pages
    )
    mid = escape(module["id"])
    score = "" if state.score is None else f" · score so far {percent_text(state.score)}"
    pages = len(state.pages)
    return (
        f'<section class="mip-module" aria-labelledby="m-{mid}">'
        f'<h2 id="m-{mid}"><span class="mip-module-number">Module {module["position"]}</span> '
        f"{escape(module['title'])}</h2>"
        f'<p class="mip-module-status" id="s-{mid}">Status: <strong>{state.status}</strong> · '
        f"{state.done} of {len(state.graded)} done{score} · "
        f"{hours_minutes(module['cpd_minutes'])} (CPD)</p>"
        f"{_bar(state.done, len(state.graded), f's-{mid}')}"
        f"{_status_note(site, module, state, policy_version)}"
        f'<details class="mip-pages"{" open" if current else ""}><summary>About this module and its '
        f"{pages} pages</summary><p>{escape(module['summary'])}</p><ol>{links}</ol></details></section>"
    )


def _intro(site: Site) -> str:
    if site.assessed:
        return (
            "These are the modules your tutor has released to you. Your answers are saved as you "
            "go; when a module is finished, submit it from any of its pages. Feedback appears "
            "once your tutor has graded and released it."
        )
    kept = "on this course server" if site.learner else "on this computer"
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


def _review_cycle(policy: PolicyStamp) -> str:
    """What a trainee needs to trust the version taught: how often it is reviewed, and what
    happens when it changes (the review's finding m12)."""
    months = policy.get("review_every_months")
    if not months:
        return ""
    return (
        f" The policy is reviewed every {months} months. This course teaches the latest version the "
        "Institute has given it; when a new one is published, the course is updated and asks you to "
        "retake what changed."
    )


def _overview_html(site: Site, progress: list[ModuleProgress]) -> str:
    """The whole course at a glance: pages done, modules completed, the time it takes."""
    done = sum(m.done for m in progress)
    total = sum(len(m.graded) for m in progress)
    completed = len(certified(progress))
    minutes = sum(m["cpd_minutes"] for m in site.catalog["modules"])
    return (
        f'<p class="mip-course-progress" id="mip-course-progress">Your progress: <strong>{done} of '
        f"{total}</strong> scenarios and knowledge checks done · {completed} of {len(progress)} "
        f"module{'' if len(progress) == 1 else 's'} completed · about {hours_minutes(minutes)} in all "
        f"(CPD)</p>{_bar(done, total, 'mip-course-progress')}"
    )


def landing_html(site: Site, progress: list[ModuleProgress], problem: str = "") -> str:
    policy, version = site.policy, site.catalog["policy_version"]
    current = continue_target(progress)
    modules = "".join(
        _module_html(site, module, state, version, current is not None and current[0].id == state.id)
        for module, state in zip(site.catalog["modules"], progress, strict=True)
    )
    alert = f'<p class="mip-error" role="alert">{escape(problem)}</p>' if problem else ""
    return (
        f'<main class="mip-landing"><h1>{escape(policy["organisation"])}: {escape(policy["title"])}</h1>'
        f"<p>An interactive course on the policy, version {escape(version)} "
        f"(last reviewed {escape(policy['last_reviewed'])}).{_review_cycle(policy)} {_intro(site)}</p>"
        f'{alert}<section class="mip-overview" aria-label="Your progress">'
        f"{_overview_html(site, progress)}{_continue_html(site, progress)}{resume_html(site)}"
        f'{_certificate_html(progress)}</section><div class="mip-modules">{modules}</div></main>'
    )


HUB_LANDING = "../../course"  # a trainee's server on the hub: fetch what was released, then here


def _nothing_yet() -> str:
    """What an empty course folder says: on the hub, that the tutor has released nothing yet and
    where to look again (the server's /course route fetches); elsewhere, how to fill it."""
    if os.environ.get("JUPYTERHUB_USER"):
        return (
            "Your tutor has not released a module to you yet. Each module appears here once it is "
            f'released: <a href="{HUB_LANDING}">look again</a>, or come back when your tutor says so.'
        )
    return (
        "No modules here yet: build the course (<code>course build</code>) or fetch a module your "
        "tutor has released."
    )


def show_landing(folder: Path | None = None) -> None:
    site = open_site(folder or Path.cwd(), learner_root())
    if site is None:
        display(widgets.HTML(f"<main class='mip-landing'><p role='alert'>{_nothing_yet()}</p></main>"))
        return
    # An HTML widget, not an HTML output: JupyterLab's output renderer would turn every link
    # into target="_blank", breaking the back button and plain navigation.
    display(widgets.HTML(landing_html(site, *site.progress())))
