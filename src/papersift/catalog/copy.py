"""Copy a whole papersift database to another one (SQLite -> PostgreSQL, or any SQLAlchemy URL pair).

Used by `papersift catalog copy --to URL` (moving a home's catalog to a database server) and by
`papersift backup` when the catalog is not a SQLite file. Every table the migrations created is
copied — papers and their change-log numbers, accounts, votes, collections, digest ledgers — so
indexes built against the source stay valid against the copy (same `seq` values).

The source is read inside one transaction (a consistent snapshot even while an ingest writes), the
destination is brought to the same schema revision by the migrations and must be empty, rows go
in foreign-key order in batches, and each table's row count is compared afterwards: a copy that
does not match raises, it is never reported as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from papersift.catalog.store import create_engine_for, migrate

log = logging.getLogger(__name__)
BATCH = 2000
ALEMBIC_TABLE = "alembic_version"


class CopyError(Exception):
    """The copy could not be made or did not verify; the message says which table and why."""


@dataclass
class CopyReport:
    """Rows per table in the source snapshot and in the destination after the copy."""

    revision: str | None = None
    source_rows: dict[str, int] = field(default_factory=dict)
    copied_rows: dict[str, int] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.source_rows == self.copied_rows


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read connection that sees one consistent state of the database for its whole life."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite starts no transaction for SELECTs by itself
        elif conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        try:
            yield conn
        finally:
            conn.rollback()


def _revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table(ALEMBIC_TABLE):
        return None
    return conn.execute(sa.text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()


def copy_database(source: Engine, dest_url: str, on_table: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy every table of `source` into the (empty) database at `dest_url`; verify the row counts."""
    dest = create_engine_for(dest_url)
    try:
        return _copy(source, dest, on_table)
    finally:
        dest.dispose()


def _copy(source: Engine, dest: Engine, on_table: Callable[[str, int], None] | None) -> CopyReport:
    report = CopyReport()
    with snapshot(source) as src:
        report.revision = _revision(src)
        if report.revision is None:
            raise CopyError("the source has no papersift schema (no alembic_version table)")
        migrate(dest)
        with dest.connect() as probe:
            if _revision(probe) != report.revision:
                raise CopyError(
                    f"schema revisions differ: source {report.revision}, destination {_revision(probe)}; "
                    "upgrade the source first (any papersift command migrates it)"
                )
        src_meta = sa.MetaData()
        src_meta.reflect(src)
        dst_meta = sa.MetaData()
        dst_meta.reflect(dest)
        tables = [t for t in src_meta.sorted_tables if t.name != ALEMBIC_TABLE]
        with dest.begin() as dst:
            for table in tables:
                target = dst_meta.tables.get(table.name)
                if target is None:
                    raise CopyError(f"table {table.name} is missing in the destination")
                if dst.execute(sa.select(sa.func.count()).select_from(target)).scalar():
                    raise CopyError(f"the destination is not empty (table {table.name} has rows)")
                report.source_rows[table.name] = _copy_table(src, dst, table, target)
                if on_table:
                    on_table(table.name, report.source_rows[table.name])
            if dst.dialect.name == "postgresql":
                _advance_sequences(dst, [dst_meta.tables[t.name] for t in tables])
        with dest.connect() as check:
            for table in tables:
                n = check.execute(sa.select(sa.func.count()).select_from(dst_meta.tables[table.name])).scalar()
                report.copied_rows[table.name] = int(n or 0)
    if not report.verified:
        diff = {
            t: (n, report.copied_rows.get(t)) for t, n in report.source_rows.items() if report.copied_rows.get(t) != n
        }
        raise CopyError(f"row counts differ after the copy (table: source, destination): {diff}")
    return report


def _copy_table(src: Connection, dst: Connection, table: sa.Table, target: sa.Table) -> int:
    """Stream one table in primary-key order; values pass through SQLAlchemy's types on both sides."""
    names = [c.name for c in table.columns if c.name in target.c]
    order = list(table.primary_key.columns) or [table.c[names[0]]]
    rows = src.execution_options(stream_results=True, yield_per=BATCH).execute(
        sa.select(*[table.c[n] for n in names]).order_by(*order)
    )
    total = 0
    for part in rows.partitions(BATCH):
        dst.execute(target.insert(), [dict(zip(names, r, strict=True)) for r in part])
        total += len(part)
    return total


def _advance_sequences(dst: Connection, tables: list[sa.Table]) -> None:
    """Rows were inserted with their ids, so move each serial column's sequence past the largest id
    (otherwise the next sign-up on the server would collide with a copied user)."""
    for table in tables:
        for column in table.primary_key.columns:
            seq = dst.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if seq:
                dst.execute(
                    sa.text(
                        f"SELECT setval(:s, COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    ),
                    {"s": seq},
                )
