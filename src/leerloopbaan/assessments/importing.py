"""test_results.csv, the file kind assessments adds to the registry import (docs/data-import.md).

``KIND`` is registered from ``AssessmentsConfig.ready()``; ``load`` reads the files through the
importer's public methods. Two paths check the same rules:

The fast path: column-wise checks with polars.

A city's results file has a row per pupil, test and date but few distinct pupils per test, dates,
instruments and scores formats. Every check runs once per distinct value (pupil number -> key -> id,
date) or as a vectorised operation (instrument, domain and scale version against the instrument,
the score format and range, duplicates of pupil, date and instrument).

The fast path only accepts: it never reports. When any row fails a check (or the file is an XLSX
sheet, or the importer works for school staff, whose rows are checked against their enrolments),
``NotFast`` is raised and the row-by-row checker (``_load_rows``) reads the files,
naming every invalid row with its line, column, value and reason. Both paths check the same rules;
``tests/assessments/test_import_results.py`` imports the same files through both.
"""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from leerloopbaan.assessments.models import Instrument, TestResult
from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.kinds import FileKind
from leerloopbaan.registry.importer.reading import FileProblem, csv_header
from leerloopbaan.registry.models import Enrolment

if TYPE_CHECKING:
    from leerloopbaan.registry.importer.core import Importer

NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
KEY_COLUMNS = ["pupil_id", "date", "instrument_id"]
DOMAINS = ("dutch", "reading", "maths")


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
    if rules.check_header(KIND, header):
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
    schema = {"pk": pl.Int64, "pupil_id": pl.Int64, "date": pl.String, "instrument_id": pl.Int64, "old_score": pl.Float64,
              "old_version": pl.String}
    low, high = frame["date"].min(), frame["date"].max()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, pupil_id, date, instrument_id, scale_score, scale_version FROM {TestResult._meta.db_table} "
                       "WHERE date >= %s AND date <= %s",
                       [connection.ops.adapt_datefield_value(low), connection.ops.adapt_datefield_value(high)])
        rows = [(pk, pid, str(day), iid, score, version) for pk, pid, day, iid, score, version in cursor.fetchall()]
    return pl.DataFrame(rows, orient="row", schema=schema).with_columns(pl.col("date").str.to_date("%Y-%m-%d"))


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def scale_score(value: str, low: float, high: float, code: str) -> float:
    """A scale score inside the instrument's range [low, high]."""
    score = rules.number(value)
    if not low <= score <= high:
        raise rules.Invalid("outside the instrument's score range", f"a number from {_fmt_number(low)} to {_fmt_number(high)} ({code})")
    return score


# --- the kind -----------------------------------------------------------------------------------

def load(imp: Importer, files: list[tuple[str, Path]]) -> None:
    """Import test_results files: column-wise when every row is valid, otherwise row by row (school
    staff always row by row: their rows are checked against their enrolments)."""
    instruments = {i.code: i for i in Instrument.objects.all()}
    if imp.allowed is None:
        try:
            frames = [(name, check_csv(path, keys=imp.keys, pupils=imp.pupils, instruments=instruments)) for name, path in files]
            _write_frames(imp, frames, instruments)
            return
        except NotFast:
            pass  # the row-by-row checker reports every problem
    _load_rows(imp, files, instruments)


