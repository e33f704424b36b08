"""absences.csv: the big file. Rows are streamed, checked with in-memory lookups and written in bulk.

Writes go straight into the absence table with ``COPY`` (PostgreSQL) or batched ``executemany``
(SQLite) when no absence has been imported yet; otherwise rows go to a temporary staging table and
are merged with set-based SQL (added / updated with history / unchanged), so a re-import stays
linear and its memory bounded.

The absences kind of the registry (``KIND``); it reads and reports through the importer's public
methods only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import connection
from django.utils.translation import gettext_lazy

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.bulk import sql_moment
from leerloopbaan.registry.importer.kinds import FileKind
from leerloopbaan.registry.importer.reading import FileProblem, open_rows

_HALF = {"AM": 0, "PM": 1}
_CODES = frozenset(rules.CODES)
STAGE = "ll_import_absence_stage"


class _Sink:
    """Where valid rows go: the absence table itself or the staging table, batched. Rows written to
    the absence table itself are stamped with ``recorded_at`` (the import's moment); the staging
    table's rows are stamped when they are merged (``_merge_stage``)."""

    def __init__(self, table: str, recorded_at=None):
        self.vendor = connection.vendor
        self.table = table
        self.raw = connection.connection
        self.buffer: list = []
        self.written = 0
        self.copy = None
        self._copy_ctx = None
        self.cursor = self.raw.cursor()
        cols = "pupil_id, school_id, date, half_day, code"
        stamped = table == "registry_absence" and recorded_at is not None
        self.suffix = ""
        if self.vendor == "postgresql":
            if stamped:
                cols += ", recorded_at"
                self.suffix = "\t" + recorded_at.isoformat()
            self._copy_ctx = self.cursor.copy(f"COPY {table} ({cols}) FROM STDIN")
            self.copy = self._copy_ctx.__enter__()
        else:
            moment = f", {sql_moment(recorded_at)}" if stamped else ""
            self.sql = f"INSERT INTO {table} ({cols}{', recorded_at' if stamped else ''}) VALUES (?, ?, ?, ?, ?{moment})"

    def add(self, pupil_id, school_id, date_text, half_day, code):
        if self.copy is not None:
            self.buffer.append(f"{pupil_id}\t{school_id}\t{date_text}\t{half_day}\t{code}{self.suffix}\n")
        else:
            self.buffer.append((pupil_id, school_id, date_text, half_day, code))
        if len(self.buffer) >= 20_000:
            self.flush()

    def flush(self):
        if not self.buffer:
            return
        if self.copy is not None:
            self.copy.write("".join(self.buffer))
        else:
            self.cursor.executemany(self.sql, self.buffer)
        self.written += len(self.buffer)
        self.buffer = []

    def close(self):
        self.flush()
        if self._copy_ctx is not None:
            self._copy_ctx.__exit__(None, None, None)
            self._copy_ctx = None
        self.cursor.close()


def _drop_indexes_pg():
    """Loading an empty absence table on PostgreSQL: drop its foreign keys and indexes (inside the
    import's transaction, so a failure or a kill restores them) and rebuild them after the COPY;
    a bulk rebuild is many times faster than maintaining them row by row. Returns the SQL to
    restore them."""
    with connection.cursor() as cur:
        # fire the deferred checks of the rows written so far, so the table can be altered
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("LOCK TABLE registry_absence IN ACCESS EXCLUSIVE MODE")
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'registry_absence'::regclass AND contype IN ('p', 'u', 'f') "
            "ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END"
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_absence' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'registry_absence'::regclass)"
        )
        indexes = cur.fetchall()
        for name, _sql in constraints:
            cur.execute(f'ALTER TABLE registry_absence DROP CONSTRAINT "{name}"')
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    # a larger sort memory for this transaction's index builds only
    restore = ["SET LOCAL maintenance_work_mem = '512MB'"]
    restore += [sql for _name, sql in indexes]
    restore += [f'ALTER TABLE registry_absence ADD CONSTRAINT "{name}" {sql}' for name, sql in constraints]
    return restore


