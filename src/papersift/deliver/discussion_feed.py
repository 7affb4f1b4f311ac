"""An Atom feed of one paper's discussion (feedgen, like `deliver.syndication`).

Entries are the visible comments and replies, newest first; a comment's content is the same
safe HTML the page shows (`render_note`: no raw HTML, no images, safe links only). Hidden and
deleted comments are never in it. `updated` is the newest comment's (or edit's) time, not the
request's, so the bytes and the ETag change only when the discussion does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from papersift.community.discussion import Comment, Thread
from papersift.deliver.syndication import clean_xml_text
from papersift.paper import Paper
from papersift.urls import comment_url, paper_url

FEED_SIZE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC, microsecond=0)


def _changed(c: Comment) -> datetime:
    return _aware(c.edited_at or c.created_at)


def render_discussion_feed(paper: Paper, threads: list[Thread], base_url: str, path: str) -> tuple[bytes, datetime]:
    """(Atom document, last-modified) for a paper's discussion; `path` is the feed's own address."""
    base = base_url.rstrip("/")
    page = base + paper_url(paper.id)
    shown = [c for t in threads for c in (t.comment, *t.replies) if not c.deleted]
    shown.sort(key=lambda c: (c.created_at, c.id), reverse=True)
    shown = shown[:FEED_SIZE]
    updated = max((_changed(c) for c in shown), default=_EPOCH)
    fg = FeedGenerator()
    fg.id(base + path)
    fg.title(clean_xml_text(f"Discussion: {paper.title}"))
    fg.subtitle(clean_xml_text(f"Comments on {paper.id} at papersift"))
    fg.link(href=base + path, rel="self")
    fg.link(href=page, rel="alternate")
    fg.author(name="papersift")
    fg.language("en")
    fg.generator("papersift")
    fg.updated(updated)
    for c in shown:
        url = base + comment_url(paper.id, c.id)
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.link(href=url)
        kind = "Reply" if c.parent_id else "Comment"
        entry.title(clean_xml_text(f"{kind} by {c.author}"))
        entry.author(name=clean_xml_text(c.author))
        entry.content(clean_xml_text(c.html), type="html")
        entry.published(_aware(c.created_at))
        entry.updated(_changed(c))
    return fg.atom_str(pretty=True), updated
