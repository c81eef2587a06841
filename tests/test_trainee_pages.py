"""A trainee's pages as the UX review tried them, in Debian's Chromium at 1280x800 and on a phone
(390x844, touch): a header that stays, the outcome in focus after Confirm, a visible focus ring,
one clear way on, text and targets large enough on a phone, and a page that says so when its
kernel is gone."""

from __future__ import annotations

import urllib.request

import pytest

from benchmarks.page_speed import kernel_process, page_kernel_id

from .conftest import LAPTOP, PHONE, axe_violations, voila, watch

MODULE = "05-must-not"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory, course):
    from course.build.notebooks import build_course
    from course.paths import NOTEBOOKS_DIR

    site = tmp_path_factory.mktemp("pages") / "site"
    site.mkdir()
    for authored in ("index.ipynb", "certificate.ipynb"):
        (site / authored).write_bytes((NOTEBOOKS_DIR / authored).read_bytes())
    build_course(course, source_dir=None, practice_dir=site / "practice")
    with voila(site) as running:
        yield running


def scenario_url(server, scn) -> str:
    return f"{server.url}/voila/render/practice/{MODULE}/{scn.id}.ipynb"


def luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    la, lb = (luminance(tuple(float(x) for x in c[c.index("(") + 1 : -1].split(",")[:3])) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def open_scenario(server, browser, scn, device=LAPTOP):
    """A new browser context on the scenario's page, once its kernel has drawn it."""
    page = browser.new_context(**device).new_page()
    page.goto(scenario_url(server, scn))
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    return page


def choose_first(page) -> None:
    page.locator(".mip-options input[type=radio]").first.check()
    page.get_by_role("button", name="Confirm choice").click()


@pytest.mark.parametrize("device", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_header_is_there_while_loading_and_stays_while_scrolling(server, browser, course, device):
    module = course.module(MODULE)
    scn = module.scenarios[0]
    # Before any kernel has run: the page as served already says where the trainee is.
    served = urllib.request.urlopen(scenario_url(server, scn), timeout=120).read().decode()
    head = served[served.index('<header class="mip-header">') : served.index("</header>")]
    assert module.module.title in head and "MIP Social Media Policy" in head
    pages = 1 + len(module.items)
    assert f"Page {1 + module.items.index(scn) + 1} of {pages}" in head
    assert "Self-study" in head and served.index("</header>") < served.index('id="loading"')

    context = browser.new_context(**device)
    page = context.new_page()
    page.goto(scenario_url(server, scn))
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    header = page.locator("header.mip-header")
    assert header.get_by_role("link", name="MIP Social Media Policy").get_attribute("href") == (
        "../../index.ipynb"
    )
    # The document scrolls (PageDown works), and the header stays at the top of the window.
    page.evaluate("() => window.scrollTo(0, document.scrollingElement.scrollHeight)")
    page.wait_for_function("() => window.scrollY > 200")
    box = header.bounding_box()
    assert box is not None and box["y"] == 0 and box["height"] < 120
    assert header.is_visible()
    # One term for the mode, in one badge (on a phone the term alone, its meaning after it).
    badge = header.locator(".mip-badge")
    assert badge.count() == 1 and badge.inner_text().startswith("Self-study")
    if device is LAPTOP:
        assert badge.inner_text() == "Self-study: feedback straight away"
    assert page.locator(".mip-where").count() == 0  # no second line naming the module again
    assert axe_violations(page) == []
    context.close()


def test_focus_is_visible_and_moves_to_the_outcome_and_the_next_page_is_one_button(server, browser, course):
    scn = course.module(MODULE).scenarios[0]
    page = open_scenario(server, browser, scn)
    # The radios of a question are one group: one Tab stop, arrows to move within it.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.mip-options input[type=radio]')].every(e => e.name)"
    )
    names = page.eval_on_selector_all(".mip-options input[type=radio]", "els => els.map(e => e.name)")
    assert len(names) == len(scn.step(scn.start).options) and len(set(names)) == 1
    page.locator(".mip-options input[type=radio]").first.check()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Confirm choice"
    ring = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset]; }"""
    )
    assert ring[0] == "solid" and float(ring[1].removesuffix("px")) >= 3
    page_background = page.evaluate(
        "() => getComputedStyle(document.querySelector('.jp-Cell')).backgroundColor"
    )
    background = page_background if "0, 0, 0, 0" not in page_background else "rgb(255, 255, 255)"
    assert contrast(ring[2], background) >= 3  # WCAG 2.4.13: the ring against what is around it
    page.keyboard.press("Enter")
    page.locator(".mip-decision").first.wait_for()
    page.wait_for_function("() => document.activeElement.classList.contains('mip-decision')")
    assert "You chose" in page.evaluate("() => document.activeElement.innerText")
    assert page.locator(".mip-next").count() == 0 or not page.locator(".mip-next a").is_visible()
    for n in range(2, len(scn.steps) + 1):  # on to the ending, however long the path
        if not page.locator(".mip-confirm").is_visible():
            break
        choose_first(page)
        page.locator(".mip-decision").nth(n - 1).wait_for()
        page.wait_for_function(
            f"() => document.activeElement === document.querySelectorAll('.mip-decision')[{n - 1}]"
        )
    # The ending is reached: one primary "Next" that leads to the next page.
    following = page.locator(".mip-next a.mip-button")
    following.wait_for()
    assert following.inner_text().startswith("Next")
    target = following.get_attribute("href")
    following.click()
    page.wait_for_url(f"**/{target.rsplit('/', 1)[-1]}")
    page.context.close()


def test_the_next_page_takes_the_front_end_from_the_browsers_cache_without_asking_again(
    server, browser, course
):
    """Page after page, the browser asks the server for the page and its kernel only: the
    JupyterLab extensions' scripts, named by their content hash, are not revalidated (Voila sends
    them with no-cache, 17 round trips a page; course.hashed_assets)."""
    first, second = course.module(MODULE).scenarios[:2]
    page = open_scenario(server, browser, first)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    answered: dict[str, tuple[str, int]] = {}
    cached: set[str] = set()
    cdp.on(
        "Network.responseReceived",
        lambda e: answered.update({e["requestId"]: (e["response"]["url"], e["response"]["status"])}),
    )
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    page.goto(scenario_url(server, second))  # as the ending's Next link does
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    scripts = {rid: url for rid, (url, _) in answered.items() if "/voila/labextensions/" in url}
    assert len(scripts) >= 10  # the widgets' front end was loaded, from somewhere
    asked = sorted(url for rid, url in scripts.items() if rid not in cached)
    assert asked == [], f"asked the server again for {asked}"
    assert not [url for url, status in answered.values() if status == 304]
    page.context.close()


def test_on_a_phone_text_is_16px_and_targets_44px(server, browser, course):
    scn = course.module(MODULE).scenarios[0]
    page = open_scenario(server, browser, scn, PHONE)
    sizes = page.eval_on_selector_all(
        ".mip-situation p, .mip-prompt, .mip-options label",
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert sizes and min(sizes) >= 16
    for selector in (".mip-options label", ".mip-confirm", ".mip-nav a"):
        heights = page.eval_on_selector_all(
            selector, "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, (selector, heights)
    # No horizontal scrolling, and the reflection box fits its column.
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
    page.context.close()


def test_the_reflection_writes_in_the_page_font_and_is_named_by_its_prompt(server, browser, course):
    scn = course.module(MODULE).scenarios[0]
    page = open_scenario(server, browser, scn)
    box = page.get_by_role("textbox", name=scn.reflection.prompt)
    assert box.count() == 1
    fonts = page.evaluate(
        """() => [getComputedStyle(document.querySelector('.mip-reflection textarea')).fontFamily,
                  getComputedStyle(document.querySelector('.mip-situation p')).fontFamily]"""
    )
    assert fonts[0] == fonts[1] and "monospace" not in fonts[0]
    edges = page.evaluate(
        """() => { const t = document.querySelector('.mip-reflection textarea').getBoundingClientRect();
                   const c = document.querySelector('.mip-scenario').getBoundingClientRect();
                   return [t.right, c.right]; }"""
    )
    assert edges[0] <= edges[1] + 0.5  # not clipped at the right
    # Where it sits: after the decisions, and what it is for is said.
    order = page.evaluate(
        "() => [document.querySelector('.mip-prompt'), document.querySelector('.mip-reflection-title')]"
        ".map(e => e.getBoundingClientRect().top)"
    )
    assert order[0] < order[1]
    assert "not graded" in page.locator(".mip-reflection-status").inner_text()
    page.context.close()


@pytest.mark.parametrize("how", ["killed", "culled"])
def test_a_page_whose_kernel_is_gone_says_so_and_reload_brings_everything_back(server, browser, course, how):
    """Killed: the kernel dies under the page (the server restarts it, empty). Culled: the server
    shut it down while the tab slept. Either way the page says so, leaves no control that silently
    does nothing, and a Reload brings back what was saved."""
    scn = next(s for s in course.module(MODULE).scenarios if len(s.steps) > 1)
    context = browser.new_context(**LAPTOP)
    page = context.new_page()
    seen = watch(page)
    page.goto(scenario_url(server, scn))
    page.locator(".mip-confirm").wait_for(timeout=60_000)
    choose_first(page)
    chosen = page.locator(".mip-chosen").first
    chosen.wait_for()
    chosen_text = chosen.inner_text()
    page.get_by_text("Your answers are saved").wait_for()
    banner = page.locator("#mip-connection")
    assert not banner.is_visible()

    kernel_id = page_kernel_id(page)
    if how == "killed":
        kernel_process(kernel_id).kill()
    else:
        # What the idle cull does: the server shuts the kernel down (here through its own API).
        xsrf = next(c["value"] for c in context.cookies() if c["name"] == "_xsrf")
        request = urllib.request.Request(
            f"{server.url}/api/kernels/{kernel_id}",
            method="DELETE",
            headers={"X-XSRFToken": xsrf, "Cookie": f"_xsrf={xsrf}"},
        )
        assert urllib.request.urlopen(request, timeout=60).status == 204
        page.evaluate("() => window.dispatchEvent(new Event('focus'))")  # the laptop wakes up
    banner.wait_for(state="visible", timeout=60_000)
    text = banner.inner_text()
    assert "lost its connection" in text and "answers so far are saved" in text
    reload = page.get_by_role("button", name="Reload the page")
    assert page.evaluate("() => document.activeElement.textContent") == "Reload the page"
    # No dead controls: the page's own controls cannot be used, and no broken-link icons show.
    assert page.evaluate("() => document.getElementById('rendered_cells').inert")
    icons = page.eval_on_selector_all(
        ".jupyter-widgets-disconnected", "els => els.map(e => getComputedStyle(e, '::before').content)"
    )
    assert all(content in ("none", "normal") for content in icons)
    assert axe_violations(page) == []

    reload.click()
    page.locator(".mip-chosen").first.wait_for(timeout=60_000)
    assert page.locator(".mip-chosen").first.inner_text() == chosen_text
    assert not banner.is_visible()
    assert seen.external == []
    context.close()
