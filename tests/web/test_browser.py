"""Real-browser end-to-end tests: Debian's chromium driven by Playwright against `papersift serve`.

The server runs as a subprocess on a free loopback port over a home filled from the real HF
daily-papers data (a 400-paper slice, plus an XSS-probe title). Screenshots of the main pages
go to artifacts/screenshots/. Without chromium or Playwright these tests do not run: a loud skip
locally, a failure under CI (tests/conftest.py `require`). `PAPERSIFT_TEST_CHROMIUM` overrides the
chromium path (default /usr/bin/chromium, the path .ci/run installs and checks).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from papersift.config import load_settings
from papersift.context import AppContext
from tests import harness
from tests.community.factories import XSS_TITLE, demo_papers
from tests.conftest import REPO, require

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("PAPERSIFT_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = REPO / "artifacts" / "screenshots"
# Screenshots that illustrate the docs: written to artifacts/ like the rest (a test run must not
# change tracked files); `PAPERSIFT_DOC_SCREENSHOTS=docs/screenshots pytest tests/web` refreshes them.
DOC_SHOTS = Path(os.environ.get("PAPERSIFT_DOC_SCREENSHOTS", SHOTS))
PASSWORD = "correct horse battery"

require(
    importlib.util.find_spec("playwright") is not None,
    "browser tests: Playwright is not installed (pip install -e '.[test]')",
    module=True,
)
require(Path(CHROMIUM).is_file(), f"browser tests: {CHROMIUM} is missing (apt-get install -y chromium)", module=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


def _papersift() -> list[str]:
    script = Path(sys.executable).with_name("papersift")
    return [str(script)] if script.exists() else [shutil.which("papersift") or "papersift"]


def _fill_home(home: Path) -> None:
    """The bundled demo corpus (real papers, shipped vectors) plus the hand-made papers (one
    titled `<script>`), indexed. A failing `papersift index` fails the tests (it is a bug, not a
    missing prerequisite)."""
    subprocess.run([*_papersift(), "--home", str(home), "demo", "load"], check=True, capture_output=True, timeout=300)
    ctx = AppContext(load_settings(home))
    ctx.catalog.upsert(demo_papers())
    ctx.close()
    indexed = subprocess.run([*_papersift(), "--home", str(home), "index"], capture_output=True, text=True, timeout=600)
    if indexed.returncode != 0:
        pytest.fail(f"`papersift index` failed (exit {indexed.returncode}):\n{indexed.stderr[-2000:]}", pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browser") / "home"
    _fill_home(home)
    with harness.served(home, env={**os.environ, "PAPERSIFT_HOME": str(home)}, stderr=None) as running:
        yield running.base


def sign_up_in_browser(page: Page, base: str, email: str, back: str, *, lands: str | None = None) -> None:
    """Create an account through the real forms: sign-up (it never signs in: a new and a taken
    address get the same answer), then the sign-in form it leads to, which returns to `back`
    (or to `lands` when the app picks the place, e.g. onboarding for a new account)."""
    page.goto(f"{base}/account/signup" + (f"?next={back}" if back else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + (lands or back))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.on("dialog", lambda d: pytest.fail(f"a script opened a dialog: {d.message}"))
    yield p
    context.close()


def test_home_feed_and_escaping(server: str, page: Page) -> None:
    base = server
    page.goto(base + "/")
    expect(page.locator(".eyebrow").first).to_have_text("Daily papers")
    expect(page.locator(".cards li").first).to_be_visible()
    page.screenshot(path=SHOTS / "home.png", full_page=False)
    page.goto(base + "/?week=2024-W22")
    expect(page.locator(".cards li").first).to_be_visible()
    page.goto(base + "/?date=2024-05-28")
    expect(page.get_by_role("link", name=XSS_TITLE)).to_be_visible()  # shown as text; no dialog fired
    page.emulate_media(color_scheme="dark")
    page.goto(base + "/?date=2024-05-27")
    page.screenshot(path=SHOTS / "home-dark.png")


LIGHT_BG, DARK_BG = "rgb(251, 251, 250)", "rgb(18, 20, 23)"  # --bg of app.css's two themes


def _background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_keyboard_skip_link_and_theme_toggle_persists(server: str, browser: Browser) -> None:
    """On a light system the toggle turns the page dark, and the choice survives a reload and
    other pages; toggled back it stays light even when the system turns dark."""
    base = server
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.goto(base + "/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "false")
    assert _background(page) == LIGHT_BG
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert _background(page) == DARK_BG
    page.reload()
    assert _background(page) == DARK_BG  # kept (localStorage), applied before the first paint
    page.goto(base + "/search")
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert _background(page) == DARK_BG
    page.click("#theme-toggle")
    page.emulate_media(color_scheme="dark")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert _background(page) == LIGHT_BG  # the user's choice beats the system's
    context.close()


def test_mobile_layout(server: str, browser: Browser) -> None:
    base = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    p = context.new_page()
    p.goto(base + "/?date=2024-05-27")
    assert p.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scrolling
    p.screenshot(path=SHOTS / "home-mobile.png")
    context.close()


def test_sign_up_upvote_and_collect(server: str, page: Page) -> None:
    base = server
    page.goto(base + "/?date=2024-05-27")
    page.locator(".card-title a").first.click()
    title = page.locator("h1").inner_text()
    paper_url = page.url
    page.screenshot(path=SHOTS / "paper-anonymous.png")
    page.locator(".vote-button").click()  # anonymous: sent to sign in, then back
    page.wait_for_url(re.compile(r".*/account/signin\?next=/papers/"))
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.screenshot(path=SHOTS / "signup.png")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r".*/account/signin\?next=%2Fpapers%2F.*signed_up=1"))  # then sign in
    expect(page.get_by_role("status")).to_contain_text("account is ready")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(paper_url)
    expect(page.locator("h1")).to_have_text(title)
    button = page.locator(".paper-actions .vote-button")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()  # htmx swaps the button in place
    expect(page.locator(".paper-actions .vote-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".paper-actions .vote-button .count")).to_have_text("1")
    page.get_by_label("New collection").fill("Reading list")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Added to “Reading list”")
    page.screenshot(path=SHOTS / "paper-signed-in.png", full_page=True)
    page.reload()
    expect(page.locator(".paper-actions .vote-button .count")).to_have_text("1")
    page.goto(base + "/collections")
    page.get_by_role("link", name="Reading list").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.screenshot(path=SHOTS / "collection.png")
    page.goto(base + "/account")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_contain_text("ps_")
    page.screenshot(path=SHOTS / "account.png")


def test_vote_and_collection_forms_work_without_javascript(server: str, browser: Browser) -> None:
    """With JavaScript off (no htmx), the vote and "add to collection" forms are plain POSTs that
    redirect back to the paper, and the collection pages show the result."""
    base = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_up_in_browser(page, base, "nojs@example.org", "/papers/2405.00002")
    count = int(page.locator(".paper-actions .vote-button .count").inner_text())
    page.locator(".paper-actions .vote-button").click()  # a full-page POST, then 303 back here
    page.wait_for_url(base + "/papers/2405.00002")
    expect(page.locator(".paper-actions .vote-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".paper-actions .vote-button .count")).to_have_text(str(count + 1))
    page.locator(".paper-actions .vote-button").click()  # and undone the same way
    expect(page.locator(".paper-actions .vote-button")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".paper-actions .vote-button .count")).to_have_text(str(count))
    page.get_by_label("New collection").fill("Offline reading")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url(base + "/papers/2405.00002")
    expect(page.locator("#collection-id option")).to_have_text(["Offline reading ✓"])
    page.goto(base + "/collections")
    page.get_by_role("link", name="Offline reading").click()
    expect(page.get_by_role("link", name="Sparse mixtures of experts")).to_be_visible()
    context.close()


def test_search(server: str, page: Page) -> None:
    base = server
    page.goto(base + "/search")
    page.screenshot(path=SHOTS / "search-help.png")
    page.get_by_label("Query").fill("vision language model")
    page.get_by_label("Query").press("Enter")
    expect(page.locator("#results .cards li").first).to_be_visible()
    assert re.search(r"q=vision(\+|%20)language", page.url)  # htmx pushed the state into the URL
    page.get_by_text("Keywords").click()  # mode switch re-runs the search
    page.wait_for_url("**mode=lexical**")
    expect(page.locator("#results mark").first).to_be_visible()
    page.screenshot(path=SHOTS / "search.png")
    page.locator("#results .card-title a").first.click()
    expect(page.locator(".similar-list li").first).to_be_visible(timeout=20_000)


def test_related_work_for_a_pasted_draft(server: str, page: Page) -> None:
    base = server
    first, second = httpx.get(base + "/api/search", params={"q": "language model", "per_page": 2}).json()["results"]
    draft, cited = first["paper"], second["paper"]
    page.goto(base + "/")
    page.get_by_role("link", name="Related work").click()
    page.get_by_label("Draft text").fill(f"{draft['abstract']}\n\nOur method differs: <script>alert(3)</script>")
    page.get_by_label("References (BibTeX, optional)").fill(
        f"@article{{c, title={{{cited['title']}}}, eprint={{{cited['id']}}}}}"
    )
    page.get_by_role("button", name="Find related work").click()
    first_hit = page.locator(".related-list li").first
    expect(first_hit.get_by_role("link")).to_have_text(draft["title"])
    expect(first_hit).to_contain_text("similarity")
    expect(page.get_by_text("1 of your references found in the catalog", exact=False)).to_be_visible()
    expect(page.locator("#related-text")).to_have_value(re.compile(r"<script>alert\(3\)</script>"))  # text, not markup
    page.screenshot(path=SHOTS / "related.png", full_page=True)


def test_search_says_only_what_is_true(server: str, page: Page) -> None:
    """Gibberish has no hybrid results and an explicit meaning-only offer; a phrase holds in hybrid."""
    base = server
    page.goto(base + "/search?q=zzzxqv+qqqwz&mode=hybrid")
    expect(page.locator("#no-results")).to_contain_text("No paper contains any of these words")
    expect(page.locator("#results .cards li")).to_have_count(0)
    page.screenshot(path=SHOTS / "search-gibberish.png")
    page.locator("#offer-meaning").click()
    page.wait_for_url("**mode=dense**")
    expect(page.locator("#result-count")).to_contain_text("ranked by closeness of meaning")
    expect(page.locator("#results .cards li").first).to_be_visible()
    page.goto(base + "/search?q=%22mixture+of+experts%22&mode=hybrid")
    cards = page.locator("#results .cards li")
    expect(cards.first).to_be_visible()
    # every card is a paper that keyword search finds for the phrase (snippets are cut, so the
    # rendered text alone cannot show the phrase)
    keyword = httpx.get(base + "/api/search", params={"q": '"mixture of experts"', "mode": "lexical", "per_page": 100})
    phrase_ids = {r["paper"]["id"] for r in keyword.json()["results"]}
    shown = page.locator("#results .cards li h2.card-title a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert shown and all(href.removeprefix("/papers/") in phrase_ids for href in shown), shown
    page.screenshot(path=SHOTS / "search-phrase.png")
