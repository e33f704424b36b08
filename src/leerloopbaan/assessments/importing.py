"""The fast path for test_results.csv in the registry import: column-wise checks with polars.

A city's results file has a row per pupil, test and date but few distinct pupils per test, dates,
instruments and scores formats. Every check runs once per distinct value (pupil number -> key -> id,
date) or as a vectorised operation (instrument, domain and scale version against the instrument,
the score format and range, duplicates of pupil, date and instrument).

The fast path only accepts: it never reports. When any row fails a check (or the file is an XLSX
sheet, or the importer works for school staff, whose rows are checked against their enrolments),
``NotFast`` is raised and the row-by-row checker in ``registry.importer.core`` reads the files,
naming every invalid row with its line, column, value and reason. Both paths check the same rules;
``tests/assessments/test_import_results.py`` imports the same files through both.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.reading import FileProblem, csv_header

NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
KEY_COLUMNS = ["pupil_id", "date", "instrument_id"]


class NotFast(Exception):
    """This file needs the row-by-row checker."""


def _map_unique(series: pl.Series, resolve) -> pl.Series:
    mapping = {value: resolve(value) for value in series.unique().to_list()}
    return series.replace_strict(mapping)


def check_csv(path: Path, *, keys: rules.PupilKeys, pupils: dict[str, int], instruments: dict) -> pl.DataFrame:
    """The rows of a valid CSV file as a frame (pupil_id, date, instrument_id, scale_score,
    scale_version), or NotFast. ``instruments``: code -> Instrument."""
    if path.suffix.lower() != ".csv":
        raise NotFast("not a CSV file")
    try:
        header, delimiter, _bom = csv_header(path)
    except FileProblem as exc:
        raise NotFast(exc.reason) from exc
    if rules.check_header("test_results", header):
        raise NotFast("header")
    pupil_columns = [c for c in rules.PUPIL_COLUMNS if c in header]
    if len(pupil_columns) != 1:
        raise NotFast("pupil columns")
    pupil_column = pupil_columns[0]
    try:
        frame = pl.read_csv(path, separator=delimiter, has_header=True, infer_schema=False, encoding="utf8", new_columns=header)
    except (pl.exceptions.PolarsError, UnicodeDecodeError, ValueError) as exc:
        raise NotFast(str(exc)) from exc
    if frame.height == 0:
        return pl.DataFrame(schema={"pupil_id": pl.Int64, "date": pl.Date, "instrument_id": pl.Int64, "scale_score": pl.Float64,
                                    "scale_version": pl.String})
    if frame.null_count().sum_horizontal().item():
        raise NotFast("an empty or missing field")
    frame = frame.with_columns(pl.all().str.strip_chars())
    if frame.select(pl.any_horizontal([(pl.col(c) == "") | pl.col(c).str.contains("\x00", literal=True) for c in header]).any()).item():
        raise NotFast("an empty field or a NUL character")

    def pupil_id(value: str) -> int:
        try:
            key = keys.key(value if pupil_column == "national_number" else "", value if pupil_column == "pupil_key" else "")[0]
        except rules.Invalid as exc:
            raise NotFast("pupil") from exc
        found = pupils.get(key)
        if found is None:
            raise NotFast("unknown pupil")
        return found

    def date(value: str) -> str:
        try:
            return rules.parse_date(value).isoformat()
        except rules.Invalid as exc:
            raise NotFast("date") from exc

    if not frame["instrument"].is_in(list(instruments)).all():
        raise NotFast("unknown instrument")
    table = pl.DataFrame({
        "instrument": list(instruments),
        "instrument_id": [i.pk for i in instruments.values()],
        "want_domain": [i.domain for i in instruments.values()],
        "want_version": [i.scale_version for i in instruments.values()],
        "low": [float(i.score_min) for i in instruments.values()],
        "high": [float(i.score_max) for i in instruments.values()],
    }, schema_overrides={"instrument_id": pl.Int64})
    if not frame["scale_score"].str.contains(NUMBER).all():
        raise NotFast("score format")
    work = frame.with_columns(
        _map_unique(frame[pupil_column], pupil_id).cast(pl.Int64).alias("pupil_id"),
        _map_unique(frame["date"], date).str.to_date("%Y-%m-%d").alias("date"),
        pl.col("scale_score").cast(pl.Float64),
    ).join(table, on="instrument", how="left", maintain_order="left")
    ok = work.select(
        ((pl.col("domain") == pl.col("want_domain")) & (pl.col("scale_version") == pl.col("want_version"))
         & (pl.col("scale_score") >= pl.col("low")) & (pl.col("scale_score") <= pl.col("high"))).all()
    ).item()
    if not ok:
        raise NotFast("domain, scale version or score range")
    out = work.select("pupil_id", "date", "instrument_id", "scale_score", "scale_version")
    if out.select(pl.struct(KEY_COLUMNS).is_duplicated().any()).item():
        raise NotFast("a result twice")
    return out


def write_new(frame: pl.DataFrame, *, source: str, now) -> int:
    """Insert new results (pupil_id, instrument_id, date, scale_score, scale_version) in bulk, in the
    order of the unique index (pupil, date, instrument) so that the index grows at its end: COPY on
    PostgreSQL, executemany on SQLite. ``now``: created/updated time as the database wants it."""
    import io

    from django.db import connection

    from leerloopbaan.assessments.models import TestResult

    if frame.height == 0:
        return 0
    frame = frame.sort(["pupil_id", "date", "instrument_id"]).select(
        "pupil_id", "instrument_id", pl.col("date").dt.strftime("%Y-%m-%d"), "scale_score", "scale_version",
        pl.lit(source).alias("source"), pl.lit(str(now)).alias("created_at"), pl.lit(str(now)).alias("updated_at"))
    table = TestResult._meta.db_table
    columns = "pupil_id, instrument_id, date, scale_score, scale_version, source, created_at, updated_at"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            frame.write_csv(buffer, separator="\t", include_header=False, quote_style="never", float_precision=None)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        else:
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", frame.rows())
    return frame.height


def load_existing(frame: pl.DataFrame) -> pl.DataFrame:
    """The stored results that may share a natural key with ``frame`` (same dates range), as a frame
    (pk, pupil_id, date, instrument_id, old_score, old_version): one query, no model instances."""
    from django.db import connection

    from leerloopbaan.assessments.models import TestResult

    schema = {"pk": pl.Int64, "pupil_id": pl.Int64, "date": pl.String, "instrument_id": pl.Int64, "old_score": pl.Float64,
              "old_version": pl.String}
    low, high = frame["date"].min(), frame["date"].max()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, pupil_id, date, instrument_id, scale_score, scale_version FROM {TestResult._meta.db_table} "
                       "WHERE date >= %s AND date <= %s",
                       [connection.ops.adapt_datefield_value(low), connection.ops.adapt_datefield_value(high)])
        rows = [(pk, pid, str(day), iid, score, version) for pk, pid, day, iid, score, version in cursor.fetchall()]
    return pl.DataFrame(rows, orient="row", schema=schema).with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
