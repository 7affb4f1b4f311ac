"""CSV with a header row: spreadsheets and database dumps of paper lists.

Columns use the same vocabulary as JSON lines (`_records`: `id`, `title`, `abstract`/`text`,
`authors`, `categories`, `doi`, `date`...), other names via `--option map=title:Title,...`.
List cells: authors separated by `;` (or arXiv-style commas/"and" when no `;`), categories by
spaces. Options `delimiter=` (default `,`; `tab` for TSV) and `collection=` (id prefix).

Lines are decoded one at a time (`_files.iter_lines`), so a line in the wrong encoding costs only
its row; error locations name the line where the row ends (quoted cells may span lines).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from papersift.sources._common import convert, finish
from papersift.sources._files import input_files, iter_lines
from papersift.sources._records import default_collection, field_names, parse_map, to_paper
from papersift.sources.base import Item, RecordError, SourceContext, SourceError

SOURCE = "csv"


class _Lines:
    """Feeds decoded lines to `csv.reader`, remembering the last line number and any bad lines."""

    def __init__(self, path: Path) -> None:
        self._lines = iter_lines(path)
        self.number = 0
        self.errors: list[RecordError] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        for line in self._lines:
            if isinstance(line, RecordError):
                self.errors.append(line)
                continue
            self.number = line[0]
            return line[1] + "\n"
        raise StopIteration


def _delimiter(option: str | None) -> str:
    value = {"tab": "\t", None: ","}.get(option, option)
    if not value or len(value) != 1:
        raise SourceError(f"option delimiter={option!r} must be one character or 'tab'")
    return value


def _papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    names = field_names(parse_map(ctx.options.get("map")))
    delimiter = _delimiter(ctx.options.get("delimiter"))
    for path in input_files(location, (".csv", ".tsv")):
        lines = _Lines(path)
        reader = csv.DictReader(lines, delimiter=delimiter)
        collection = default_collection(path, ctx.options)
        while True:
            try:
                row: dict[str | None, Any] | RecordError | None = next(reader)
            except StopIteration:
                row = None
            except csv.Error as exc:
                row = RecordError(f"{path}:{lines.number}", f"malformed CSV ({exc})")
            yield from lines.errors
            lines.errors.clear()
            if row is None:
                break
            if isinstance(row, RecordError):
                yield row
                continue
            where = f"{path}:{lines.number}"
            if None in row:
                yield RecordError(where, f"{len(row[None])} more cells than header columns")
                continue
            yield convert(where, to_paper, row, SOURCE, collection, names)


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a CSV/TSV file or every `.csv`/`.tsv` file under a directory (plain or .gz)."""
    return finish(_papers(location, ctx), ctx)