def _load_rows(imp: Importer, files: list[tuple[str, Path]], instruments: dict) -> None:
    """Check every row and report each problem (line, column, value, reason), then upsert."""
    codes = ", ".join(sorted(instruments)) or "none defined"

    def instrument(value):
        if value not in instruments:
            raise rules.Invalid("unknown instrument", "a known instrument code: " + codes)
        return instruments[value]

    # school staff: only results of pupils enrolled in one of their schools on the test date
    enrolled: dict[int, list] | None = None
    if imp.allowed is not None:
        enrolled = defaultdict(list)
        school_ids = [imp.schools[n] for n in imp.allowed if n in imp.schools]
        for pid, start, end in Enrolment.objects.filter(school_id__in=school_ids).values_list("pupil_id", "start_date", "end_date"):
            enrolled[pid].append((start, end))
        for pid, _sid, _year, start, end in imp.held_enrolment_periods(set(school_ids)):
            enrolled[pid].append((start, end))  # held for the city: checked as if written
        allowed_text = ", ".join(sorted(imp.allowed))

    def domain_of(value):
        return rules.choice(value, DOMAINS)

    score_of = {code: (lambda v, i=i: scale_score(v, i.score_min, i.score_max, i.code)) for code, i in instruments.items()}
    rows: dict[tuple, tuple[str, dict]] = {}
    where: dict[tuple, tuple[str, int]] = {}
    for name, path in files:
        imp.count(name)
        for line, row in imp.rows(name, KIND, path):
            errs = []
            key = imp.pupil_key(row, errs)
            known = imp.pupil_ref(key, row, errs)
            day = imp.field(row, "date", rules.parse_date, errs)
            inst = imp.field(row, "instrument", instrument, errs)
            domain = imp.field(row, "domain", domain_of, errs)
            if inst is not None and domain is not None and domain != inst.domain:
                errs.append(("domain", domain, "not the instrument's domain", f"{inst.domain} (the domain of {inst.code})"))
            score = imp.field(row, "scale_score", score_of[inst.code] if inst is not None else rules.number, errs)
            version = imp.field(row, "scale_version", str, errs)
            if inst is not None and version is not None and version != inst.scale_version:
                errs.append(("scale_version", version, "not the instrument's scale version",
                             f"{inst.scale_version} (the scale of {inst.code})"))
            if enrolled is not None and known and day is not None:
                pid = imp.pupils.get(key)
                if pid is None or not any(s <= day and (e is None or e >= day) for s, e in enrolled.get(pid, ())):
                    column = "national_number" if row.get("national_number") else "pupil_key"
                    shown = rules.mask_national_number(row["national_number"]) if column == "national_number" else row["pupil_key"]
                    errs.append((column, shown, "this pupil is not enrolled in one of your schools on this date",
                                 f"a pupil enrolled in one of your schools ({allowed_text}) on {day}"))
            nk = (key, day, inst.code if inst is not None else None)
            if None not in nk:
                if nk in where:
                    f, ln = where[nk]
                    errs.append(("date", row["date"], f"result appears twice (also {f} line {ln})",
                                 "one row per pupil, date and instrument"))
                else:
                    where[nk] = (name, line)
            if not imp.report_row(name, line, errs) or not known:
                continue
            rows[nk] = (name, {"scale_score": score, "scale_version": version, "_instrument": inst.pk})
    if imp.errors or not rows:
        return
    for nk in [nk for nk in rows if nk[0] in imp.held_keys]:
        name, v = rows.pop(nk)
        imp.hold(name, "test_results", nk[0], {"date": nk[1], "instrument": nk[2], **v})
    if not rows:
        return
    key_of = {imp.pupils[k]: k for k, _d, _c in rows}
    ids = list(key_of)
    existing = {}
    for i in range(0, len(ids), 2000):
        for r in TestResult.objects.filter(pupil_id__in=ids[i:i + 2000]).select_related("instrument"):
            existing[(key_of[r.pupil_id], r.date, r.instrument.code)] = r
    fields = ["scale_score", "scale_version"]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    imp.tag_natural_keys(rows)
    imp.upsert(TestResult, "test_result", rows, existing,
               lambda v: {"pupil_id": imp.pupils[v["_nk"][0]], "instrument_id": v["_instrument"], "date": v["_nk"][1],
                          **{f: v[f] for f in fields}, "source": TestResult.Source.IMPORT, "entered_by_id": None,
                          "created_at": now, "updated_at": now},
               fields)


def _write_frames(imp: Importer, frames: list[tuple[str, pl.DataFrame]], instruments: dict) -> None:
    """Write test results checked column-wise (``check_csv``): new rows in bulk,
    changed ones updated with a RecordChange, the same counts as the row-by-row path. Raises
    NotFast, before writing anything, for a result given twice across files."""
    frame = pl.concat([f.with_columns(pl.lit(name).alias("file")) for name, f in frames])
    if frame.select(pl.struct(KEY_COLUMNS).is_duplicated().any()).item():
        raise NotFast("a result twice in the data set")
    for name, _f in frames:
        imp.count(name)
    if frame.height == 0:
        return
    joined = frame.join(load_existing(frame), on=KEY_COLUMNS, how="left")
    status = (pl.when(pl.col("pk").is_null()).then(pl.lit("added"))
              .when((pl.col("scale_score") == pl.col("old_score")) & (pl.col("scale_version") == pl.col("old_version")))
              .then(pl.lit("unchanged")).otherwise(pl.lit("updated")))
    joined = joined.with_columns(status.alias("status"))
    for name, state, n in joined.group_by(["file", "status"]).len().iter_rows():
        imp.count(name)[state] += n
    if imp.errors:
        return
    write_new(joined.filter(pl.col("status") == "added"), source=TestResult.Source.IMPORT,
              now=connection.ops.adapt_datetimefield_value(timezone.now()))
    changed = joined.filter(pl.col("status") == "updated")
    if changed.height:
        wanted = set(changed["pupil_id"].to_list())
        key_of = {pid: key for key, pid in imp.pupils.items() if pid in wanted}
        codes = {i.pk: i.code for i in instruments.values()}
        fields = ["scale_score", "scale_version"]
        objs = {r.pk: r for r in TestResult.objects.filter(pk__in=changed["pk"].to_list())}
        changes = []
        for row in changed.iter_rows(named=True):
            inst = objs[row["pk"]]
            before = {f: getattr(inst, f) for f in fields}
            after = {f: row[f] for f in fields}
            changes.append((f"{key_of[row['pupil_id']]}/{row['date']}/{codes[row['instrument_id']]}",
                            {f: before[f] for f in fields if before[f] != after[f]},
                            {f: after[f] for f in fields if before[f] != after[f]}))
            for f in fields:
                setattr(inst, f, after[f])
        TestResult.objects.bulk_update(list(objs.values()), fields, batch_size=2000)
        imp.record_changes("test_result", changes)


KIND = FileKind(
    name="test_results", label=gettext_lazy("test results"), order=60, owner="assessments", load=load, has_pupil=True,
    required=("date", "instrument", "domain", "scale_score", "scale_version"),
)
