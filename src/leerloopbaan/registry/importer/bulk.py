"""Inserting many new rows without the ORM's per-row work: COPY on PostgreSQL, executemany on
SQLite. Callers pass plain values per column (attnames, e.g. ``pupil_id``); no ids come back."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import connection

BATCH = 20_000


def _sqlite_value(value):
    if isinstance(value, datetime.datetime):
        # as the ORM stores a moment on SQLite (UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'), so that
        # comparisons in SQL order it with the rows the ORM wrote
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def sql_moment(value: datetime.datetime) -> str:
    """``value`` as an SQL literal of a timestamp column on this connection (for a bulk write that
    stamps every row with one moment without passing it per row)."""
    text = connection.ops.adapt_datetimefield_value(value) if connection.vendor == "sqlite" else value.isoformat()
    if "'" in str(text):
        raise ValueError(f"not a moment: {value!r}")
    return f"'{text}'"


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``, attnames of ``model``) in bulk."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    db_columns = [by_attname[c].column for c in columns]
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in db_columns)
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
        batch = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= BATCH:
                raw.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            written += len(batch)
    return written
