"""The fast path for absences.csv: column-wise checks with polars, then COPY / executemany.

A school's absences file has millions of rows but few distinct pupils, schools and dates. So every
check runs once per distinct value (pupil number -> key -> id, school number -> id, date -> day)
and the per-row work is vectorised: membership of half-day and code in their lists, the enrolment
period that must contain the date (a join on pupil, school and school year), and duplicate half
days (a 64-bit key per row). Memory is bounded by the batch size.

The fast path only accepts: it never reports. When any row of a file fails a check, the rows of
that file written so far are removed and the file is read again by the row-by-row checker in
``absences.py``, which names every invalid row with its line, column, value and reason. The two
paths check the same rules; tests import the same files through both.
"""

from __future__ import annotations

import io
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from django.db import connection

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.absences import KIND
from leerloopbaan.registry.importer.bulk import sql_moment
from leerloopbaan.registry.importer.reading import FileProblem, csv_header

BATCH_ROWS = 1_000_000
PUPIL_SHIFT = 22  # duplicate key: pupil_id << 22 | day ordinal << 1 | PM


class NotFast(Exception):
    """This file needs the row-by-row checker (an invalid row, or a form the fast path skips)."""


@dataclass
class PeriodIndex:
    """Enrolment periods keyed by pupil, school and school year, as a polars frame."""

    frame: pl.DataFrame

    @classmethod
    def load(cls) -> PeriodIndex:
        with connection.cursor() as cur:
            cur.execute("SELECT pupil_id, school_id, school_year, start_date, end_date FROM registry_enrolment")
            rows = cur.fetchall()
        if not rows:
            return cls(pl.DataFrame({"k": [], "start": [], "end": []}, schema={"k": pl.Int64, "start": pl.Int32, "end": pl.Int32}))
        pid, sid, year, start, end = zip(*rows, strict=True)
        big = 3_652_059  # date.max.toordinal()
        frame = pl.DataFrame(
            {
                "pid": np.fromiter(pid, dtype=np.int64, count=len(rows)),
                "sid": np.fromiter(sid, dtype=np.int64, count=len(rows)),
                "sy": np.fromiter((int(y[:4]) for y in year), dtype=np.int64, count=len(rows)),
                "start": np.fromiter((_ordinal(d) for d in start), dtype=np.int32, count=len(rows)),
                "end": np.fromiter((_ordinal(d) if d else big for d in end), dtype=np.int32, count=len(rows)),
            }
        )
        frame = frame.select(_period_key(pl.col("pid"), pl.col("sid"), pl.col("sy")).alias("k"), "start", "end")
        return cls(frame)


def _ordinal(day) -> int:
    if isinstance(day, str):  # SQLite hands dates back as text through a raw cursor
        import datetime

        day = datetime.date.fromisoformat(day)
    return day.toordinal()


def _period_key(pid, sid, sy):
    return pid * (1 << 24) + sid * 256 + (sy - 1900)


class DuplicateGuard:
    """The (pupil, date, half day) keys of every absence row accepted so far in this import, kept as
    sorted blocks: a new batch is checked against each block by binary search (no re-sorting of
    what was accepted), so checking n rows costs O(n log n) overall."""

    def __init__(self):
        self.blocks: list[np.ndarray] = []

    def admit(self, keys: np.ndarray) -> None:
        keys = np.sort(keys, kind="stable")
        if keys.size > 1 and (keys[1:] == keys[:-1]).any():
            raise NotFast("a pupil is absent twice on one half day")
        for block in self.blocks:
            at = np.searchsorted(block, keys)
            at[at == block.size] = 0
            if (block[at] == keys).any():
                raise NotFast("a half day given twice")
        if keys.size:
            self.blocks.append(keys)

    def snapshot(self) -> list[np.ndarray]:
        return list(self.blocks)

    def restore(self, blocks: list[np.ndarray]) -> None:
        self.blocks = blocks

    def as_set(self) -> set[int]:
        return {int(k) for block in self.blocks for k in block}

    def replace(self, keys: set[int]) -> None:
        self.blocks = [np.array(sorted(keys), dtype=np.int64)] if keys else []


