"""attestations.csv: the result of a pupil's school year (A, B, C attest, certificate) and the
qualification it gives; one per pupil and school year."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.kinds import FileKind
from leerloopbaan.registry.models import Attestation, Enrolment

if TYPE_CHECKING:
    from leerloopbaan.registry.importer.core import Importer


def _enrolled_in(imp: Importer) -> set[tuple[int, int, str]] | None:
    """School staff: (pupil id, school id, school year) of the enrolments in their schools, those of
    this data set included (enrolments are written before attestations). None: any school may be named."""
    school_ids = imp.school_ids_allowed()
    if school_ids is None:
        return None
    enrolled = set(Enrolment.objects.filter(school_id__in=school_ids).values_list("pupil_id", "school_id", "school_year"))
    enrolled.update((pid, sid, year) for pid, sid, year, _s, _e in imp.held_enrolment_periods(set(school_ids)))
    return enrolled


def load(imp: Importer, files: list[tuple[str, Path]]) -> None:
    rows: dict[tuple, tuple[str, dict]] = {}
    where: dict[tuple, tuple[str, int]] = {}
    enrolled = _enrolled_in(imp)
    for name, path in files:
        imp.count(name)
        for line, row in imp.rows(name, KIND, path):
            errs = []
            key = imp.pupil_key(row, errs)
            known = imp.pupil_ref(key, row, errs)
            number = imp.school_ref(row, errs)
            year = imp.field(row, "school_year", rules.school_year_first, errs)
            grade = imp.field(row, "grade", lambda v: rules.choice(v, rules.GRADES), errs)
            result = imp.field(row, "result", lambda v: rules.choice(v, rules.RESULTS), errs)
            qual = imp.field(row, "qualification", lambda v: rules.choice(v, rules.QUALIFICATIONS), errs, optional=True)
            nk = (key, row["school_year"])
            if key is not None and year is not None and nk in where:
                f, ln = where[nk]
                errs.append(("school_year", row["school_year"], f"attestation appears twice (also {f} line {ln})",
                             "one attestation per pupil and school year"))
            if key is not None and year is not None and nk not in where:
                where[nk] = (name, line)
            if enrolled is not None and known and number in imp.schools and year is not None \
                    and (imp.pupils.get(key), imp.schools[number], row["school_year"]) not in enrolled:
                errs.append(("school_year", row["school_year"], "this pupil is not enrolled in this school in this school year",
                             f"a school year in which the pupil is enrolled in {number}"))
            if not imp.report_row(name, line, errs) or not known or number not in imp.schools:
                continue
            rows[nk] = (name, {"school_id": imp.schools[number], "grade": grade, "result": result, "qualification": qual})
    if imp.errors or not rows:
        return
    for nk in [nk for nk in rows if nk[0] in imp.held_keys]:
        name, v = rows.pop(nk)
        imp.hold(name, "attestations", nk[0], {"school_year": nk[1], **v})
    if not rows:
        return
    existing = {}
    key_of = {}
    ids = [imp.pupils[k] for k, _y in rows]
    for pid, key in zip(ids, [k for k, _y in rows], strict=True):
        key_of[pid] = key
    ids = list(key_of)
    for i in range(0, len(ids), 2000):
        for a in Attestation.objects.filter(pupil_id__in=ids[i:i + 2000]):
            existing[(key_of[a.pupil_id], a.school_year)] = a
    if enrolled is not None:
        # school staff never overwrite the attestation another school gave for that year
        allowed = set(imp.school_ids_allowed() or [])
        for nk, a in existing.items():
            if nk in rows and a.school_id not in allowed and not imp.in_scope(nk[0]):
                # a pupil new to the school: the other school's attestation is not the uploader's to
                # learn of; the row is held for the city, as the conflict it is
                name, v = rows.pop(nk)
                imp.hold(name, "attestations", nk[0], {"school_year": nk[1], **v})
            elif nk in rows and a.school_id not in allowed:
                name, line = where[nk]
                imp.error(name, line, "school_number", "", "another school gave this pupil's attestation for this school year",
                          "an attestation of one of your schools")
                imp.count(name)["refused"] += 1
        if imp.errors:
            return
    fields = ["school_id", "grade", "result", "qualification"]
    imp.tag_natural_keys(rows)
    imp.upsert(Attestation, "attestation", rows, existing,
                 lambda v: {"pupil_id": imp.pupils[v["_nk"][0]], "school_year": v["_nk"][1], **{f: v[f] for f in fields}},
                 fields)


KIND = FileKind(
    name="attestations", label=gettext_lazy("attestations"), order=50, owner="registry", load=load, has_pupil=True,
    required=("school_number", "school_year", "grade", "result"),
    optional=("qualification",),
)
