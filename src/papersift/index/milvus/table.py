"""The few collection operations the lexical and vector sides share, on one `MilvusClient`.

Writes are read-modify-write of whole rows: the lexical and the dense side each own some
fields of a paper's row, and a plain upsert replaces every field, so each side reads the
row first and keeps the other side's fields. (Milvus's partial upsert would avoid the read,
but it is not available in every server release papersift can talk to.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from papersift.index.milvus.expr import literal
from papersift.index.milvus.schema import ROW_FIELDS, empty_row

WRITE_BATCH = 500  # rows per upsert request (keeps gRPC messages well under their size limit)
ID_CHUNK = 1_000  # ids per `id in [...]` expression
MAX_TOPK = 16_384  # Milvus's limit on limit + offset for search and query
COUNT_TTL_S = 5.0  # how long a cached count may be served (another process may be writing)


def id_list(ids: Iterable[str]) -> str:
    return "[" + ", ".join(literal(i) for i in ids) + "]"


def chunks(items: list[str], size: int = ID_CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Table:
    """One papersift collection: rows by id, counts, iteration over matches."""

    def __init__(self, client: Any, name: str, dim: int):
        self.client, self.name, self.dim = client, name, dim
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def rows(self, ids: Iterable[str], fields: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Stored rows by id (missing ids are absent)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, dict[str, Any]] = {}
        for part in chunks(wanted):  # not client.get: it quotes ids without escaping them
            for row in self.client.query(
                self.name, filter=f"id in {id_list(part)}", output_fields=fields or ROW_FIELDS
            ):
                out[row["id"]] = dict(row)
        return out

    def merge(self, updates: dict[str, dict[str, Any]]) -> None:
        """Write `updates` (id -> fields) over the stored rows, creating missing ones."""
        if not updates:
            return
        current = self.rows(updates)
        rows = []
        for pid, fields in updates.items():
            row = current.get(pid) or empty_row(pid, self.dim)
            row = {k: row[k] for k in ROW_FIELDS}
            row.update(fields)
            rows.append(row)
        for i in range(0, len(rows), WRITE_BATCH):
            self.client.upsert(self.name, rows[i : i + WRITE_BATCH])
        self.changed()

    def delete(self, ids: Iterable[str]) -> None:
        wanted = list(dict.fromkeys(ids))
        for part in chunks(wanted):
            self.client.delete(self.name, filter=f"id in {id_list(part)}")
        if wanted:
            self.changed()

    def flush(self) -> None:
        self.client.flush(self.name)

    def changed(self) -> None:
        with self._lock:
            self._counts.clear()

    def count(self, expr: str | None, cache: bool = False) -> int:
        """How many rows match `expr` (None: all rows); `cache` serves a recent answer."""
        key = expr or ""
        now = time.monotonic()
        if cache:
            with self._lock:
                hit = self._counts.get(key)
            if hit and now - hit[0] < COUNT_TTL_S:
                return hit[1]
        res = self.client.query(self.name, filter=key, output_fields=["count(*)"])
        n = int(res[0]["count(*)"]) if res else 0
        if cache:
            with self._lock:
                self._counts[key] = (now, n)
        return n

    def scan(self, expr: str, fields: list[str], limit: int = -1) -> Iterator[dict[str, Any]]:
        """Every row matching `expr` (not empty), in no particular order; at most `limit` (-1: all).

        One query answers up to MAX_TOPK rows; only beyond that does pymilvus's query iterator
        page through, whose cursor (`id > "..."`) cannot quote ids containing `"` or `\\`.
        """
        cap = MAX_TOPK if limit < 0 else min(limit, MAX_TOPK)
        rows = self.client.query(self.name, filter=expr, limit=cap, output_fields=fields)
        if len(rows) < cap or 0 <= limit <= MAX_TOPK:
            yield from rows
            return
        it = self.client.query_iterator(self.name, batch_size=1_000, limit=limit, filter=expr, output_fields=fields)
        try:
            while page := it.next():
                yield from page
        finally:
            it.close()
