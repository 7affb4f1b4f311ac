"""Daily arXiv listing crawls (`daily-arXiv-ai-enhanced` style): one `YYYY-MM-DD.jsonl` per listing day.

Each line is `{id, categories, pdf, abs, authors, title, comment, summary}` as scraped from the
arXiv "new submissions" page. The records carry no submission date; the listing day is what they
know, so it becomes `announced` (taken from the file name, or `--option date=YYYY-MM-DD`).
A crawl may list a paper twice in one file (new submission and cross-list); both lines are
yielded and the catalog's upsert merges them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from papersift.paper import InvalidRecord, Paper, make_paper, parse_date
from papersift.sources._arxiv import require_arxiv_id
from papersift.sources._common import clean, convert, finish, iter_json_lines, text_list
from papersift.sources._files import file_date
from papersift.sources.base import Item, RecordError, SourceContext, SourceError

SOURCE = "arxiv-daily"


def to_paper(record: dict[str, Any], announced: date | None) -> Paper:
    """One crawl line -> Paper; `announced` is the listing day of its file."""
    return make_paper(
        source=SOURCE,
        arxiv_id=require_arxiv_id(record.get("id")),
        title=record.get("title"),
        abstract=record.get("summary"),
        authors=text_list(record.get("authors"), ","),
        categories=text_list(record.get("categories")),
        comments=clean(record.get("comment")),
        links={k: record[k] for k in ("abs", "pdf") if isinstance(record.get(k), str)},
        announced=announced,
    )


def _papers(location: str, option: str | None) -> Iterator[Item]:
    try:
        fixed = parse_date(option)
    except InvalidRecord:
        raise SourceError(f"option date={option!r} is not a date (expected YYYY-MM-DD)") from None
    for item in iter_json_lines(location):
        if isinstance(item, RecordError):
            yield item
        else:
            where, path, record = item
            yield convert(where, to_paper, record, fixed or file_date(path))


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream one crawl file or a directory of them (plain or .gz)."""
    return finish(_papers(location, ctx.options.get("date")), ctx)
