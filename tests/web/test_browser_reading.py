"""The reading queue and private notes in a real browser (chromium + Playwright) against
`papersift serve`: queue two papers from their pages, mark one seen, write a Markdown note
(an HTML probe stays text), reorder and remove on /reading, and hide seen papers in the feed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.web.test_browser import DOC_SHOTS, sign_up_in_browser
from tests.web.test_browser_discussion import browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
SCREENSHOT = DOC_SHOTS / "reading-queue.png"
FIRST, SECOND = "/papers/2405.00001", "/papers/2405.00002"


def test_queue_seen_and_notes_in_a_browser(server: str, browser: Browser) -> None:  # noqa: F811
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    sign_up_in_browser(page, server, "reader@example.org", FIRST)

    page.locator("#queue-button").click()
    expect(page.locator("#queue-button")).to_have_text("Remove from reading queue")
    page.locator("#seen-button").click()
    expect(page.locator("#seen-button")).to_have_text("Mark unseen")
    page.locator("#note-text").fill("Read **section 3** first.\n\n<img src=x onerror=alert(1)>")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#note-view strong")).to_have_text("section 3")
    expect(page.locator("#note-view")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#note-view img").count() == 0

    page.goto(server + SECOND)
    page.locator("#queue-button").click()
    page.goto(server + "/reading")
    titles = page.locator(".queued-title")
    expect(titles).to_have_count(2)
    first_title = titles.nth(0).inner_text()
    expect(page.locator(".queued").nth(0)).to_contain_text("seen")
    expect(page.locator(".queued").nth(0).locator(".note-view strong")).to_have_text("section 3")
    page.locator(".queued").nth(0).get_by_role("button", name=re.compile("^Down")).click()
    expect(page.locator(".queued-title").nth(1)).to_have_text(first_title)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.locator("main").screenshot(path=SCREENSHOT)
    page.locator(".queued").nth(0).get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator(".queued-title")).to_have_count(1)

    page.goto(server + "/?date=2024-05-27")
    expect(page.locator(".card-title")).to_have_count(2)
    page.locator("#seen-toggle a").click()
    expect(page.locator(".card-title")).to_have_count(1)
    expect(page.locator(".feed-head")).to_contain_text("1 you marked seen is hidden")
    assert dialogs == [], dialogs  # the note's HTML probe never ran
