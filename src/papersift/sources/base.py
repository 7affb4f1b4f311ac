"""What every source yields, and how it reports problems.

A source is a function `iter_papers(location, ctx) -> Iterator[Item]` that streams. Items are
papers, per-record errors (the run goes on: good records before and after are kept) and
checkpoints (a position the source can resume from once everything before it is stored).
Errors that make the whole location unreadable raise `SourceError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from papersift.paper import Paper


class SourceError(Exception):
    """The location as a whole cannot be read (missing file, HTTP error page, bad archive)."""


@dataclass(frozen=True)
class RecordError:
    """One bad record: `where` names file and line/record (e.g. `a.jsonl:17`)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Checkpoint:
    """Resume marker: stored atomically with every paper yielded before it."""

    key: str
    value: str


Item = Paper | RecordError | Checkpoint


@dataclass
class SourceContext:
    """Run-wide inputs a source may use.

    `since` drops papers last updated before it; `options` are source-specific `key=value`
    settings from the CLI (`--option`); `resume` holds the checkpoints stored by earlier runs.
    """

    since: date | None = None
    options: dict[str, str] = field(default_factory=dict)
    resume: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] | None = None


SourceFn = Callable[[str, SourceContext], Iterator[Item]]
