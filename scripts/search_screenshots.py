"""Screenshot the search page for a phrase query, a gibberish query (hybrid) and a partial index.

Usage: python scripts/search_screenshots.py DEMO_URL PARTIAL_URL OUT_DIR TAG
(DEMO_URL: `papersift serve` on a `demo load` home; PARTIAL_URL: the same plus a bigger corpus
indexed with `index --lexical-only`). Used for docs/screenshots/search-*-{before,after}.png.
"""

import sys

from playwright.sync_api import sync_playwright

demo, partial, out, tag = sys.argv[1:5]
shots = [
    (demo, "/search?q=%22mixture+of+experts%22&mode=hybrid", "phrase"),
    (demo, "/search?q=zzzxqv+qqqwz&mode=hybrid", "gibberish"),
    (partial, "/search?q=%22mixture+of+experts%22&mode=hybrid", "partial-index"),
]
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless", "--disable-gpu"]
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for base, path, name in shots:
        page.goto(base + path)
        page.screenshot(path=f"{out}/search-{name}-{tag}.png", full_page=False)
    browser.close()
