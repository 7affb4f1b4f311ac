"""The query's error and its structured filters: shared by the parser and every surface.

They live with the query language (not the search service) so the parser and both index
backends can use them without importing the service above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class QueryError(ValueError):
    """A query the user must fix; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Filters:
    """Structured filters from a UI/API (in addition to any written in the query text)."""

    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
