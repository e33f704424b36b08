"""enrolments.csv: a pupil's enrolment in a school for (part of) a school year; enrolments of one pupil
never overlap, within the data set or with those already imported.

School staff write enrolments of their own school(s) only, and only of the current and the previous
school year (older corrections go through the city's import). A row of theirs that overlaps another
school's enrolment is held for the city (``Importer.hold``) with every other row of that pupil in the
data set: the uploader learns nothing of the other school's enrolment."""

from __future__ import annotations

import datetime
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.kinds import FileKind
from leerloopbaan.registry.models import Enrolment

if TYPE_CHECKING:
    from leerloopbaan.registry.importer.core import Importer


def load(imp: Importer, files: list[tuple[str, Path]]) -> None:
    rows: dict[tuple, tuple[str, dict]] = {}
    where: dict[tuple, tuple[str, int]] = {}
    years = imp.writable_years() if imp.allowed is not None else None
    for name, path in files:
        imp.count(name)
        for line, row in imp.rows(name, KIND, path):
            errs = []
            key = imp.pupil_key(row, errs)
            known = imp.pupil_ref(key, row, errs)
            number = imp.school_ref(row, errs)
            year = imp.field(row, "school_year", rules.school_year_first, errs)
            if years is not None and year is not None and row["school_year"] not in years:
                errs.append(("school_year", row["school_year"], "only the current and the previous school year",
                             f"{years[0]} or {years[1]}; older corrections go through the city's import"))
            start = imp.field(row, "start_date", rules.parse_date, errs)
            end = imp.field(row, "end_date", rules.parse_date, errs, optional=True, default=None)
            grade = imp.field(row, "grade", lambda v: rules.choice(v, rules.GRADES), errs)
            stream = imp.field(row, "stream", lambda v: rules.choice(v, rules.STREAMS), errs, optional=True)
            track = imp.field(row, "track", lambda v: rules.choice(v, rules.TRACKS), errs, optional=True)
            dual = imp.field(row, "dual", rules.boolean, errs, optional=True, default=False)
            programme = row.get("programme", "")
            class_group = row.get("class", "").strip()
            if len(class_group) > 20:
                errs.append(("class", class_group[:40], "too long", "at most 20 characters (the school's class label, such as 3B)"))
            if len(programme) > 200:
                errs.append(("programme", programme[:40] + "...", "too long", "at most 200 characters"))
            reason = imp.field(row, "end_reason", lambda v: rules.choice(v, rules.END_REASONS), errs, optional=True)
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
            if not imp.report_row(name, line, errs) or not known:
                continue
            where[nk] = (name, line)
            rows[nk] = (name, {"end_date": end, "grade": grade, "stream": stream, "track": track, "dual": dual,
                               "programme": programme, "class_group": class_group, "end_reason": reason, "_line": line})
    if not rows:
        return
    # overlapping enrolments: within the data set and against those already imported
    by_pupil: dict[str, list] = defaultdict(list)
    for nk, (name, v) in rows.items():
        by_pupil[nk[0]].append((nk[3], v["end_date"], name, v["_line"], nk))
    existing: dict[tuple, Enrolment] = {}
    ids = [imp.pupils[k] for k in by_pupil if k in imp.pupils]
    key_of = {imp.pupils[k]: k for k in by_pupil if k in imp.pupils}
    numbers = {pk: n for n, pk in imp.schools.items()}
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
                if target[2] and not other[2] and imp.allowed is not None and other[4][1] not in imp.allowed:
                    imp.held_keys.add(target[4][0])  # another school's enrolment: the city decides
                elif target[2]:
                    where_other = f"{other[2]} line {other[3]}" if other[2] else "an enrolment already imported"
                    imp.error(target[2], target[3], "start_date", str(target[0]),
                               f"overlaps another enrolment of this pupil ({where_other}, {other[0]} to {other[1] or 'open'})",
                               "enrolments of one pupil that do not overlap in time")
                    imp.count(target[2])["refused"] += 1
            if prev is None or (p[1] or far) > (prev[1] or far):
                prev = p
    if imp.errors:
        return
    for nk in [nk for nk in rows if nk[0] in imp.held_keys]:
        name, v = rows.pop(nk)
        imp.hold(name, "enrolments", nk[0], {"school_number": nk[1], "school_year": nk[2], "start_date": nk[3], **v})
        imp.held_periods.append((imp.pupils[nk[0]], imp.schools[nk[1]], nk[2], nk[3], v["end_date"]))
    fields = ["end_date", "grade", "stream", "track", "dual", "programme", "class_group", "end_reason"]
    for _nk, (_n, v) in rows.items():
        v.pop("_line")
    imp.tag_natural_keys(rows)
    imp.upsert(Enrolment, "enrolment", rows, existing,
                 lambda v: {"pupil_id": imp.pupils[v["_nk"][0]], "school_id": imp.schools[v["_nk"][1]],
                            "school_year": v["_nk"][2], "start_date": v["_nk"][3], **{f: v[f] for f in fields}},
                 fields)


KIND = FileKind(
    name="enrolments", label=gettext_lazy("enrolments"), order=30, owner="registry", load=load, has_pupil=True,
    required=("school_number", "school_year", "start_date", "grade"),
    optional=("end_date", "stream", "track", "dual", "programme", "class", "end_reason"),
)
