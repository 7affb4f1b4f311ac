"""Onboarding in a real browser (Debian chromium + Playwright against `papersift serve`).

Sign up, land on the onboarding page, pick a category and paste a paper (the XSS-probe title, so
escaping is exercised: a script that ran would open a dialog and fail the test), rate a round,
and see the ratings drive the recommendations. Same server and skip rules as test_browser.py.
"""

from __future__ import annotations

import pytest

from tests.community.factories import XSS_TITLE
from tests.web.test_browser import SHOTS, browser, page, server, sign_up_in_browser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

from playwright.sync_api import Page, expect  # noqa: E402


def test_new_user_rates_ten_papers_and_gets_recommendations(server: str, page: Page) -> None:  # noqa: F811
    base = server
    sign_up_in_browser(page, base, "onboard@example.org", "", lands="/account/onboarding")  # no next: onboarding
    expect(page.get_by_role("heading", name="Tune your recommendations")).to_be_visible()
    expect(page.locator("#rate-form")).to_have_count(0)  # nothing known yet
    page.locator('input[name="category"]').first.check()
    page.get_by_label("Papers you like").fill(f"2405.00002\n{XSS_TITLE}\nno such paper at all")
    page.get_by_role("button", name="Find papers to rate").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Found 2 papers and rated them relevant")
    expect(status.get_by_role("link", name=XSS_TITLE)).to_be_visible()  # shown as text
    expect(status).to_contain_text("Nothing found for: no such paper at all")
    questions = page.locator("#rate-form .question")
    expect(questions).to_have_count(10)
    page.screenshot(path=SHOTS / "onboarding.png", full_page=True)
    for i in range(10):
        questions.nth(i).get_by_label("Not relevant" if i % 2 else "Relevant", exact=True).check()
    page.get_by_role("button", name="Save ratings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved 10 ratings")
    expect(page.locator("#rated-h")).to_be_visible()
    expect(page.locator("#rate-form .question")).to_have_count(10)  # the next round is ready
    page.goto(base + "/recommendations")
    expect(page.get_by_text("which you rated relevant").first).to_be_visible()
    page.goto(base + "/account")
    page.get_by_role("link", name="Tune your recommendations (rate papers)").click()
    page.wait_for_url(base + "/account/onboarding")