def _map_unique(series: pl.Series, resolve) -> pl.Series:
    """Map each distinct value through ``resolve`` (raising NotFast on a bad one)."""
    uniques = series.unique()
    mapping = {value: resolve(value) for value in uniques.to_list()}
    return series.replace_strict(mapping)


def import_file(imp, name: str, path: Path, *, periods: PeriodIndex, guard: DuplicateGuard, table: str, progress,
                recorded_at=None) -> int:
    """Check and write one CSV absences file column-wise. Returns the number of rows written.
    ``recorded_at``: the moment written into the absence table with each row (None: the column's
    default stamps them, or the rows go to the staging table, stamped when merged).

    A reader thread checks batch n+1 while the database ingests batch n (polars and the socket
    both release the GIL), so the file costs about the larger of the two, not their sum.
    Raises NotFast (after removing what it wrote) when the row-by-row checker must take over.
    """
    try:
        header, delimiter, _bom = csv_header(path)
    except FileProblem as exc:
        raise NotFast(exc.reason) from exc
    if rules.check_header(KIND, header):
        raise NotFast("header")
    pupil_columns = [c for c in ("national_number", "pupil_key") if c in header]
    if len(pupil_columns) != 1:
        raise NotFast("pupil columns")
    pupil_column = pupil_columns[0]
    high_water = 0
    if table == "registry_absence":
        with connection.cursor() as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM registry_absence")
            high_water = cur.fetchone()[0]
    frame = pl.scan_csv(path, separator=delimiter, has_header=True, infer_schema=False, encoding="utf8", new_columns=header)
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce():
        try:
            for batch in frame.collect_batches(chunk_size=BATCH_ROWS):
                if stop.is_set():
                    return
                batches.put(_check_batch(imp, batch, pupil_column, periods))
            batches.put(None)
        except BaseException as exc:  # handed to the writer, which decides
            batches.put(exc)

    reader = threading.Thread(target=produce, name="absence-checker", daemon=True)
    written = 0
    accepted_before = guard.snapshot()
    writer = _Writer(table, first_id=high_water + 1, recorded_at=recorded_at)
    reader.start()
    try:
        while True:
            item = batches.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            out, keys = item
            guard.admit(keys)  # before writing: the table's unique index must never be what refuses
            writer.write(out)
            written += out.height
            progress(f"{name}: {written:,} rows checked and written")
        writer.close()
    except (NotFast, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        stop.set()
        _drain(batches, reader)
        writer.close()
        guard.restore(accepted_before)
        _remove_since(table, high_water)
        raise NotFast(str(exc)) from exc
    except BaseException:
        stop.set()
        _drain(batches, reader)
        writer.close()
        raise
    return written


def _drain(batches: queue.Queue, reader: threading.Thread) -> None:
    while reader.is_alive():
        try:
            batches.get(timeout=0.1)
        except queue.Empty:
            pass
    reader.join()


def _check_batch(imp, batch: pl.DataFrame, pupil_column: str, periods: PeriodIndex) -> tuple[pl.DataFrame, np.ndarray]:
    if batch.null_count().sum_horizontal().item():
        raise NotFast("an empty or missing field")

    def pupil_id(value: str) -> int:
        try:
            key = imp.keys.key(value.strip() if pupil_column == "national_number" else "",
                               value.strip() if pupil_column == "pupil_key" else "")[0]
        except rules.Invalid as exc:
            raise NotFast("pupil") from exc
        found = imp.pupils.get(key)
        if found is None:
            raise NotFast("unknown pupil")
        return found

    def school_id(value: str) -> int:
        number = value.strip()
        found = imp.schools.get(number)
        if found is None or (imp.allowed is not None and number not in imp.allowed):
            raise NotFast("school")
        return found

    days: dict[str, tuple[int, int, str]] = {}

    def day(value: str) -> int:
        try:
            parsed = rules.parse_date(value.strip())
        except rules.Invalid as exc:
            raise NotFast("date") from exc
        if parsed.weekday() >= 5:
            raise NotFast("weekend")
        first = parsed.year if parsed.month >= 9 else parsed.year - 1
        days[value] = (parsed.toordinal(), first, parsed.isoformat())
        return parsed.toordinal()

    if not batch["half_day"].is_in(["AM", "PM"]).all() or not batch["code"].is_in(list(rules.CODES)).all():
        raise NotFast("half day or code")
    pids = _map_unique(batch[pupil_column], pupil_id).cast(pl.Int64)
    sids = _map_unique(batch["school_number"], school_id).cast(pl.Int64)
    ordinals = _map_unique(batch["date"], day).cast(pl.Int32)
    first_years = batch["date"].replace_strict({k: v[1] for k, v in days.items()}).cast(pl.Int64)
    iso = batch["date"].replace_strict({k: v[2] for k, v in days.items()})
    pm = (batch["half_day"] == "PM").cast(pl.Int64)
    work = pl.DataFrame({"row": np.arange(batch.height, dtype=np.int64), "pid": pids, "sid": sids, "ord": ordinals, "sy": first_years})
    work = work.with_columns(_period_key(pl.col("pid"), pl.col("sid"), pl.col("sy")).alias("k"))
    covered = (
        work.join(periods.frame, on="k", how="inner")
        .filter((pl.col("start") <= pl.col("ord")) & (pl.col("ord") <= pl.col("end")))
        .select(pl.col("row").n_unique())
        .item()
    )
    if covered != work.height:
        raise NotFast("a date outside the pupil's enrolment in that school")
    keys = (pids.to_numpy() << PUPIL_SHIFT) | (work["ord"].to_numpy().astype(np.int64) << 1) | pm.to_numpy()
    out = pl.DataFrame({"pupil_id": pids, "school_id": sids, "date": iso, "half_day": batch["half_day"], "code": batch["code"]})
    return out, keys


class _Writer:
    """Bulk writes into the absence table (or the staging table) on the import's connection:
    one COPY per file on PostgreSQL, with ids given from max(id) + 1 when loading the absence table
    itself (it is locked, its indexes are rebuilt afterwards); batched executemany on SQLite.
    Rows written to the absence table itself get ``recorded_at`` (the import's moment); staged rows
    get it when they are merged."""

    COLUMNS = "pupil_id, school_id, date, half_day, code"

    def __init__(self, table: str, first_id: int = 1, recorded_at=None):
        self.table = table
        self.next_id = first_id
        self.cursor = connection.connection.cursor()
        self.copy_ctx = self.copy = None
        self.with_ids = connection.vendor == "postgresql" and table == "registry_absence"
        self.recorded_at = recorded_at if table == "registry_absence" else None
        stamp = ", recorded_at" if self.recorded_at is not None else ""
        if connection.vendor == "postgresql":
            columns = ("id, " if self.with_ids else "") + self.COLUMNS + stamp
            self.copy_ctx = self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            self.copy = self.copy_ctx.__enter__()
        else:
            moment = f", {sql_moment(self.recorded_at)}" if self.recorded_at is not None else ""
            self.sql = f"INSERT INTO {table} ({self.COLUMNS}{stamp}) VALUES (?, ?, ?, ?, ?{moment})"

    def write(self, out: pl.DataFrame) -> None:
        if self.copy is None:
            self.cursor.executemany(self.sql, out.rows())
            return
        if self.with_ids:
            out = out.select((pl.int_range(0, out.height, dtype=pl.Int64) + self.next_id).alias("id"), *out.columns)
            self.next_id += out.height
        if self.recorded_at is not None:
            out = out.with_columns(pl.lit(self.recorded_at.isoformat()).alias("recorded_at"))
        buffer = io.BytesIO()
        out.write_csv(buffer, separator="\t", include_header=False, quote_style="never")
        self.copy.write(buffer.getvalue())

    def close(self) -> None:
        if self.copy_ctx is not None:
            ctx, self.copy_ctx = self.copy_ctx, None
            ctx.__exit__(None, None, None)
        if self.with_ids and self.next_id > 1:
            # ids were given from max(id) + 1 (the table is locked): move the sequence past them
            self.cursor.execute(
                "SELECT setval(pg_get_serial_sequence('registry_absence', 'id'),"
                " GREATEST(%s, nextval(pg_get_serial_sequence('registry_absence', 'id'))))",
                [self.next_id - 1],
            )
        self.cursor.close()


def _remove_since(table: str, high_water: int) -> None:
    with connection.cursor() as cur:
        if table == "registry_absence":
            cur.execute("DELETE FROM registry_absence WHERE id > %s", [high_water])
        else:
            cur.execute(f"DELETE FROM {table}")
