"""pupils.csv: one row per pupil and registration date (``as_of``): birth date, sex, the OKI
characteristics and, when given, the name. The national number becomes the pupil key on reading.

School staff change a pupil's identity and characteristics only while their school holds an active
enrolment of the pupil (open or ending today or later) after the data set: a row about any other
pupil is refused with one message, whether the city knows the pupil or not. A pupil the city knows
but who is new to the uploader's school (no enrolment in scope before the data set) is written at
the end of the data set, once its enrolments are in, and counted as added, like a new pupil."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.db.models import Max
from django.utils.translation import gettext_lazy

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.bulk import insert_rows
from leerloopbaan.registry.importer.kinds import FileKind
from leerloopbaan.registry.models import Enrolment, Pupil, PupilCharacteristics, PupilName

if TYPE_CHECKING:
    from leerloopbaan.registry.importer.core import Importer


def load(imp: Importer, files: list[tuple[str, Path]]) -> None:
    people: dict[str, dict] = {}  # key -> pupil values of the row with the latest as_of
    chars: dict[tuple[str, datetime.date], tuple[str, dict]] = {}
    where: dict[tuple, tuple[str, int]] = {}
    person_line: dict[str, tuple[str, int, datetime.date, str]] = {}
    staff_rows: list[tuple[str, int, str, str, str]] = []  # school staff: every valid row (file, line, key, column, shown)
    for name, path in files:
        imp.count(name)
        for line, row in imp.rows(name, KIND, path):
            errs = []
            key = imp.pupil_key(row, errs)
            if key is not None:
                imp.pupils_seen.add(key)
            birth = imp.field(row, "birth_date", rules.parse_date, errs)
            sex = imp.field(row, "sex", lambda v: rules.choice(v, rules.SEXES), errs)
            pc = imp.field(row, "postcode", rules.postcode, errs, optional=True)
            as_of = imp.field(row, "as_of", rules.parse_date, errs)
            flags = {c: imp.field(row, c, rules.boolean, errs) for c in (
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
            if not imp.report_row(name, line, errs):
                continue
            if imp.allowed is not None:
                staff_rows.append((name, line, key, *imp.pupil_shown(row)))
            where[(key, as_of)] = (name, line)
            person_line.setdefault(key, (name, line, birth, sex))
            chars[(key, as_of)] = (name, {"postcode": pc, **flags})
            current = people.get(key)
            if current is None or as_of >= current["as_of"]:
                people[key] = {"as_of": as_of, "birth_date": birth, "sex": sex, "postcode": pc,
                               "first_name": first, "last_name": last, "file": name}
    if imp.errors or not people:
        return
    deferred: set[str] = set()
    if imp.allowed is not None:
        deferred = {key for key in people if key in imp.pupils and not imp.in_scope(key)}
        imp.new_pupils = any(not imp.in_scope(key) for key in people)
        for nk, (name, _v) in chars.items():
            if nk[0] in deferred:
                imp.count(name)["added"] += 1  # counted as for a new pupil; written (or held) at the end
        _check_own_pupils(imp, staff_rows, {k: people[k] for k in deferred},
                          {nk: v for nk, v in chars.items() if nk[0] in deferred})
    _write(imp, {k: v for k, v in people.items() if k not in deferred},
           {nk: v for nk, v in chars.items() if nk[0] not in deferred})


def _write(imp: Importer, people: dict[str, dict], chars: dict) -> None:
    """Write the pupils (their newest values), names and characteristics, counting them in each file."""
    if not people:
        return
    # pupils
    keys = list(people)
    existing = {}
    for i in range(0, len(keys), 2000):
        existing.update({p.pupil_key: p for p in Pupil.objects.filter(pupil_key__in=keys[i:i + 2000])})
    # The pupil's own values (birth date, sex, postcode, name) are those of the newest row: a file
    # whose newest row for a pupil is older than one already imported adds history only.
    newest = _newest_as_of([inst.pk for inst in existing.values()])
    older = {key for key, inst in existing.items() if inst.pk in newest and people[key]["as_of"] < newest[inst.pk]}
    fields = ["birth_date", "sex", "postcode"]
    to_create, to_update, changes = [], [], []
    changed_people = set()
    for key, v in people.items():
        inst = existing.get(key)
        if inst is None:
            to_create.append((key, v["birth_date"], v["sex"], v["postcode"]))
            continue
        if key in older:
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
    imp.record_changes("pupil", changes)
    insert_rows(Pupil, ["pupil_key", "birth_date", "sex", "postcode"], to_create)
    for key, inst in existing.items():
        imp.pupils[key] = inst.pk
    new_keys = [row[0] for row in to_create]
    for i in range(0, len(new_keys), 2000):
        imp.pupils.update(Pupil.objects.filter(pupil_key__in=new_keys[i:i + 2000]).values_list("pupil_key", "pk"))
    # names: only when given; a name is never cleared by a file without it
    ids = [imp.pupils[k] for k in keys]
    names = {}
    for i in range(0, len(ids), 2000):
        names.update({n.pupil_id: n for n in PupilName.objects.filter(pupil_id__in=ids[i:i + 2000])})
    new_names, upd_names = [], []
    for key, v in people.items():
        if not (v["first_name"] or v["last_name"]) or key in older:
            continue
        pid = imp.pupils[key]
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
    # A row whose characteristics are unchanged but which carried a change of its pupil (the pupil's
    # newest row) counts as updated; decided before the upsert, which updates the instances it compares.
    carried = [nk for nk in ((key, people[key]["as_of"]) for key in changed_people)
               if nk in ex_chars and all(getattr(ex_chars[nk], f) == chars[nk][1][f] for f in cfields)]
    imp.tag_natural_keys(rows)
    imp.upsert(PupilCharacteristics, "pupil_characteristics", rows, ex_chars,
                 lambda v: {"pupil_id": imp.pupils[v["_nk"][0]], "as_of": v["_nk"][1], **{f: v[f] for f in cfields}},
                 cfields)
    for nk in carried:
        counts = imp.counts[chars[nk][0]]
        counts["unchanged"] -= 1
        counts["updated"] += 1

def _newest_as_of(pupil_ids: list[int]) -> dict[int, datetime.date]:
    """pupil id -> the newest ``as_of`` already imported for the pupil."""
    newest: dict[int, datetime.date] = {}
    for i in range(0, len(pupil_ids), 2000):
        newest.update(PupilCharacteristics.objects.filter(pupil_id__in=pupil_ids[i:i + 2000]).values("pupil_id")
                      .annotate(newest=Max("as_of")).order_by().values_list("pupil_id", "newest"))
    return newest


NOT_ENROLLED = ("a pupil new to your school needs an enrolment in your school in the same upload",
                "an active enrolment of the pupil in your school (open or ending today or later)")


def _check_own_pupils(imp: Importer, staff_rows: list[tuple[str, int, str, str, str]],
                      deferred: dict[str, dict], deferred_chars: dict) -> None:
    """School staff write a pupil's identity and characteristics only while their school holds an
    active enrolment of the pupil after the data set (written or held for the city); checked at the
    end of the data set, when its enrolments are in. Every other row is refused with one message,
    whether the city knows the pupil or not (the whole data set is refused then). The pupils the city
    knew but the school did not (``deferred``) are written then, or held with their enrolment; their
    rows were counted as added."""
    from django.db.models import Q

    from leerloopbaan.kernel import clock

    def check() -> None:
        today = clock.today()
        school_ids = imp.school_ids_allowed() or []
        ids = list({imp.pupils[key] for _n, _l, key, _c, _s in staff_rows if key in imp.pupils})
        active: set[int] = set()
        for i in range(0, len(ids), 2000):
            active.update(Enrolment.objects.filter(pupil_id__in=ids[i:i + 2000], school_id__in=school_ids)
                          .filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).values_list("pupil_id", flat=True))
        active.update(pid for pid, _s, _y, _start, end in imp.held_enrolment_periods(set(school_ids)) if end is None or end >= today)
        for name, line, key, column, shown in staff_rows:
            if imp.pupils.get(key) not in active:
                imp.error(name, line, column, shown, *NOT_ENROLLED)
                imp.count(name)["refused"] += 1
        if imp.errors_total:
            return
        held = {k for k in deferred if k in imp.held_keys}
        for nk, (name, values) in deferred_chars.items():
            if nk[0] in held:
                imp.held.append({"file": name, "kind": "pupils", "pupil_key": nk[0],
                                 "values": {"as_of": nk[1].isoformat(), **values,
                                            "birth_date": deferred[nk[0]]["birth_date"].isoformat(),
                                            "sex": deferred[nk[0]]["sex"]}})
        written = {k: v for k, v in deferred.items() if k not in held}
        # counted already (as added): the write keeps the true history (RecordChange), not the counts
        saved = {name: dict(c) for name, c in imp.counts.items()}
        _write(imp, written, {nk: v for nk, v in deferred_chars.items() if nk[0] in written})
        for name, c in saved.items():
            imp.counts[name].clear()
            imp.counts[name].update(c)

    imp.check_at_end(check)


KIND = FileKind(
    name="pupils", label=gettext_lazy("pupils"), order=20, owner="registry", load=load, has_pupil=True,
    required=("birth_date", "sex", "as_of", "home_language_not_dutch", "mother_low_education", "school_allowance",
              "neighbourhood_high_delay"),
    optional=("first_name", "last_name", "postcode"),
)
