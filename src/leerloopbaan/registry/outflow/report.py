"""Outflow figures (VSV) from the registry: per school year, grouped, with small cells suppressed.

A leaver is grouped by the school (and its district and network) and the track of their last
secondary enrolment in the school year. Groups with fewer than settings.SMALL_CELL_THRESHOLD
leavers are suppressed (shown as ``<5``). Only counts leave this module, never pupils.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Attestation, Enrolment, Pupil, School

DIMENSIONS = ("school", "district", "network", "track")


@dataclass(frozen=True)
class Row:
    group: str
    leavers: int | None  # None = suppressed
    unqualified: int | None
    rate: float | None

    @property
    def suppressed(self) -> bool:
        return self.leavers is None

    def csv(self) -> list[str]:
        if self.suppressed:
            return [self.group, "<5", "<5", "<5"]
        rate = "" if self.rate is None else repr(round(self.rate, 4))
        return [self.group, str(self.leavers), str(self.unqualified), rate]


def _facts():
    """Per pupil: birth date, enrolments (as measures.Enrol), qualifications."""
    births = dict(Pupil.objects.values_list("id", "birth_date"))
    schools = {s.pk: s for s in School.objects.all()}
    enrolments: dict[int, list] = defaultdict(list)
    fields = ("pupil_id", "school_id", "school_year", "start_date", "end_date", "grade", "track", "programme", "end_reason")
    for pid, sid, year, start, end, grade, track, programme, reason in Enrolment.objects.values_list(*fields).iterator(chunk_size=20_000):
        enrolments[pid].append(measures.Enrol(str(sid), year, start, end, grade, track, programme, reason))
    quals: dict[int, list] = defaultdict(list)
    for pid, year, qual in Attestation.objects.exclude(qualification="").values_list("pupil_id", "school_year", "qualification"):
        quals[pid].append((year, qual))
    return births, schools, enrolments, quals


def leavers(school_year: str, *, version: str = measures.CURRENT_VSV, facts=None) -> list[tuple[str, measures.Enrol, object]]:
    """(status, last secondary enrolment in the year, school) for every leaver of the year."""
    births, schools, enrolments, quals = facts or _facts()
    out = []
    for pid, rows in enrolments.items():
        status = measures.vsv_status(birth_date=births[pid], enrolments=rows, qualifications=quals.get(pid, ()),
                                     school_year=school_year, version=version)
        if status is None:
            continue
        in_year = [e for e in rows if e.school_year == school_year and e.grade in measures.SECONDARY]
        last = max(in_year, key=lambda e: e.start_date)
        out.append((status, last, schools.get(int(last.school))))
    return out


def _group_key(dimension: str, enrol, school) -> str:
    if dimension == "school":
        return school.school_number
    if dimension == "district":
        return school.district
    if dimension == "network":
        return school.network
    return enrol.track or "unknown"


def outflow(school_year: str, *, by: str | None = None, version: str = measures.CURRENT_VSV, facts=None) -> list[Row]:
    """Rows ``group, leavers, unqualified, rate``: one row ``all`` without ``by``; with ``by`` one
    row per group (sorted), groups under the small-cell threshold suppressed."""
    found = leavers(school_year, version=version, facts=facts)
    if by is None:
        n = len(found)
        u = sum(1 for s, _e, _s in found if s == "unqualified")
        return [Row("all", n, u, measures.vsv_rate(u, n))]
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for status, enrol, school in found:
        g = groups[_group_key(by, enrol, school)]
        g[0] += 1
        g[1] += status == "unqualified"
    threshold = settings.SMALL_CELL_THRESHOLD
    rows = []
    for key in sorted(groups):
        n, u = groups[key]
        rows.append(Row(key, None, None, None) if n < threshold else Row(key, n, u, measures.vsv_rate(u, n)))
    return rows


def school_years() -> list[str]:
    """School years with secondary enrolments, in order."""
    return sorted(set(Enrolment.objects.filter(grade__in=measures.SECONDARY).values_list("school_year", flat=True).distinct()))


def trend(years: list[str] | None = None, *, version: str = measures.CURRENT_VSV) -> list[Row]:
    """The ``all`` row of every school year (for the trend chart), groups labelled by year."""
    facts = _facts()
    out = []
    for year in years if years is not None else school_years():
        row = outflow(year, facts=facts, version=version)[0]
        out.append(Row(year, row.leavers, row.unqualified, row.rate))
    return out


def pupil_outcomes(*, version: str = measures.CURRENT_VSV, facts=None) -> dict[int, tuple[str, str | None]]:
    """Per pupil id: ("unqualified" | "qualified", leaving school year) for the first school year in
    which the pupil is a leaver by the VSV definition, or ("censored", None) when the pupil has no
    outcome (still enrolled, moved out, deceased, or left while of compulsory school age)."""
    births, _schools, enrolments, quals = facts or _facts()
    out: dict[int, tuple[str, str | None]] = {}
    for pid, rows in enrolments.items():
        outcome: tuple[str, str | None] = ("censored", None)
        for year in sorted({e.school_year for e in rows if e.grade in measures.SECONDARY}):
            status = measures.vsv_status(birth_date=births[pid], enrolments=rows, qualifications=quals.get(pid, ()),
                                         school_year=year, version=version)
            if status is not None:
                outcome = (status, year)
                break
        out[pid] = outcome
    return out
