"""Progress carried to another device with the resume code, in real headless Chromium (Debian's):
a learner plays a scenario on a laptop, reads the code on the landing page, and continues on a
phone, whose landing page and scenario then show the laptop's progress."""

from __future__ import annotations

import re

import pytest

from .conftest import LAPTOP, PHONE, axe_violations, best_option, ending_of, voila, walk_model, watch

MODULE = "05-must-not"
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def module_status(page) -> str:
    section = page.locator(f"section[aria-labelledby='m-{MODULE}']")
    section.wait_for(timeout=60_000)
    return section.inner_text()


def resume_sentence(page) -> str:
    line = page.locator(".mip-resume")
    line.wait_for(timeout=60_000)
    return " ".join(line.inner_text().split())


def test_a_resume_code_carries_progress_from_a_laptop_to_a_phone(practice_site, browser, course, shots):
    scn = course.module(MODULE).scenarios[0]
    picked = walk_model(scn, best_option)
    ending = next(e for e in scn.endings if e.id == ending_of(scn, picked).id)
    with voila(practice_site) as server:
        url = server.url
        laptop = browser.new_context(**LAPTOP)
        page = laptop.new_page()
        seen = watch(page)
        page.goto(f"{url}/")
        page.locator(f"section[aria-labelledby='m-{MODULE}'] summary").click()  # pages on demand
        page.get_by_role("link", name=scn.title).click()
        page.wait_for_selector(".mip-confirm", timeout=60_000)
        for n, (step, option) in enumerate(picked):
            page.get_by_role("heading", name=step.prompt).wait_for()
            page.get_by_role("radio", name=option.text).check()
            page.get_by_role("button", name="Confirm choice").click()
            page.locator(".mip-chosen").nth(n).wait_for()
        page.get_by_role("heading", name=ending.title).wait_for()

        page.get_by_role("link", name="Back to the course").first.click()
        assert "Status: in progress" in module_status(page)
        said = resume_sentence(page)
        code = page.locator(".mip-resume-code").inner_text()
        assert CODE.fullmatch(code)
        assert said == (
            "Your progress is kept on this course server, linked to this browser. To carry on in another "
            f"browser or device, open the resume page there and enter your resume code: {code} "
            "(or send yourself a link that fills it in)."
        )
        assert "saved on this course server" in page.locator(".mip-landing").inner_text()
        assert (
            page.locator(".mip-resume").bounding_box()["y"]
            < page.locator(".mip-certificate-link").bounding_box()["y"]
        )
        audited = {"landing, laptop": axe_violations(page)}
        page.screenshot(path=shots / "landing-resume.png")
        laptop_learner = server.learner_folder(page)
        page.goto(f"{url}/resume")
        page.get_by_label("Resume code").wait_for()
        audited["resume page, laptop"] = axe_violations(page)

        # The phone: a browser of its own, so far another learner with nothing done.
        phone = browser.new_context(**PHONE)
        mobile = phone.new_page()
        seen_mobile = watch(mobile)
        mobile.goto(f"{url}/")
        assert "Status: not started" in module_status(mobile)
        mobile.get_by_role("link", name="Start module 1").wait_for()
        phone_code = mobile.locator(".mip-resume-code").inner_text()
        assert phone_code != code  # its own, until it resumes the laptop's
        audited["landing, phone"] = axe_violations(mobile)
        mobile.get_by_role("link", name="the resume page").click()
        field = mobile.get_by_label("Resume code")
        field.wait_for()
        assert mobile.title() == "Resume your progress - MIP Social Media Policy"
        audited["resume page, phone"] = axe_violations(mobile)
        mobile.screenshot(path=shots / "resume-phone.png", full_page=True)

        # A slip in the code is refused in words, and the phone stays who it was.
        wrong = ("1" if code[0] != "1" else "2") + code[1:]
        field.fill(wrong)
        mobile.get_by_role("button", name="Resume my progress").click()
        mobile.get_by_text("No progress on this course server has the resume code").wait_for()
        assert mobile.get_by_label("Resume code").input_value() == wrong
        audited["resume page refusing, phone"] = axe_violations(mobile)
        assert server.learner_folder(mobile) != laptop_learner
        # The refusal's status (404) is the one thing the browser's console reports.
        assert [e for e in seen_mobile.errors if "404 (Not Found)" not in e] == []
        assert len(seen_mobile.errors) == 1
        seen_mobile.errors.clear()

        # The code as someone types it on a phone: small letters, no dashes.
        mobile.get_by_label("Resume code").fill(code.replace("-", " ").lower())
        mobile.get_by_role("button", name="Resume my progress").click()
        mobile.wait_for_url(re.compile(r"/voila/render/index\.ipynb$"))
        assert "Status: in progress" in module_status(mobile)
        mobile.get_by_role("link", name=f"Continue: {course.module(MODULE).scenarios[1].title}").wait_for()
        assert mobile.locator(".mip-resume-code").inner_text() == code
        assert server.learner_folder(mobile) == laptop_learner
        audited["landing after resuming, phone"] = axe_violations(mobile)

        # The laptop's choices, on the phone.
        mobile.get_by_role("link", name=scn.title).click()
        mobile.locator(".mip-chosen").nth(len(picked) - 1).wait_for(timeout=60_000)
        assert mobile.locator(".mip-chosen").count() == len(picked)
        mobile.get_by_role("heading", name=ending.title).wait_for()
        chosen = mobile.locator(".mip-chosen").all_inner_texts()
        assert all(option.text in text for (_, option), text in zip(picked, chosen, strict=True))

        assert audited == {name: [] for name in audited}
        assert seen.errors == seen_mobile.errors == [] and seen.external == seen_mobile.external == []
        laptop.close()
        phone.close()