def _stamp_by_default_pg(moment) -> list[str]:
    """Loading an empty absence table on PostgreSQL (locked by ``_drop_indexes_pg``): the column
    default of ``recorded_at`` becomes the import's moment for this transaction, so the COPY carries
    no stamp per row (a timestamp parsed per row costs the load time). Returns the SQL that puts
    the default back (a failed import rolls the change back with everything else)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "WHERE d.adrelid = 'registry_absence'::regclass AND a.attname = 'recorded_at'"
        )
        row = cur.fetchone()
        cur.execute(f"ALTER TABLE registry_absence ALTER COLUMN recorded_at SET DEFAULT {sql_moment(moment)}::timestamptz")
    if row is None:
        return ["ALTER TABLE registry_absence ALTER COLUMN recorded_at DROP DEFAULT"]
    return [f"ALTER TABLE registry_absence ALTER COLUMN recorded_at SET DEFAULT {row[0]}"]


def _restore(statements):
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def _create_stage():
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
        if connection.vendor == "postgresql":
            cur.execute(f"CREATE TEMP TABLE {STAGE} (pupil_id bigint, school_id bigint, date date, half_day varchar(2), code varchar(1)) ON COMMIT DROP")
        else:
            cur.execute(f"CREATE TEMP TABLE {STAGE} (pupil_id integer, school_id integer, date text, half_day text, code text)")


def _merge_stage(imp, name):
    """Merge the staging table into the absence table; count and record the changes. A new half day
    is stamped with the import's moment (``recorded_at``); a changed one keeps its stamp."""
    counts = imp.count(name)
    key_of = {pk: key for key, pk in imp.pupils.items()}
    join = "a.pupil_id = s.pupil_id AND a.date = s.date AND a.half_day = s.half_day"
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {STAGE} s JOIN registry_absence a ON {join}")
        matched = cur.fetchone()[0]
        cur.execute(
            f"SELECT a.pupil_id, a.date, a.half_day, a.school_id, a.code, s.school_id, s.code "
            f"FROM {STAGE} s JOIN registry_absence a ON {join} WHERE a.code <> s.code OR a.school_id <> s.school_id"
        )
        numbers = {pk: n for n, pk in imp.schools.items()}
        changes = []
        while True:
            chunk = cur.fetchmany(5000)
            if not chunk:
                break
            for pid, day, half, old_school, old_code, new_school, new_code in chunk:
                before, after = {}, {}
                if old_code != new_code:
                    before["code"], after["code"] = old_code, new_code
                if old_school != new_school:
                    before["school"], after["school"] = numbers.get(old_school), numbers.get(new_school)
                changes.append((f"{key_of.get(pid, pid)}/{day}/{half}", before, after))
        imp.record_changes("absence", changes)
        if connection.vendor == "postgresql":
            cur.execute(
                f"UPDATE registry_absence a SET code = s.code, school_id = s.school_id FROM {STAGE} s "
                f"WHERE {join} AND (a.code <> s.code OR a.school_id <> s.school_id)"
            )
        else:
            cur.execute(
                f"UPDATE registry_absence AS a SET code = s.code, school_id = s.school_id FROM {STAGE} AS s "
                f"WHERE {join} AND (a.code <> s.code OR a.school_id <> s.school_id)"
            )
        updated = cur.rowcount
        cur.execute(
            f"INSERT INTO registry_absence (pupil_id, school_id, date, half_day, code, recorded_at) "
            f"SELECT s.pupil_id, s.school_id, s.date, s.half_day, s.code, {sql_moment(imp.now)} FROM {STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM registry_absence a WHERE {join})"
        )
        added = cur.rowcount
        cur.execute(f"DELETE FROM {STAGE}")
    counts["added"] += added
    counts["updated"] += updated
    counts["unchanged"] += matched - updated


