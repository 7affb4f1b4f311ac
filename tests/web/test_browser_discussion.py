"""The discussion on a paper page in a real browser (Debian's chromium driven by Playwright)
against `papersift serve`: two people sign up, comment with Markdown, reply, edit and report;
an XSS probe posted as a comment stays text (any dialog fails the test). The thread's
screenshot goes to DOC_SHOTS/discussion-thread.png (see tests/web/test_browser.py).

The server runs over a small hand-made catalog (no search index is needed for paper pages),
so this file starts in seconds, unlike tests/web/test_browser.py.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from papersift.paper import Popularity
from tests import harness
from tests.community.factories import demo_papers, make_context
from tests.conftest import require
from tests.web.test_browser import ARGS, CHROMIUM, DOC_SHOTS, sign_up_in_browser

pytestmark = pytest.mark.browser
SCREENSHOT = DOC_SHOTS / "discussion-thread.png"
PAPER = "/papers/2405.00002"

require(
    importlib.util.find_spec("playwright") is not None,
    "browser tests: Playwright is not installed (pip install -e '.[test]')",
    module=True,
)
require(Path(CHROMIUM).is_file(), f"browser tests: {CHROMIUM} is missing (apt-get install -y chromium)", module=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("discussion") / "home"
    papers = demo_papers()
    papers[1].popularity.append(Popularity("hf-daily", date(2024, 5, 27), comments=4))  # 2405.00002
    make_context(home, papers).close()
    with harness.served(home, env={**os.environ, "PAPERSIFT_HOME": str(home)}, stderr=None) as running:
        yield running.base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _person(browser: Browser, base: str, email: str) -> Page:
    """A fresh browser profile, signed up through the form and back on the paper page."""
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.on("dialog", lambda d: pytest.fail(f"a script opened a dialog: {d.message}"))
    sign_up_in_browser(page, base, email, PAPER)
    return page


def test_comment_reply_edit_report_in_a_browser(server: str, browser: Browser) -> None:
    anonymous = browser.new_context().new_page()
    anonymous.goto(server + PAPER)
    expect(anonymous.locator(".discussion")).to_contain_text("Sign in to join the discussion")
    expect(anonymous.locator(".paper-actions")).to_contain_text("HF 4 comments")  # external, apart from ours
    expect(anonymous.locator("#discussion-h")).to_contain_text("0 comments here")

    ada = _person(browser, server, "ada@example.org")
    ada.get_by_label("Add a comment").fill(
        "Does the **router** collapse at scale? See [the appendix](https://arxiv.org/abs/2405.00002).\n\n"
        "<img src=x onerror=alert(1)> <script>alert(2)</script>"
    )
    ada.get_by_role("button", name="Post comment").click()
    ada.wait_for_url(re.compile(r".*/papers/2405\.00002#comment-\d+$"))
    comment = ada.locator(".discussion .comment").first
    expect(comment.locator(".comment-body strong")).to_have_text("router")
    expect(comment.locator("a[href='https://arxiv.org/abs/2405.00002']")).to_have_text("the appendix")
    expect(comment).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    assert ada.locator(".discussion img, .discussion script").count() == 0

    bob = _person(browser, server, "bob@example.org")
    bob.locator(".thread details.reply summary").first.click()
    bob.get_by_label("Your reply").fill("It does not: *table 3* shows balanced load up to 64 experts.")
    bob.get_by_role("button", name="Reply", exact=True).click()
    expect(bob.locator(".replies .comment")).to_contain_text("table 3")
    expect(bob.locator(".replies .comment-author")).to_have_text("bob")
    assert bob.locator(".discussion .comment").first.get_by_text("Edit").count() == 0  # not his to edit
    bob.locator(".discussion .comment").first.locator("summary", has_text="Report").click()
    bob.get_by_label("Why should the operator look at this?").fill("contains an HTML probe")
    bob.get_by_role("button", name="Report", exact=True).click()
    expect(bob.get_by_role("status")).to_contain_text("the operator will look at comment")

    ada.reload()
    first = ada.locator(".discussion .comment").first
    first.locator("summary", has_text="Edit").click()
    first.get_by_label("Edit your comment").fill(
        "Does the **router** collapse at scale? See [the appendix](https://arxiv.org/abs/2405.00002)."
    )
    first.get_by_role("button", name="Save").click()
    expect(ada.locator(".discussion .comment").first).to_contain_text("(edited)")
    expect(ada.locator("#discussion-h")).to_contain_text("2 comments here")
    feed = ada.get_by_role("link", name="Atom feed of this discussion").get_attribute("href")
    assert feed == "/feeds/discussion/2405.00002.atom"
    assert "table 3" in httpx.get(server + feed).text
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    ada.locator(".discussion").screenshot(path=SCREENSHOT)
