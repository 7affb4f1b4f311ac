"""Glue every source shares: one raw record -> Paper or RecordError, JSON-lines reading, `since`.

A source must never abort a stream for one bad record, whatever shape the record has. Funnelling
each record's conversion through `convert` turns any shape problem (missing title, bad date,
a string where a list was expected) into a RecordError with its location, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from papersift.paper import MAX_PAPER_ID_CHARS, InvalidRecord, Paper
from papersift.sources._files import input_files, iter_lines
from papersift.sources.base import Item, RecordError, SourceContext

JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


def convert(where: str, build: Callable[..., Paper], *args: Any) -> Paper | RecordError:
    """Run `build(*args)` for one record; a malformed record becomes a RecordError located at `where`."""
    try:
        paper = build(*args)
    except InvalidRecord as exc:
        return RecordError(where, str(exc))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return RecordError(where, f"malformed record ({type(exc).__name__}: {exc})")
    if len(paper.id) > MAX_PAPER_ID_CHARS:
        return RecordError(where, f"paper id longer than {MAX_PAPER_ID_CHARS} characters ({paper.id[:40]}...): skipped")
    return paper


def iter_json_lines(
    location: str, suffixes: tuple[str, ...] = JSON_SUFFIXES
) -> Iterator[tuple[str, Path, dict[str, Any]] | RecordError]:
    """Yield `(where, file, object)` for each JSON-object line of the file(s); bad lines are RecordErrors."""
    for path in input_files(location, suffixes):
        prefix = f"{path}:"  # formatting the Path for every line was 2% of a 60k ingest
        for line in iter_lines(path):
            if isinstance(line, RecordError):
                yield line
                continue
            number, text = line
            if not text.strip():
                continue
            where = f"{prefix}{number}"
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RecordError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield RecordError(where, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield where, path, obj


def text_list(value: Any, sep: str | None = None) -> list[str]:
    """Non-empty strings from a list, or from a string split on `sep` (default: whitespace)."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(sep)
    elif isinstance(value, list):
        parts = [str(v) for v in value if v is not None]
    else:
        raise TypeError(f"expected a list or a string, got {type(value).__name__}")
    return [p.strip() for p in parts if p.strip()]


def clean(value: Any) -> str | None:
    """A free-text side field (comments, journal-ref, license) with whitespace collapsed; None if empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return " ".join(value.split()) or None


def count(value: Any) -> int | None:
    """A popularity count: an int or None (JSON `true` or `"12"` is a malformed record)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a count, got {value!r}")


def newest_date(paper: Paper) -> date | None:
    """The latest date known about a paper (version, listing or daily-feature date)."""
    return max((d for d in (paper.updated, paper.announced, paper.submitted) if d), default=None)


def finish(items: Iterable[Item], ctx: SourceContext) -> Iterator[Item]:
    """Apply `ctx.since`: drop papers whose every known date is before it (undated papers are kept)."""
    for item in items:
        if isinstance(item, Paper) and ctx.since is not None:
            newest = newest_date(item)
            if newest is not None and newest < ctx.since:
                continue
        yield item
