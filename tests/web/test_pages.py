"""HTML pages on a real catalog: feed, paper, author/category pages, escaping, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.web.app import create_app
from tests.community.factories import XSS_TITLE, make_context


def test_home_shows_latest_day_ranked_with_navigation(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "Wednesday 29 May 2024" in r.text and "2 papers" in r.text
    assert 'href="/?date=2024-05-28&sort=trending" rel="prev"' in r.text
    assert "later →" in r.text  # no later day
    day1 = client.get("/?date=2024-05-27").text
    assert day1.index("Sparse mixtures of experts") < day1.index("Attention is still all you need")


def test_week_and_month_views_count_days(client: TestClient) -> None:
    week = client.get("/?week=2024-W22").text
    assert "Week 22, 2024" in week and "6 papers" in week and "Mon 27 <b>2</b>" in week
    month = client.get("/?month=2024-05&sort=newest").text
    assert "May 2024" in month and 'aria-current="true">Newest' in month


def test_empty_day_says_what_to_do(client: TestClient) -> None:
    r = client.get("/?date=2024-05-30")
    assert r.status_code == 200
    assert "No papers on Thursday 30 May 2024" in r.text
    assert 'href="/?date=2024-05-29"' in r.text and "papersift ingest" in r.text


def test_empty_catalog_explains_ingest(tmp_path: Path) -> None:
    with TestClient(create_app(make_context(tmp_path / "empty", []))) as c:
        r = c.get("/")
    assert r.status_code == 200 and "No papers yet" in r.text and "papersift ingest" in r.text


def test_paper_page(client: TestClient) -> None:
    r = client.get("/papers/2405.00004")
    assert r.status_code == 200
    html = r.text
    assert "Diffusion for text" in html
    assert 'href="/authors/Ada%20Lovelace"' in html and 'href="/categories/cs.LG"' in html
    assert 'href="https://arxiv.org/pdf/2405.00004"' in html and 'href="https://github.com/example/diffusion"' in html
    assert "HF ▲ 12" in html  # external votes shown apart from the local vote button
    assert 'aria-pressed="false"' in html and "<dt>Versions</dt>" in html
    assert 'hx-get="/papers/2405.00004/similar"' in html


def test_paper_ids_with_slash_versions_and_dois(client: TestClient) -> None:
    assert client.get("/papers/hep-th/9901001").status_code == 200
    r = client.get("/papers/2405.00004v1")
    assert r.status_code == 301 and r.headers["location"] == "/papers/2405.00004"
    assert client.get("/papers/doi:10.1000/xyz123").status_code == 200


def test_user_and_paper_text_is_escaped(client: TestClient) -> None:
    for url in ("/?date=2024-05-28", "/papers/2405.00003", "/authors/Ada%20Lovelace"):
        html = client.get(url).text
        assert XSS_TITLE not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    paper = client.get("/papers/2405.00003").text
    assert "&lt;b&gt;tags&lt;/b&gt;" in paper and '<span class="tex">$x^2$</span>' in paper
    r = client.get("/authors/<img src=x onerror=alert(1)>")
    assert r.status_code == 404 and "<img src=x" not in r.text


def test_author_and_category_pages(client: TestClient) -> None:
    author = client.get("/authors/ada%20lovelace")
    assert author.status_code == 200 and "<h1>Ada Lovelace</h1>" in author.text and "4 papers" in author.text
    cat = client.get("/categories/hep-th?sort=trending")
    assert cat.status_code == 200 and "Strings on old-style ids" in cat.text
    assert client.get("/categories/nope.XX").status_code == 404


def test_security_headers_and_offline_assets(client: TestClient) -> None:
    r = client.get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert "cdn" not in r.text.lower() and "/static/vendor/htmx.min.js?v=" in r.text
    js = client.get("/static/vendor/htmx.min.js")
    assert js.status_code == 200 and js.text.startswith("/*! htmx.org 2.") and "0BSD" in js.text.splitlines()[0]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(
    ("url", "status"),
    [
        # malformed parameters: 422 (the request can never be served as written)
        ("/?date=2024-13-45", 422),
        ("/?week=2024-W99", 422),
        ("/?month=May", 422),
        ("/?date=2024-05-01&week=2024-W22", 422),
        ("/?page=0", 422),
        ("/?page=abc", 422),
        ("/?page=99999999999999999999", 422),
        ("/?sort=random", 422),
        ("/collections/abc", 422),
        ("/collections/99999999999999999999", 422),
        ("/search?page=0", 422),
        ("/search?mode=psychic&q=x", 422),
        ("/search?from=yesterday&q=x", 422),
        # well-formed addresses of nothing: 404
        ("/papers/" + "9" * 300, 404),
        ("/papers/nope", 404),
        ("/collections/12345", 404),
        ("/authors/nobody", 404),
        ("/nowhere", 404),
        ("/papers/2405.00001/similar/extra", 404),
    ],
)
def test_malformed_input_is_a_helpful_4xx_page(client: TestClient, url: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    assert "text/html" in r.headers["content-type"] and f"Error {status}" in r.text


def test_page_past_the_end_is_empty_not_an_error(client: TestClient) -> None:
    r = client.get("/?date=2024-05-27&page=5")
    assert r.status_code == 200 and "Go to the first page" in r.text
