"""Issue 12 §5 in a real browser (Debian chromium + Playwright against `papersift serve`, the same
server and browser fixtures as test_browser.py): author/category feeds and follow, copying a
paper's BibTeX to the clipboard, recommendation cards, the Month link, the phone layout (results
above the fold) and /api/docs. Phone screenshots go to DOC_SHOTS (see tests/web/test_browser.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest

# Playwright's names come through test_browser, whose module-level checks skip when it is missing
from tests.web.test_browser import DOC_SHOTS, SHOTS, Browser, Page, browser, expect, server, sign_up_in_browser  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser: Browser) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.on("dialog", lambda d: pytest.fail(f"a script opened a dialog: {d.message}"))
    yield p  # type: ignore[misc]
    context.close()


def test_author_and_category_pages_offer_their_feed_and_follow(server: str, page: Page) -> None:  # noqa: F811
    base = server
    page.goto(base + "/papers/2405.00002")
    page.locator(".authors a").first.click()
    page.wait_for_url(re.compile(r".*/authors/"))
    author = page.locator("h1").inner_text()
    feed = page.get_by_role("link", name="Atom feed")
    expect(feed).to_be_visible()
    href = feed.get_attribute("href")
    assert href and page.locator('head link[rel="alternate"]').nth(1).get_attribute("href") == href
    atom = httpx.get(base + href)
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    assert f"<title>papersift: {author}</title>" in atom.text
    author_page = page.url.removeprefix(base)
    page.get_by_role("link", name="Follow").click()  # anonymous: sign in (here: sign up) first
    page.wait_for_url(re.compile(r".*/account/signin\?next=/authors/"))
    sign_up_in_browser(page, base, "follower@example.org", author_page)
    page.get_by_role("button", name="Follow").click()
    page.wait_for_url(base + author_page)
    expect(page.get_by_role("link", name="Following ✓")).to_be_visible()
    page.goto(base + "/categories/cs.CL")
    expect(page.get_by_role("link", name="Atom feed")).to_have_attribute("href", "/feeds/category/cs.CL.atom")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("link", name="Following ✓")).to_be_visible()
    page.goto(base + "/account/digest")
    expect(page.locator("main")).to_contain_text(author)
    expect(page.locator("main")).to_contain_text("cs.CL")


def test_copy_bibtex_puts_the_entry_on_the_clipboard(server: str, browser: Browser) -> None:  # noqa: F811
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + "/papers/2405.00002")
    shown = page.locator("#bibtex").inner_text()
    assert shown.startswith("@misc{") and "Sparse mixtures of experts" in shown
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.locator("#bibtex-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()").strip() == shown.strip()
    context.close()


def test_recommendation_cards_show_date_vote_and_save(server: str, page: Page) -> None:  # noqa: F811
    base = server
    sign_up_in_browser(page, base, "reader@example.org", "/papers/2405.00002")
    page.locator(".paper-actions .vote-button").click()  # an upvote seeds the recommendations
    expect(page.locator(".paper-actions .vote-button")).to_have_attribute("aria-pressed", "true")
    page.goto(base + "/recommendations")
    cards = page.locator("article.card")
    expect(cards.nth(1)).to_be_visible()
    for i in (0, 1):
        expect(cards.nth(i).locator("time")).to_have_attribute("datetime", re.compile(r"\d{4}-\d\d-\d\d"))
        expect(cards.nth(i).get_by_role("button", name="Save")).to_be_visible()
    vote = cards.first.locator(".vote-button")
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.click()  # htmx swaps the button in place
    expect(cards.first.locator(".vote-button")).to_have_attribute("aria-pressed", "true")
    title = cards.nth(1).locator(".card-title a").inner_text()
    page.screenshot(path=SHOTS / "recommendations.png")
    cards.nth(1).get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/recommendations\?saved="))
    expect(page.get_by_role("status")).to_contain_text(f"Saved “{title}”")
    page.goto(base + "/collections")
    page.get_by_role("link", name="Reading list").click()
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()


def test_month_opens_the_most_recent_full_month(server: str, page: Page) -> None:  # noqa: F811
    base = server
    page.goto(base + "/")
    day_href = page.get_by_role("link", name="Day", exact=True).get_attribute("href") or ""
    latest = date.fromisoformat(re.search(r"date=([\d-]+)", day_href).group(1))  # type: ignore[union-attr]
    month_end = (latest.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    expected = latest if latest == month_end else latest.replace(day=1) - timedelta(days=1)  # else the one before
    page.get_by_role("link", name="Month", exact=True).click()
    page.wait_for_url(f"**month={expected:%Y-%m}**")
    expect(page.locator("h1")).to_contain_text(expected.strftime("%B %Y"))
    expect(page.locator(".cards li").first).to_be_visible()


@pytest.mark.parametrize("path", ["/search?q=diffusion&mode=lexical", "/?date=2024-05-27", "/categories/cs.CL"])
def test_phone_layout_puts_the_first_result_above_the_fold(server: str, browser: Browser, path: str) -> None:  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.goto(server + path)
    first = page.locator(".cards li").first
    expect(first).to_be_visible()
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    name = {"/search": "search", "/": "home", "/categories": "category"}[re.sub(r"(/[a-z]*).*", r"\1", path)]
    page.screenshot(path=DOC_SHOTS / f"phone-{name}.png")
    box = first.bounding_box()
    # the whole title and the start of the first card are on the first screen
    assert box is not None and box["y"] + 60 <= PHONE["height"], f"first result starts at {box} on {path}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_api_docs_list_digest_and_feed_routes_and_offer_token_authorisation(server: str, page: Page) -> None:  # noqa: F811
    page.goto(server + "/api/docs")
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible(timeout=20_000)
    for tag in ("digests", "feeds"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    expect(page.get_by_text("/api/digest/preview")).to_be_visible()
    expect(page.get_by_text("/feeds/trending.{fmt}")).to_be_visible()
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    expect(page.get_by_text("bearerAuth")).to_be_visible()
