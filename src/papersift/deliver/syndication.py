"""Atom 1.0 and RSS 2.0 documents for paper listings, built with feedgen.

Output is deterministic for the same papers in the same order: the feed's `updated` /
`lastBuildDate` is the newest paper's day, not the time of the request, so the bytes (and
therefore the ETag computed from them) change only when the listing does, which is what makes
conditional GET useful to feed readers. Text that XML 1.0 cannot carry (control characters in
a scraped abstract) is dropped rather than letting one paper break the whole feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Literal

from feedgen.feed import FeedGenerator

from papersift.paper import Paper
from papersift.urls import paper_url

FeedFormat = Literal["atom", "rss"]
MEDIA_TYPES: dict[str, str] = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
FEED_SIZE = 30
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedInfo:
    """What the feed is: `path` is its own address (relative), `page` the HTML page it mirrors."""

    title: str
    description: str
    path: str
    page: str


def clean_xml_text(text: str | None) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text or "")


def _day(paper: Paper) -> datetime | None:
    day = paper.listing_date or paper.updated  # an Atom entry needs some date
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


def render_feed(
    info: FeedInfo, papers: list[Paper], fmt: FeedFormat, base_url: str, changed: datetime | None = None
) -> tuple[bytes, datetime]:
    """(document, last-modified): the listing as Atom or RSS with absolute links. Last-modified
    is the newest paper's day, or `changed` (aware) when the listing changed later than that."""
    base = base_url.rstrip("/")
    updated = max(
        [d for p in papers if (d := _day(p))] + ([changed.replace(microsecond=0)] if changed else []), default=_EPOCH
    )
    fg = FeedGenerator()
    fg.load_extension("dc")  # RSS has no author field without an email; dc:creator carries names
    fg.id(base + info.path)
    fg.title(clean_xml_text(info.title))
    fg.subtitle(clean_xml_text(info.description))
    fg.link(href=base + info.path, rel="self")
    fg.link(href=base + info.page, rel="alternate")  # last: RSS's <link> is the last link given
    fg.author(name="papersift")
    fg.language("en")
    fg.generator("papersift")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for paper in papers:
        url = base + paper_url(paper.id)
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(clean_xml_text(paper.title))
        entry.link(href=url)
        entry.summary(clean_xml_text(paper.abstract) or clean_xml_text(paper.title))
        for name in paper.authors[:30]:
            entry.author(name=clean_xml_text(name))
            entry.dc.dc_creator(clean_xml_text(name))
        for category in paper.categories:
            entry.category(term=clean_xml_text(category))
        when = _day(paper) or updated
        entry.published(when)
        entry.updated(when)
    body = fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)
    return body, updated