def import_absences(imp, files):
    """Import the absences files: each CSV through the column-wise fast path first; a file the fast
    path does not accept (an invalid row, XLSX, an unusual header) through the row-by-row checker,
    which reports every invalid row."""
    from leerloopbaan.registry.importer import absences_fast as fast
    from leerloopbaan.registry.models import Absence

    direct = not Absence.objects.exists()
    table = "registry_absence" if direct else STAGE
    restore = []
    stamp = imp.now  # the recorded_at of the rows written straight into the absence table
    if not direct:
        _create_stage()
    elif connection.vendor == "postgresql":
        restore = _drop_indexes_pg()
        restore = _stamp_by_default_pg(imp.now) + restore
        stamp = None  # the column default stamps them
    periods_index = None
    guard = fast.DuplicateGuard()
    slow_state = None
    for name, path in files:
        counts = imp.count(name)
        # school staff: always row by row (their pupils are checked against their reach, ``pupil_ref``)
        if not imp.errors_total and path.suffix.lower() == ".csv" and imp.allowed is None:
            if periods_index is None:
                periods_index = fast.PeriodIndex.load()
            try:
                written = fast.import_file(imp, name, path, periods=periods_index, guard=guard, table=table, progress=imp.progress,
                                           recorded_at=stamp)
            except fast.NotFast:
                pass
            else:
                if direct:
                    counts["added"] += written
                else:
                    _merge_stage(imp, name)
                continue
        if slow_state is None:
            slow_state = _SlowState.load(guard, imp)
        _slow_file(imp, name, path, counts, slow_state, direct, stamp)
        guard.replace(slow_state.seen)
    if restore and not imp.errors_total:
        imp.progress("rebuilding the indexes of the absence table")
        _restore(restore)


class _SlowState:
    """What the row-by-row checker needs: enrolment periods per pupil, the half days seen so far."""

    def __init__(self, periods, seen):
        self.periods = periods
        self.seen = seen
        self.days: dict[str, tuple[int, bool] | rules.Invalid] = {}

    @classmethod
    def load(cls, guard, imp=None) -> _SlowState:
        from leerloopbaan.registry.models import Enrolment

        periods: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        big = datetime.date.max.toordinal()
        for pid, sid, start, end in Enrolment.objects.values_list("pupil_id", "school_id", "start_date", "end_date").iterator(chunk_size=20_000):
            periods[pid].append((sid, start.toordinal(), end.toordinal() if end else big))
        # the enrolments held for the city count as written for the checks (the uploader's answer
        # is the one a new pupil gets)
        for pid, sid, _year, start, end in (imp.held_enrolment_periods() if imp is not None else ()):
            periods[pid].append((sid, start.toordinal(), end.toordinal() if end else big))
        return cls(periods, guard.as_set())


