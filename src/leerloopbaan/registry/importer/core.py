"""Import a data set (data-format.md): validate every row, then write it whole or not at all.

One pass per file: rows are read as a stream, checked, and (while no error has been found) written
inside one transaction: ``COPY`` on PostgreSQL, batched ``executemany`` on SQLite for absences, bulk
ORM writes for the smaller files. Any invalid row, or a dry run, rolls the whole data set back; the
report names every invalid row. The national number is turned into the pupil key on reading and
never written anywhere (errors show it masked).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.bulk import insert_rows
from leerloopbaan.registry.importer.reading import EXTENSIONS, KINDS, FileProblem, kind_of, open_rows
from leerloopbaan.registry.importer.rules import Invalid, RowError

MAX_ERRORS = 100_000
PROGRESS_EVERY = 250_000
BATCH = 20_000


@dataclass
class ImportResult:
    ok: bool
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    run: object = None
    files: list[dict] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        out = {"added": 0, "updated": 0, "unchanged": 0, "refused": 0}
        for c in self.counts.values():
            for k in out:
                out[k] += c.get(k, 0)
        return out

    def report_text(self) -> str:
        lines = []
        for name, c in self.counts.items():
            lines.append(f"{name}: {c['added']} added, {c['updated']} updated, {c['unchanged']} unchanged, {c['refused']} refused")
        t = self.totals()
        if self.ok:
            verb = "checked (dry run), nothing written" if self.dry_run else "imported"
            lines.append(f"{verb}: {t['added']} added, {t['updated']} updated, {t['unchanged']} unchanged")
        else:
            lines.append(f"refused: {self.errors_total} problem(s) in {t['refused']} row(s); nothing was written")
            lines += ["  " + e.text() for e in self.errors]
            if self.errors_total > len(self.errors):
                lines.append(f"  ... and {self.errors_total - len(self.errors)} more")
        return "\n".join(lines)


class _Rollback(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collect_files(paths: list[Path]) -> tuple[list[tuple[str, Path]], list[RowError]]:
    """The (kind, path) pairs of a data set, in write order, and problems with the paths themselves."""
    found: list[tuple[str, Path]] = []
    errors: list[RowError] = []
    expected = ", ".join(f"{k}.csv or {k}.xlsx" for k in KINDS)
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith(".") or not child.is_file():
                    continue
                kind = kind_of(child)
                if kind:
                    found.append((kind, child))
                elif child.suffix.lower() in EXTENSIONS:
                    errors.append(RowError(child.name, 0, "", "", "unknown file name", expected))
        elif path.is_file():
            kind = kind_of(path)
            if kind:
                found.append((kind, path))
            else:
                errors.append(RowError(path.name, 0, "", "", "unknown file name", expected))
        else:
            errors.append(RowError(str(path), 0, "", "", "no such file or folder", "an existing file or folder"))
    found.sort(key=lambda kp: KINDS.index(kp[0]))
    return found, errors


def _jsonable(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class Importer:
    def __init__(self, *, user, source, dry_run, progress, allowed_schools):
        from leerloopbaan.registry.models import Pupil, School

        self.user = user
        self.source = source
        self.dry_run = dry_run
        self.progress = progress or (lambda message: None)
        self.allowed = allowed_schools
        self.errors: list[RowError] = []
        self.errors_total = 0
        self.counts: dict[str, dict[str, int]] = {}
        self.keys = rules.PupilKeys(settings.PSEUDONYM_KEY)
        self.schools: dict[str, int] = dict(School.objects.values_list("school_number", "id"))
        self.pupils: dict[str, int] = dict(Pupil.objects.values_list("pupil_key", "id"))
        self.schools_seen: set[str] = set()  # in the data set, even on an invalid row
        self.pupils_seen: set[str] = set()
        self.run = None
        self.vendor = connection.vendor

    # --- reporting ----------------------------------------------------------------------------
    def error(self, file, line, column, value, reason, expected):
        value = value.replace("\x00", "\\0") if "\x00" in value else value
        self.errors_total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(file, line, column, value, reason, expected))

    def _count(self, name):
        return self.counts.setdefault(name, {"added": 0, "updated": 0, "unchanged": 0, "refused": 0})

    def _changes(self, table, items):
        """Write RecordChange rows: items of (natural key text, before dict, after dict)."""
        from leerloopbaan.registry.models import RecordChange

        now = timezone.now()
        batch = []
        for key, before, after in items:
            batch.append(RecordChange(import_run=self.run, table=table, natural_key=key[:200],
                                      before={k: _jsonable(v) for k, v in before.items()},
                                      after={k: _jsonable(v) for k, v in after.items()}, at=now))
            if len(batch) >= 5000:
                RecordChange.objects.bulk_create(batch)
                batch = []
        if batch:
            RecordChange.objects.bulk_create(batch)

    # --- shared row helpers -------------------------------------------------------------------
    def _rows(self, name, kind, path):
        """Yield (line, {column: value}) for a file after a header check; problems are reported."""
        try:
            header, rows = open_rows(path)
        except FileProblem as exc:
            self.error(name, exc.line, "", "", exc.reason, exc.expected)
            self._count(name)["refused"] += 0
            return
        problems = rules.check_header(kind, header)
        for column, reason, expected in problems:
            self.error(name, 1, column, "", reason, expected)
        if problems:
            return
        width = len(header)
        try:
            for line, values in rows:
                if len(values) != width:
                    self.error(name, line, "", "", f"row has {len(values)} fields, the header has {width}",
                               f"{width} fields")
                    self._count(name)["refused"] += 1
                    continue
                nul = [h for h, v in zip(header, values, strict=True) if "\x00" in v]
                if nul:
                    self.error(name, line, nul[0], "", "contains a NUL character", "text without control characters")
                    self._count(name)["refused"] += 1
                    continue
                yield line, {h: v.strip() for h, v in zip(header, values, strict=True)}
        except FileProblem as exc:
            self.error(name, exc.line, "", "", exc.reason, exc.expected)

    def _pupil(self, name, line, row, errs) -> str | None:
        try:
            key, _column, _shown = self.keys.key(row.get("national_number", ""), row.get("pupil_key", ""))
            return key
        except Invalid as exc:
            errs.append((exc.column, exc.shown, exc.reason, exc.expected))
            return None

    def _school_ref(self, row, errs) -> str | None:
        value = row["school_number"]
        try:
            number = rules.school_number(value)
        except Invalid as exc:
            errs.append(("school_number", value, exc.reason, exc.expected))
            return None
        if self.allowed is not None and number not in self.allowed:
            errs.append(("school_number", value, "this school is not one of your schools",
                         "one of: " + ", ".join(sorted(self.allowed))))
            return None
        if number not in self.schools and number not in self.schools_seen:
            errs.append(("school_number", value, "unknown school", "a school in schools.csv or already imported"))
            return None
        return number

    def _pupil_ref(self, key, row, errs) -> bool:
        if key is None:
            return False
        if key not in self.pupils and key not in self.pupils_seen:
            column = "national_number" if row.get("national_number") else "pupil_key"
            shown = rules.mask_national_number(row["national_number"]) if column == "national_number" else row["pupil_key"]
            errs.append((column, shown, "unknown pupil", "a pupil in pupils.csv or already imported"))
            return False
        return True

    def _field(self, row, column, check, errs, *, optional=False, default=""):
        value = row.get(column, "")
        if value == "" and optional:
            return default
        if value == "":
            errs.append((column, "", "required value is empty", "a value"))
            return None
        try:
            return check(value)
        except Invalid as exc:
            errs.append((column, value, exc.reason, exc.expected))
            return None

    def _report_row(self, name, line, errs) -> bool:
        for column, value, reason, expected in errs:
            self.error(name, line, column, value, reason, expected)
        if errs:
            self._count(name)["refused"] += 1
            return False
        return True

    # --- generic upsert for the smaller tables ------------------------------------------------
    def _upsert(self, model, table, rows, existing, make, fields):
        """rows: natural key -> (file name, values dict); existing: natural key -> instance;
        make(values) -> the new row as {attname: value}.

        New keys are inserted in bulk, changed ones updated with a RecordChange. Returns key ->
        instance for schools (their ids are needed next); other tables return nothing.
        """
        to_create, to_update, changes = [], [], []
        for nk, (name, values) in rows.items():
            inst = existing.get(nk)
            if inst is None:
                to_create.append((nk, make(values)))
                self._count(name)["added"] += 1
                continue
            before = {f: getattr(inst, f) for f in fields}
            after = {f: values[f] for f in fields}
            if before == after:
                self._count(name)["unchanged"] += 1
                continue
            diff_before = {f: before[f] for f in fields if before[f] != after[f]}
            diff_after = {f: after[f] for f in fields if before[f] != after[f]}
            for f in fields:
                setattr(inst, f, values[f])
            to_update.append(inst)
            changes.append(("/".join(str(p) for p in nk) if isinstance(nk, tuple) else str(nk), diff_before, diff_after))
            self._count(name)["updated"] += 1
        if self.errors:
            return {}
        if to_update:
            model.objects.bulk_update(to_update, fields, batch_size=2000)
            self._changes(table, changes)
        if model._meta.model_name != "school":
            if to_create:
                columns = list(to_create[0][1])
                insert_rows(model, columns, (tuple(d[c] for c in columns) for _nk, d in to_create))
            return {}
        created = model.objects.bulk_create([model(**d) for _nk, d in to_create], batch_size=2000)
        out = {nk: inst for (nk, _), inst in zip(to_create, created, strict=True)}
        out.update({nk: inst for nk, inst in existing.items() if nk in rows})
        return out

    # --- schools --------------------------------------------------------------------------------
    def schools_files(self, files):
        from leerloopbaan.registry.models import Clb, School

        rows: dict[str, tuple[str, dict]] = {}
        first_line: dict[str, tuple[str, int]] = {}
        for name, path in files:
            self._count(name)
            for line, row in self._rows(name, "schools", path):
                errs = []
                number = self._field(row, "school_number", rules.school_number, errs)
                if number is not None:
                    self.schools_seen.add(number)
                    if self.allowed is not None and number not in self.allowed:
                        errs.append(("school_number", number, "this school is not one of your schools",
                                     "one of: " + ", ".join(sorted(self.allowed))))
                    elif number in first_line:
                        f, ln = first_line[number]
                        errs.append(("school_number", number, f"school appears twice (also {f} line {ln})", "one row per school"))
                    else:
                        first_line[number] = (name, line)
                values = {
                    "name": self._field(row, "name", str, errs),
                    "network": self._field(row, "network", lambda v: rules.choice(v, rules.NETWORKS), errs),
                    "level": self._field(row, "level", lambda v: rules.choice(v, rules.LEVELS), errs),
                    "district": self._field(row, "district", lambda v: rules.choice(v, rules.DISTRICTS), errs),
                    "postcode": self._field(row, "postcode", rules.postcode, errs, optional=True),
                    "clb_name": row.get("clb", ""),
                    "board": row.get("board", ""),
                }
                if len(values["name"] or "") > 200:
                    errs.append(("name", values["name"][:40] + "...", "too long", "at most 200 characters"))
                if self._report_row(name, line, errs):
                    rows[number] = (name, values)
        if self.errors or not rows:
            return
        clbs = {c.name: c for c in Clb.objects.all()}
        for _name, values in rows.values():
            clb_name = values.pop("clb_name")
            if clb_name and clb_name not in clbs:
                clbs[clb_name] = Clb.objects.create(name=clb_name)
            values["clb_id"] = clbs[clb_name].pk if clb_name else None
        existing = {s.school_number: s for s in School.objects.filter(school_number__in=list(rows))}
        fields = ["name", "network", "level", "district", "postcode", "clb_id", "board"]
        for number, (_n, values) in rows.items():
            values["number"] = number
        made = self._upsert(School, "school", rows, existing,
                            lambda v: {"school_number": v["number"], **{f: v[f] for f in fields}}, fields)
        for number, inst in made.items():
            self.schools[number] = inst.pk

    # --- pupils ---------------------------------------------------------------------------------
    def pupils_files(self, files):
        from leerloopbaan.registry.models import Pupil, PupilCharacteristics, PupilName

        people: dict[str, dict] = {}  # key -> pupil values of the row with the latest as_of
        chars: dict[tuple[str, datetime.date], tuple[str, dict]] = {}
        where: dict[tuple, tuple[str, int]] = {}
        person_line: dict[str, tuple[str, int, datetime.date, str]] = {}
        for name, path in files:
            self._count(name)
            for line, row in self._rows(name, "pupils", path):
                errs = []
                key = self._pupil(name, line, row, errs)
                if key is not None:
                    self.pupils_seen.add(key)
                birth = self._field(row, "birth_date", rules.parse_date, errs)
                sex = self._field(row, "sex", lambda v: rules.choice(v, rules.SEXES), errs)
                pc = self._field(row, "postcode", rules.postcode, errs, optional=True)
                as_of = self._field(row, "as_of", rules.parse_date, errs)
                flags = {c: self._field(row, c, rules.boolean, errs) for c in (
                    "home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay")}
                first, last = row.get("first_name", ""), row.get("last_name", "")
                for col, val in (("first_name", first), ("last_name", last)):
                    if len(val) > 100:
                        errs.append((col, val[:20] + "...", "too long", "at most 100 characters"))
                if birth and as_of and as_of < birth:
                    errs.append(("as_of", row["as_of"], "registered before the birth date", "a date on or after birth_date"))
                if key is not None and as_of is not None:
                    if (key, as_of) in where:
                        f, ln = where[(key, as_of)]
                        errs.append(("as_of", row["as_of"], f"pupil appears twice on this date (also {f} line {ln})",
                                     "one row per pupil and as_of"))
                    if key in person_line and birth is not None and sex is not None:
                        f, ln, b, s = person_line[key]
                        if b != birth:
                            errs.append(("birth_date", row["birth_date"], f"differs from {f} line {ln}", "the same birth date on every row of a pupil"))
                        if s != sex:
                            errs.append(("sex", sex, f"differs from {f} line {ln}", "the same sex on every row of a pupil"))
                if not self._report_row(name, line, errs):
                    continue
                where[(key, as_of)] = (name, line)
                person_line.setdefault(key, (name, line, birth, sex))
                chars[(key, as_of)] = (name, {"postcode": pc, **flags})
                current = people.get(key)
                if current is None or as_of >= current["as_of"]:
                    people[key] = {"as_of": as_of, "birth_date": birth, "sex": sex, "postcode": pc,
                                   "first_name": first, "last_name": last, "file": name}
        if self.errors or not people:
            return
        # pupils
        keys = list(people)
        existing = {}
        for i in range(0, len(keys), 2000):
            existing.update({p.pupil_key: p for p in Pupil.objects.filter(pupil_key__in=keys[i:i + 2000])})
        fields = ["birth_date", "sex", "postcode"]
        to_create, to_update, changes = [], [], []
        changed_people = set()
        for key, v in people.items():
            inst = existing.get(key)
            if inst is None:
                to_create.append((key, v["birth_date"], v["sex"], v["postcode"]))
                continue
            before = {f: getattr(inst, f) for f in fields}
            after = {f: v[f] for f in fields}
            if before != after:
                for f in fields:
                    setattr(inst, f, v[f])
                to_update.append(inst)
                changes.append((key, {f: before[f] for f in fields if before[f] != after[f]},
                                {f: after[f] for f in fields if before[f] != after[f]}))
                changed_people.add(key)
        Pupil.objects.bulk_update(to_update, fields, batch_size=2000)
        self._changes("pupil", changes)
        insert_rows(Pupil, ["pupil_key", "birth_date", "sex", "postcode"], to_create)
        for key, inst in existing.items():
            self.pupils[key] = inst.pk
        new_keys = [row[0] for row in to_create]
        for i in range(0, len(new_keys), 2000):
            self.pupils.update(Pupil.objects.filter(pupil_key__in=new_keys[i:i + 2000]).values_list("pupil_key", "pk"))
        # names: only when given; a name is never cleared by a file without it
        ids = [self.pupils[k] for k in keys]
        names = {}
        for i in range(0, len(ids), 2000):
            names.update({n.pupil_id: n for n in PupilName.objects.filter(pupil_id__in=ids[i:i + 2000])})
        new_names, upd_names = [], []
        for key, v in people.items():
            if not (v["first_name"] or v["last_name"]):
                continue
            pid = self.pupils[key]
            n = names.get(pid)
            if n is None:
                new_names.append((pid, v["first_name"], v["last_name"]))
            elif (n.first_name, n.last_name) != (v["first_name"], v["last_name"]):
                n.first_name, n.last_name = v["first_name"], v["last_name"]
                upd_names.append(n)
                changed_people.add(key)
        insert_rows(PupilName, ["pupil_id", "first_name", "last_name"], new_names)
        PupilName.objects.bulk_update(upd_names, ["first_name", "last_name"], batch_size=2000)
        # characteristics (history per as_of)
        ex_chars = {}
        for i in range(0, len(ids), 2000):
            for c in PupilCharacteristics.objects.filter(pupil_id__in=ids[i:i + 2000]).select_related("pupil"):
                ex_chars[(c.pupil.pupil_key, c.as_of)] = c
        cfields = ["postcode", "home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"]
        rows = {nk: (name, vals) for nk, (name, vals) in chars.items()}
        before_counts = {n: dict(c) for n, c in self.counts.items()}
        self._tag_nk(rows)
        self._upsert(PupilCharacteristics, "pupil_characteristics", rows, ex_chars,
                     lambda v: {"pupil_id": self.pupils[v["_nk"][0]], "as_of": v["_nk"][1], **{f: v[f] for f in cfields}},
                     cfields)
        # a row whose characteristics are unchanged but whose pupil changed counts as updated
        for key in changed_people:
            v = people[key]
            nk = (key, v["as_of"])
            name = chars[nk][0]
            ex = ex_chars.get(nk)
            if ex is not None and before_counts.get(name, {}).get("unchanged", 0) < self.counts[name]["unchanged"]:
                if all(getattr(ex, f) == chars[nk][1][f] for f in cfields):
                    self.counts[name]["unchanged"] -= 1
                    self.counts[name]["updated"] += 1

    # --- enrolments -----------------------------------------------------------------------------
    def enrolments_files(self, files):
        from leerloopbaan.registry.models import Enrolment

        rows: dict[tuple, tuple[str, dict]] = {}
        where: dict[tuple, tuple[str, int]] = {}
        for name, path in files:
            self._count(name)
            for line, row in self._rows(name, "enrolments", path):
                errs = []
                key = self._pupil(name, line, row, errs)
                known = self._pupil_ref(key, row, errs)
                number = self._school_ref(row, errs)
                year = self._field(row, "school_year", rules.school_year_first, errs)
                start = self._field(row, "start_date", rules.parse_date, errs)
                end = self._field(row, "end_date", rules.parse_date, errs, optional=True, default=None)
                grade = self._field(row, "grade", lambda v: rules.choice(v, rules.GRADES), errs)
                stream = self._field(row, "stream", lambda v: rules.choice(v, rules.STREAMS), errs, optional=True)
                track = self._field(row, "track", lambda v: rules.choice(v, rules.TRACKS), errs, optional=True)
                dual = self._field(row, "dual", rules.boolean, errs, optional=True, default=False)
                programme = row.get("programme", "")
                if len(programme) > 200:
                    errs.append(("programme", programme[:40] + "...", "too long", "at most 200 characters"))
                reason = self._field(row, "end_reason", lambda v: rules.choice(v, rules.END_REASONS), errs, optional=True)
                if year is not None:
                    lo, hi = datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
                    expected = f"a date from {lo} to {hi} (school year {row['school_year']})"
                    if start is not None and not lo <= start <= hi:
                        errs.append(("start_date", row["start_date"], "not inside the school year", expected))
                    if end is not None and not lo <= end <= hi:
                        errs.append(("end_date", row["end_date"], "not inside the school year", expected))
                if start is not None and end is not None and end < start:
                    errs.append(("end_date", row["end_date"], "before start_date", f"a date on or after {start}"))
                nk = (key, number, row["school_year"], start)
                if None not in nk and nk in where:
                    f, ln = where[nk]
                    errs.append(("start_date", row["start_date"], f"enrolment appears twice (also {f} line {ln})",
                                 "one row per pupil, school, school year and start date"))
                if not self._report_row(name, line, errs) or not known:
                    continue
                where[nk] = (name, line)
                rows[nk] = (name, {"end_date": end, "grade": grade, "stream": stream, "track": track, "dual": dual,
                                   "programme": programme, "end_reason": reason, "_line": line})
        if not rows:
            return
        # overlapping enrolments: within the data set and against those already imported
        by_pupil: dict[str, list] = defaultdict(list)
        for nk, (name, v) in rows.items():
            by_pupil[nk[0]].append((nk[3], v["end_date"], name, v["_line"], nk))
        existing: dict[tuple, Enrolment] = {}
        ids = [self.pupils[k] for k in by_pupil if k in self.pupils]
        key_of = {self.pupils[k]: k for k in by_pupil if k in self.pupils}
        numbers = {pk: n for n, pk in self.schools.items()}
        for i in range(0, len(ids), 2000):
            for e in Enrolment.objects.filter(pupil_id__in=ids[i:i + 2000]):
                nk = (key_of[e.pupil_id], numbers.get(e.school_id), e.school_year, e.start_date)
                existing[nk] = e
                if nk not in rows:
                    by_pupil[nk[0]].append((e.start_date, e.end_date, "", 0, nk))
        far = datetime.date.max
        for periods in by_pupil.values():
            if len(periods) < 2:
                continue
            periods.sort(key=lambda p: p[0])
            prev = None
            for p in periods:
                if prev is not None and p[0] <= (prev[1] or far):
                    target, other = (p, prev) if p[2] else (prev, p)
                    if target[2]:
                        where_other = f"{other[2]} line {other[3]}" if other[2] else "an enrolment already imported"
                        self.error(target[2], target[3], "start_date", str(target[0]),
                                   f"overlaps another enrolment of this pupil ({where_other}, {other[0]} to {other[1] or 'open'})",
                                   "enrolments of one pupil that do not overlap in time")
                        self._count(target[2])["refused"] += 1
                if prev is None or (p[1] or far) > (prev[1] or far):
                    prev = p
        if self.errors:
            return
        fields = ["end_date", "grade", "stream", "track", "dual", "programme", "end_reason"]
        for _nk, (_n, v) in rows.items():
            v.pop("_line")
        self._tag_nk(rows)
        self._upsert(Enrolment, "enrolment", rows, existing,
                     lambda v: {"pupil_id": self.pupils[v["_nk"][0]], "school_id": self.schools[v["_nk"][1]],
                                "school_year": v["_nk"][2], "start_date": v["_nk"][3], **{f: v[f] for f in fields}},
                     fields)

    @staticmethod
    def _tag_nk(rows):
        for nk, (_n, values) in rows.items():
            values["_nk"] = nk

    # --- attestations ---------------------------------------------------------------------------
    def attestations_files(self, files):
        from leerloopbaan.registry.models import Attestation

        rows: dict[tuple, tuple[str, dict]] = {}
        where: dict[tuple, tuple[str, int]] = {}
        for name, path in files:
            self._count(name)
            for line, row in self._rows(name, "attestations", path):
                errs = []
                key = self._pupil(name, line, row, errs)
                known = self._pupil_ref(key, row, errs)
                number = self._school_ref(row, errs)
                year = self._field(row, "school_year", rules.school_year_first, errs)
                grade = self._field(row, "grade", lambda v: rules.choice(v, rules.GRADES), errs)
                result = self._field(row, "result", lambda v: rules.choice(v, rules.RESULTS), errs)
                qual = self._field(row, "qualification", lambda v: rules.choice(v, rules.QUALIFICATIONS), errs, optional=True)
                nk = (key, row["school_year"])
                if key is not None and year is not None and nk in where:
                    f, ln = where[nk]
                    errs.append(("school_year", row["school_year"], f"attestation appears twice (also {f} line {ln})",
                                 "one attestation per pupil and school year"))
                if key is not None and year is not None and nk not in where:
                    where[nk] = (name, line)
                if not self._report_row(name, line, errs) or not known or number not in self.schools:
                    continue
                rows[nk] = (name, {"school_id": self.schools[number], "grade": grade, "result": result, "qualification": qual})
        if self.errors or not rows:
            return
        existing = {}
        key_of = {}
        ids = [self.pupils[k] for k, _y in rows]
        for pid, key in zip(ids, [k for k, _y in rows], strict=True):
            key_of[pid] = key
        ids = list(key_of)
        for i in range(0, len(ids), 2000):
            for a in Attestation.objects.filter(pupil_id__in=ids[i:i + 2000]):
                existing[(key_of[a.pupil_id], a.school_year)] = a
        fields = ["school_id", "grade", "result", "qualification"]
        self._tag_nk(rows)
        self._upsert(Attestation, "attestation", rows, existing,
                     lambda v: {"pupil_id": self.pupils[v["_nk"][0]], "school_year": v["_nk"][1], **{f: v[f] for f in fields}},
                     fields)

    # --- test results (an extension of the data format, docs/data-import.md) -------------------
    def test_results_files(self, files):
        from leerloopbaan.assessments.models import Instrument, TestResult
        from leerloopbaan.registry.models import Enrolment

        instruments = {i.code: i for i in Instrument.objects.all()}
        if self.allowed is None:
            # column-wise when every row is valid (school staff: row by row, against their enrolments)
            from leerloopbaan.assessments.importing import NotFast, check_csv

            try:
                frames = [(name, check_csv(path, keys=self.keys, pupils=self.pupils, instruments=instruments)) for name, path in files]
                self._test_results_fast(frames, instruments)
                return
            except NotFast:
                pass  # the row-by-row checker reports every problem
        codes = ", ".join(sorted(instruments)) or "none defined"

        def instrument(value):
            if value not in instruments:
                raise Invalid("unknown instrument", "a known instrument code: " + codes)
            return instruments[value]

        # school staff: only results of pupils enrolled in one of their schools on the test date
        enrolled: dict[int, list] | None = None
        if self.allowed is not None:
            enrolled = defaultdict(list)
            school_ids = [self.schools[n] for n in self.allowed if n in self.schools]
            for pid, start, end in Enrolment.objects.filter(school_id__in=school_ids).values_list("pupil_id", "start_date", "end_date"):
                enrolled[pid].append((start, end))
            allowed_text = ", ".join(sorted(self.allowed))
        def domain_of(value):
            return rules.choice(value, rules.DOMAINS)

        score_of = {code: (lambda v, i=i: rules.scale_score(v, i.score_min, i.score_max, i.code)) for code, i in instruments.items()}
        rows: dict[tuple, tuple[str, dict]] = {}
        where: dict[tuple, tuple[str, int]] = {}
        for name, path in files:
            self._count(name)
            for line, row in self._rows(name, "test_results", path):
                errs = []
                key = self._pupil(name, line, row, errs)
                known = self._pupil_ref(key, row, errs)
                day = self._field(row, "date", rules.parse_date, errs)
                inst = self._field(row, "instrument", instrument, errs)
                domain = self._field(row, "domain", domain_of, errs)
                if inst is not None and domain is not None and domain != inst.domain:
                    errs.append(("domain", domain, "not the instrument's domain", f"{inst.domain} (the domain of {inst.code})"))
                score = self._field(row, "scale_score", score_of[inst.code] if inst is not None else rules.number, errs)
                version = self._field(row, "scale_version", str, errs)
                if inst is not None and version is not None and version != inst.scale_version:
                    errs.append(("scale_version", version, "not the instrument's scale version",
                                 f"{inst.scale_version} (the scale of {inst.code})"))
                if enrolled is not None and known and day is not None:
                    pid = self.pupils.get(key)
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
                if not self._report_row(name, line, errs) or not known:
                    continue
                rows[nk] = (name, {"scale_score": score, "scale_version": version, "_instrument": inst.pk})
        if self.errors or not rows:
            return
        key_of = {self.pupils[k]: k for k, _d, _c in rows}
        ids = list(key_of)
        existing = {}
        for i in range(0, len(ids), 2000):
            for r in TestResult.objects.filter(pupil_id__in=ids[i:i + 2000]).select_related("instrument"):
                existing[(key_of[r.pupil_id], r.date, r.instrument.code)] = r
        fields = ["scale_score", "scale_version"]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        self._tag_nk(rows)
        self._upsert(TestResult, "test_result", rows, existing,
                     lambda v: {"pupil_id": self.pupils[v["_nk"][0]], "instrument_id": v["_instrument"], "date": v["_nk"][1],
                                **{f: v[f] for f in fields}, "source": TestResult.Source.IMPORT, "entered_by_id": None,
                                "created_at": now, "updated_at": now},
                     fields)

    def _test_results_fast(self, frames, instruments):
        """Write test results checked column-wise (``assessments.importing``): new rows in bulk,
        changed ones updated with a RecordChange, the same counts as the row-by-row path. Raises
        NotFast, before writing anything, for a result given twice across files."""
        import polars as pl

        from leerloopbaan.assessments.importing import KEY_COLUMNS, NotFast, load_existing, write_new
        from leerloopbaan.assessments.models import TestResult

        frame = pl.concat([f.with_columns(pl.lit(name).alias("file")) for name, f in frames])
        if frame.select(pl.struct(KEY_COLUMNS).is_duplicated().any()).item():
            raise NotFast("a result twice in the data set")
        for name, _f in frames:
            self._count(name)
        if frame.height == 0:
            return
        joined = frame.join(load_existing(frame), on=KEY_COLUMNS, how="left")
        status = (pl.when(pl.col("pk").is_null()).then(pl.lit("added"))
                  .when((pl.col("scale_score") == pl.col("old_score")) & (pl.col("scale_version") == pl.col("old_version")))
                  .then(pl.lit("unchanged")).otherwise(pl.lit("updated")))
        joined = joined.with_columns(status.alias("status"))
        for name, state, n in joined.group_by(["file", "status"]).len().iter_rows():
            self._count(name)[state] += n
        if self.errors:
            return
        write_new(joined.filter(pl.col("status") == "added"), source=TestResult.Source.IMPORT,
                  now=connection.ops.adapt_datetimefield_value(timezone.now()))
        changed = joined.filter(pl.col("status") == "updated")
        if changed.height:
            wanted = set(changed["pupil_id"].to_list())
            key_of = {pid: key for key, pid in self.pupils.items() if pid in wanted}
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
            self._changes("test_result", changes)

    def run_files(self, found):
        by_kind = defaultdict(list)
        for kind, path in found:
            by_kind[kind].append((path.name if path.name not in [p.name for k, p in found if p is not path] else str(path), path))
        for kind in KINDS:
            if by_kind.get(kind):
                self.progress(f"reading {kind} ({', '.join(n for n, _ in by_kind[kind])})")
                if kind == "absences":
                    from leerloopbaan.registry.importer.absences import import_absences

                    import_absences(self, by_kind[kind])
                else:
                    getattr(self, f"{kind}_files")(by_kind[kind])


def import_paths(paths: list[Path], *, user=None, source: str = "command", dry_run: bool = False,
                 progress: Callable[[str], None] | None = None, allowed_schools: set[str] | None = None) -> ImportResult:
    """Import a data set (folders and/or files). Never raises for bad input: the result says why.

    ``allowed_schools``: school numbers the rows may name (school staff: their own schools); by
    default derived from ``user`` (school staff are limited to the schools of their membership).
    """
    from leerloopbaan.accounts.roles import Role
    from leerloopbaan.kernel.audit.services import audit_record
    from leerloopbaan.registry.models import ImportRun

    started = time.monotonic()
    if allowed_schools is None and user is not None and getattr(user, "role", None) == Role.SCHOOL_STAFF:
        from leerloopbaan.registry.selectors import schools_of

        allowed_schools = set(schools_of(user).values_list("school_number", flat=True))
    found, path_errors = collect_files([Path(p) for p in paths])
    files = [{"name": p.name, "kind": k, "sha256": _sha256(p), "size": p.stat().st_size} for k, p in found]
    imp = Importer(user=user, source=source, dry_run=dry_run, progress=progress, allowed_schools=allowed_schools)
    for e in path_errors:
        imp.error(e.file, e.line, e.column, e.value, e.reason, e.expected)
    if not found and not path_errors:
        imp.error("", 0, "", "", "no import files found", ", ".join(KINDS[:-1]) + f" or {KINDS[-1]} (.csv or .xlsx)")
    user_id = user.pk if user is not None and getattr(user, "pk", None) else None
    committed = False
    try:
        with transaction.atomic():
            imp.run = ImportRun.objects.create(user_id=user_id, source=source, files=files, dry_run=dry_run)
            if found and not path_errors:
                imp.run_files(found)
            if imp.errors_total or dry_run:
                raise _Rollback
            imp.run.counts = imp.counts
            imp.run.status = ImportRun.Status.DONE
            imp.run.finished_at = timezone.now()
            imp.run.save(update_fields=["counts", "status", "finished_at"])
            committed = True
    except _Rollback:
        pass
    except DatabaseError as exc:
        # a constraint the checks above did not foresee: refuse the data set, keep the message
        imp.error("", 0, "", "", f"the database refused the data set: {str(exc).splitlines()[0][:300]}", "")
    run = imp.run
    if not committed:
        status = ImportRun.Status.CHECKED if (dry_run and not imp.errors_total) else ImportRun.Status.REFUSED
        run = ImportRun.objects.create(user_id=user_id, source=source, files=files, dry_run=dry_run, counts=imp.counts,
                                       status=status, finished_at=timezone.now(),
                                       report=[e.as_dict() for e in imp.errors[:1000]])
    result = ImportResult(ok=imp.errors_total == 0, dry_run=dry_run, counts=imp.counts, errors=imp.errors,
                          errors_total=imp.errors_total, run=run, files=files)
    audit_record(action="import", subject_type="import", object_repr=", ".join(f["name"] for f in files)[:200],
                 purpose=f"{source} import" + (" (dry run)" if dry_run else ""), actor=user,
                 detail={"run": run.pk, "status": run.status, "counts": imp.counts, "errors": imp.errors_total,
                         "files": [{"name": f["name"], "sha256": f["sha256"]} for f in files],
                         "seconds": round(time.monotonic() - started, 2)})
    imp.progress(f"done in {time.monotonic() - started:.1f} s")
    if committed:
        from leerloopbaan.registry.signals import import_completed

        # The import is committed: a listener that fails (scoring, handovers) is reported, never
        # turned into a failed import.
        for receiver, outcome in import_completed.send_robust(sender=ImportRun, run=run, counts=imp.counts, progress=imp.progress):
            if isinstance(outcome, Exception):
                logging.getLogger("leerloopbaan.registry").error(
                    "after the import, %s failed: %s", getattr(receiver, "__qualname__", receiver), outcome, exc_info=outcome)
                imp.progress(f"warning: the follow-up step {getattr(receiver, '__name__', receiver)} failed: {outcome}")
    return result
