"""`papersift related`: related work for a draft (a text file or stdin) and/or a .bib file."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from papersift.cli import app
from papersift.cli.output import err, fail, print_json
from papersift.query.types import Filters, QueryError

# The services are imported inside the command: `papersift --help` must not load them (issue 12).


def _read(path: Path, what: str, limit: int) -> str:
    """A text file (or stdin for '-'), refusing more than `limit` bytes before decoding it."""
    try:
        data = sys.stdin.buffer.read(limit + 1) if str(path) == "-" else path.open("rb").read(limit + 1)
    except OSError as exc:
        fail(f"cannot read {what} {path}: {exc.strerror}")
    if len(data) > limit:
        fail(f"{what} {path} is larger than the limit of {limit:,} bytes", code=2)
    return data.decode("utf-8", "replace")


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        fail(f"{name} must be a date like 2024-05-27, got {value!r}", code=2)


@app.command("related")
def related_cmd(
    ctx: typer.Context,
    draft: Annotated[
        Path | None, typer.Argument(metavar="FILE|-", help="The draft: a text file, or - for stdin.")
    ] = None,
    bib: Annotated[
        Path | None, typer.Option("--bib", help="Your references (BibTeX, RIS or CSL-JSON): marked cited.")
    ] = None,
    category: Annotated[list[str] | None, typer.Option("--category", help="Only this category (repeatable).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Only papers from this date (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Only papers up to this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    hide_cited: Annotated[bool, typer.Option("--hide-cited", help="Leave out papers the .bib cites.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Related work for a draft (up to 20,000 characters) and/or a .bib, each result with its reason."""
    if draft is None and bib is None:
        fail("give a draft (FILE or - for stdin) and/or --bib FILE", code=2)
    # a multi-byte character takes up to 4 bytes; the character cap is checked by the service
    from papersift.search.references import MAX_BIB_BYTES, parse_references
    from papersift.search.related import MAX_TEXT_CHARS

    text = _read(draft, "draft", 4 * MAX_TEXT_CHARS) if draft is not None else ""
    try:
        refs = parse_references(_read(bib, "bibliography", MAX_BIB_BYTES)) if bib is not None else None
        filters = Filters(
            categories=tuple(category or ()), date_from=_day(date_from, "--from"), date_to=_day(date_to, "--to")
        )
        result = ctx.obj.related.related(
            text, refs.papers if refs else (), filters=filters, limit=limit, hide_cited=hide_cited
        )
    except QueryError as exc:
        fail(str(exc), code=2)
    notices = list(result.notices)
    if refs and refs.broken:
        notices.append(f"{refs.broken} broken BibTeX entr{'y' if refs.broken == 1 else 'ies'} skipped")
    if result.unmatched_citations:
        notices.append(f"{len(result.unmatched_citations)} reference(s) not in the catalog")
    for notice in notices:
        err.print(notice, style="yellow", highlight=False, markup=False)
    if json_out:
        print_json({**result.to_dict(), "notices": notices})
        return
    for i, hit in enumerate(result.hits, 1):
        mark = " (cited)" if hit.cited else ""
        typer.echo(f"{i}. [{hit.paper.id}] {hit.paper.title}{mark}\n   {hit.reason}")