def _slow_file(imp, name, path, counts, state, direct, stamp):
    periods, seen, days = state.periods, state.seen, state.days
    try:
        header, rows = open_rows(path)
    except FileProblem as exc:
        imp.error(name, exc.line, "", "", exc.reason, exc.expected)
        return
    problems = rules.check_header(KIND, header)
    for column, reason, expected in problems:
        imp.error(name, 1, column, "", reason, expected)
    if problems:
        return
    col = {h: i for i, h in enumerate(header)}
    i_nn, i_pk = col.get("national_number"), col.get("pupil_key")
    i_sn, i_d, i_h, i_c = col["school_number"], col["date"], col["half_day"], col["code"]
    width = len(header)
    keys = imp.keys
    pupils, schools = imp.pupils, imp.schools
    allowed = imp.allowed
    sink = None
    n = 0
    try:
        for line, v in rows:
            n += 1
            if n % 250_000 == 0:
                imp.progress(f"{name}: {n:,} rows checked")
            if len(v) != width:
                imp.error(name, line, "", "", f"row has {len(v)} fields, the header has {width}", f"{width} fields")
                counts["refused"] += 1
                continue
            errs = []
            if "\x00" in "".join(v):
                imp.report_row(name, line, [("", "", "contains a NUL character", "text without control characters")])
                continue
            nn = v[i_nn].strip() if i_nn is not None else ""
            pk = v[i_pk].strip() if i_pk is not None else ""
            pupil_id = None
            try:
                key = keys.key(nn, pk)[0]
                pupil_id = pupils.get(key)
                if allowed is not None:
                    if not imp.in_reach(key):
                        pupil_id = None
                        errs.append((*imp.pupil_shown({"national_number": nn, "pupil_key": pk}), *imp.NOT_YOURS))
                elif pupil_id is None and key not in imp.pupils_seen:
                    errs.append(("national_number" if nn else "pupil_key", rules.mask_national_number(nn) if nn else pk,
                                 "unknown pupil", "a pupil in pupils.csv or already imported"))
            except rules.Invalid as exc:
                errs.append((exc.column, exc.shown, exc.reason, exc.expected))
            number = v[i_sn].strip()
            school_id = schools.get(number)
            if school_id is None or (allowed is not None and number not in allowed):
                school_errs = []
                imp.school_ref({"school_number": number}, school_errs)
                errs += school_errs
            date_text = v[i_d].strip()
            day = days.get(date_text)
            if day is None:
                try:
                    d = rules.parse_date(date_text)
                    day = (d.toordinal(), d.weekday() >= 5)
                except rules.Invalid as exc:
                    day = exc
                days[date_text] = day
            if isinstance(day, rules.Invalid):
                errs.append(("date", date_text, day.reason, day.expected))
                ordinal = None
            else:
                ordinal = day[0]
                if day[1]:
                    errs.append(("date", date_text, "not a school day (Saturday or Sunday)", "a date from Monday to Friday"))
            half = v[i_h].strip()
            h = _HALF.get(half)
            if h is None:
                errs.append(("half_day", half, "unknown value", "AM or PM"))
            code = v[i_c].strip()
            if code not in _CODES:
                errs.append(("code", code, "unknown value", "one of " + ", ".join(rules.CODES)))
            if pupil_id is not None and school_id is not None and ordinal is not None:
                for sid, start, end in periods.get(pupil_id, ()):
                    if sid == school_id and start <= ordinal <= end:
                        break
                else:
                    errs.append(("date", date_text, f"the pupil is not enrolled in school {number} on this date",
                                 "a date within an enrolment of the pupil in that school"))
                if h is not None:
                    dup = (pupil_id << 22) | (ordinal << 1) | h
                    if dup in seen:
                        errs.append(("half_day", half, "the pupil is absent twice on this half day (an earlier row has it)",
                                     "one row per pupil, date and half day"))
                    elif not errs:
                        seen.add(dup)
            if errs:
                imp.report_row(name, line, errs)
                continue
            if imp.errors_total:
                continue
            if key in imp.held_keys:
                imp.hold(name, "absences", key, {"school_number": number, "date": date_text, "half_day": half, "code": code})
                continue
            if sink is None:
                sink = _Sink("registry_absence" if direct else STAGE, recorded_at=stamp)
            sink.add(pupil_id, school_id, date_text, half, code)
    except FileProblem as exc:
        imp.error(name, exc.line, "", "", exc.reason, exc.expected)
    finally:
        if sink is not None:
            sink.close()
    imp.progress(f"{name}: {n:,} rows checked")
    if imp.errors_total:
        return
    if direct:
        counts["added"] += sink.written if sink else 0
    else:
        _merge_stage(imp, name)


KIND = FileKind(
    name="absences", label=gettext_lazy("absences"), order=40, owner="registry", load=import_absences, has_pupil=True,
    required=("school_number", "date", "half_day", "code"),
)
