"""Outflow figures (VSV) from the registry: per school year, grouped.

A leaver is grouped by the school (and its district and network) and the track of their last
secondary enrolment in the school year. Only counts leave this module, never pupils.

Two kinds of result: ``outflow()`` returns the raw counts, for computations inside the platform
(never rendered as such); ``published()`` puts the figures of school years through
``kernel.disclosure`` -- a ``Release`` holding, per year, the year total and its breakdown by every
dimension (a school's district and network nest the schools), with the qualified leavers as the
hidden complement of the unqualified -- and is what a page or export renders from. Every breakdown
of a year is declared whichever one a page shows, so the outflow page asked for by school and by
district (and the command) publish the same states: nothing can be worked out by combining them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from leerloopbaan.kernel import disclosure
from leerloopbaan.kernel.disclosure import Figure, Release
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Attestation, Enrolment, Pupil, School

DIMENSIONS = ("school", "district", "network", "track")
ALL = "all"


@dataclass(frozen=True)
class Row:
    """The raw counts of one group: for computations, never for a page or an export."""

    group: str
    leavers: int
    unqualified: int
    rate: float | None

    @property
    def suppressed(self) -> bool:
        """The group is under the small-cell threshold: a computation that singles out groups
        (flags schools) leaves it out. What a page shows is decided by ``published()``."""
        return disclosure.is_small(self.leavers)


@dataclass(frozen=True)
class Line:
    """One row as published: figures (``str()`` gives the number, ``<5`` or ``×``), not numbers."""

    group: str
    leavers: Figure
    unqualified: Figure
    rate: Figure

    def csv(self) -> list[str]:
        rate = self.rate
        shown_rate = "" if rate.value is None else repr(round(rate.value, 4))
        return [self.group, str(self.leavers), str(self.unqualified), shown_rate if rate.shown else str(rate)]


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


def _groups(found, by: str) -> dict[str, tuple[int, int]]:
    """group -> (leavers, unqualified) for one dimension."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for status, enrol, school in found:
        g = groups[_group_key(by, enrol, school)]
        g[0] += 1
        g[1] += status == "unqualified"
    return {k: (n, u) for k, (n, u) in sorted(groups.items())}


def outflow(school_year: str, *, by: str | None = None, version: str = measures.CURRENT_VSV, facts=None) -> list[Row]:
    """Raw rows ``group, leavers, unqualified, rate`` (for computations; a page or an export renders
    ``published()``): one row ``all`` without ``by``; with ``by`` one row per group (sorted)."""
    found = leavers(school_year, version=version, facts=facts)
    if by is None:
        n = len(found)
        u = sum(1 for s, _e, _s in found if s == "unqualified")
        return [Row(ALL, n, u, measures.vsv_rate(u, n))]
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    return [Row(k, n, u, measures.vsv_rate(u, n)) for k, (n, u) in _groups(found, by).items()]


def key(kind: str, school_year: str, by: str = ALL, group: str = ALL) -> tuple:
    """The key of a population in the release: kind is "leavers", "unqualified", "qualified" or "rate"."""
    return ("outflow", kind, school_year, by, group)


def _declare_group(release: Release, year: str, by: str, group: str, n: int, u: int) -> None:
    release.count(key("unqualified", year, by, group), u)
    release.count(key("qualified", year, by, group), n - u, displayed=False)  # leavers - unqualified
    release.total(key("leavers", year, by, group), [key("unqualified", year, by, group), key("qualified", year, by, group)])
    release.ratio(key("rate", year, by, group), key("unqualified", year, by, group), key("leavers", year, by, group))


def declare(release: Release, school_year: str, found) -> None:
    """Every figure of one school year: the year total (leavers = unqualified + qualified) and its
    breakdown by every dimension, each breakdown related to the total, and the schools related to
    their district and their network (a reader knows where a school lies)."""
    n = len(found)
    u = sum(1 for s, _e, _s in found if s == "unqualified")
    _declare_group(release, school_year, ALL, ALL, n, u)
    schools: dict[str, School] = {}
    for _status, _enrol, school in found:
        schools[school.school_number] = school
    for by in DIMENSIONS:
        groups = _groups(found, by)
        for group, (gn, gu) in groups.items():
            _declare_group(release, school_year, by, group, gn, gu)
        for kind in ("leavers", "unqualified", "qualified"):
            release.relate(key(kind, school_year), [key(kind, school_year, by, g) for g in groups])
    for by, attribute in (("district", "district"), ("network", "network")):
        members: dict[str, list[str]] = defaultdict(list)
        for number in sorted(schools):
            members[getattr(schools[number], attribute)].append(number)
        for group, numbers in members.items():
            for kind in ("leavers", "unqualified", "qualified"):
                release.relate(key(kind, school_year, by, group), [key(kind, school_year, "school", s) for s in numbers])


@dataclass
class Published:
    """The outflow figures of some school years as they may be shown."""

    years: list[str]
    trend: list[Line] = field(default_factory=list)  # the ``all`` line of every year, labelled by year
    groups: dict[tuple[str, str], list[Line]] = field(default_factory=dict)  # (year, by) -> lines

    def lines(self, school_year: str, by: str | None = None) -> list[Line]:
        if by is None:
            return [self.trend[self.years.index(school_year)]]
        return self.groups[(school_year, by)]


def _line(pub, label: str, year: str, by: str, group: str) -> Line:
    return Line(label, pub[key("leavers", year, by, group)], pub[key("unqualified", year, by, group)],
                pub[key("rate", year, by, group)])


def published(years: list[str] | None = None, *, version: str = measures.CURRENT_VSV, facts=None) -> Published:
    """The figures of ``years`` (default: every school year) through kernel.disclosure."""
    facts = facts or _facts()
    years = list(years if years is not None else school_years())
    out = Published(years)
    for year in years:
        # one release per school year: no figure of a year is related to one of another year (the
        # leavers of two years are two populations), so a year decides the same states alone as
        # beside the others -- and the proof of each year is not repeated for every other's complements
        found = leavers(year, version=version, facts=facts)
        release = Release(f"outflow {year}")
        declare(release, year, found)
        pub = release.publish()
        out.trend.append(_line(pub, year, year, ALL, ALL))
        for by in DIMENSIONS:
            out.groups[(year, by)] = [_line(pub, g, year, by, g) for g in _groups(found, by)]
    return out


def school_years() -> list[str]:
    """School years with secondary enrolments, in order."""
    return sorted(set(Enrolment.objects.filter(grade__in=measures.SECONDARY).values_list("school_year", flat=True).distinct()))


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
