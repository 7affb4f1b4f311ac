"""Hugging Face Daily Papers: saved responses of `https://huggingface.co/api/daily_papers?date=...`.

Each file is one day's capture: a JSON list of entries `{paper: {id, title, summary, authors[{name}],
publishedAt, submittedOnDailyAt, upvotes, githubRepo, githubStars, projectPage}, numComments, ...}`.
Archived captures come in three shapes, all accepted: the plain list; a list of *Python-repr*
strings of the entries (a crawler saved `str(entry)`); and a `{"status", "date", "count", "data"}`
wrapper. A day's capture is small (tens of KB), so a file is parsed whole, one file at a time.

Dates: `submitted` = the arXiv publication date (`paper.publishedAt`); `announced` = the day it was
featured (`paper.submittedOnDailyAt`, else the entry's `publishedAt`). The upvote/comment counts
are a snapshot, so they go into a Popularity observed on the capture date: the file's
`YYYY-MM-DD` name when it has one, else the featured day.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from papersift.paper import Paper, Popularity, make_paper, parse_date
from papersift.sources._arxiv import require_arxiv_id
from papersift.sources._common import convert, count, finish
from papersift.sources._files import file_date, input_files, read_bytes
from papersift.sources.base import Item, RecordError, SourceContext

SOURCE = "hf-daily"


def _entry(raw: Any) -> dict[str, Any]:
    """An entry as a dict, decoding the Python-repr string form."""
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)  # literals only: never evaluates code
        except (SyntaxError, ValueError) as exc:
            raise ValueError(f"entry string is not a Python literal ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("paper"), dict):
        raise TypeError("entry has no 'paper' object")
    return raw


def _organization_url(org: Any) -> str | None:
    """The Hugging Face page of the organisation that claimed the paper (an impact-prior feature)."""
    name = org.get("name") if isinstance(org, dict) else None
    return f"https://huggingface.co/{quote(name)}" if isinstance(name, str) and name.strip() else None


def to_paper(raw: Any, captured: date | None) -> Paper:
    """One daily-papers entry -> Paper with an hf-daily Popularity observation."""
    entry = _entry(raw)
    paper = entry["paper"]
    featured = parse_date(paper.get("submittedOnDailyAt") or entry.get("publishedAt"))
    arxiv_id = require_arxiv_id(paper.get("id"), "paper.id")
    links = {
        "hf": f"https://huggingface.co/papers/{arxiv_id}" if arxiv_id else None,
        "code": paper.get("githubRepo"),
        "project": paper.get("projectPage"),
        "organization": _organization_url(entry.get("organization") or paper.get("organization")),
    }
    return make_paper(
        source=SOURCE,
        arxiv_id=arxiv_id,
        title=paper.get("title") or entry.get("title"),
        abstract=paper.get("summary") or entry.get("summary"),
        authors=[a["name"] for a in paper.get("authors") or [] if a.get("name")],
        submitted=parse_date(paper.get("publishedAt")),
        announced=featured,
        links=links,
        popularity=[
            Popularity(
                SOURCE,
                captured or featured,
                upvotes=count(paper.get("upvotes")),
                comments=count(entry.get("numComments")),
                github_stars=count(paper.get("githubStars")),
            )
        ],
    )


def _entries(path: Path) -> list[Any] | RecordError:
    """The list of raw entries in one capture file, or why it has none."""
    try:
        data = json.loads(read_bytes(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return RecordError(str(path), f"not a JSON document ({exc})")
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if isinstance(data, list):
        return data
    return RecordError(str(path), "expected a list of entries or a {'data': [...]} wrapper")


def _papers(location: str) -> Iterator[Item]:
    for path in input_files(location, (".json",)):
        entries = _entries(path)
        if isinstance(entries, RecordError):
            yield entries
            continue
        captured = file_date(path)
        for number, raw in enumerate(entries, 1):
            yield convert(f"{path} entry {number}", to_paper, raw, captured)


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Read one capture file or a directory of `YYYY-MM-DD.json` captures (plain or .gz)."""
    return finish(_papers(location), ctx)
