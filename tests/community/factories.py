"""Small, hand-made catalogs for community and web tests (no network, no other engineer's code).

Papers span three days and two categories, include an old-style arXiv id with a '/', a DOI-only
record and a paper whose title is an XSS probe, so escaping and path handling are exercised.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.paper import Paper, Popularity, Version, make_paper

XSS_TITLE = "<script>alert(1)</script>"
DAY1, DAY2, DAY3 = date(2024, 5, 27), date(2024, 5, 28), date(2024, 5, 29)


def paper(
    pid: str,
    title: str,
    day: date,
    upvotes: int = 0,
    authors: tuple[str, ...] = ("Ada Lovelace",),
    cats: tuple[str, ...] = ("cs.CL",),
    abstract: str = "We study attention.",
    **kw: object,
) -> Paper:
    pop = [Popularity("hf-daily", day, upvotes=upvotes)] if upvotes else []
    return make_paper(
        source="test",
        title=title,
        abstract=abstract,
        arxiv_id=kw.pop("arxiv_id", pid),
        authors=list(authors),
        categories=list(cats),
        announced=day,
        popularity=pop,
        versions=[Version(1, day)],
        **kw,
    )


def demo_papers() -> list[Paper]:
    return [
        paper("2405.00001", "Attention is still all you need", DAY1, 5),
        paper("2405.00002", "Sparse mixtures of experts", DAY1, 40, authors=("Alan Turing", "Ada Lovelace")),
        paper("2405.00003", XSS_TITLE, DAY2, 3, abstract="An abstract with <b>tags</b> & $x^2$ math."),
        paper(
            "2405.00004",
            "Diffusion for text",
            DAY2,
            12,
            cats=("cs.LG", "cs.CL"),
            links={"code": "https://github.com/example/diffusion", "project": "https://example.org/d"},
        ),
        paper(
            "hep-th/9901001",
            "Strings on old-style ids",
            DAY3,
            1,
            cats=("hep-th",),
            authors=("Edward Witten",),
        ),
        make_paper(
            source="test",
            title="A DOI-only record",
            doi="10.1000/xyz123",
            authors=["Grace Hopper"],
            announced=DAY3,
        ),
    ]


def make_context(home: Path, papers: list[Paper] | None = None) -> AppContext:
    """An AppContext on a fresh SQLite home, filled with `papers` (default: `demo_papers()`)."""
    ctx = AppContext(load_settings(home))
    ctx.catalog.upsert(demo_papers() if papers is None else papers)
    return ctx
