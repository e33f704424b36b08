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
from leerloopbaan.kernel.schoolyear import next_school_year
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Attestation, Enrolment, Pupil, School

DIMENSIONS = ("school", "district", "network", "track")
ALL = "all"
PROGRAMME = "programme"  # the trajectories: leavers of a window of school years per study programme and track
POOLED = "pooled"  # the programmes with fewer leavers than the threshold, in one row
TRAJECTORY_YEARS = 3


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
    return [(status, last, school) for _pid, status, last, school in _leavers(school_year, version=version, facts=facts)]


def _leavers(school_year: str, *, version: str, facts) -> list[tuple[int, str, measures.Enrol, object]]:
    births, schools, enrolments, quals = facts or _facts()
    out = []
    for pid, rows in enrolments.items():
        status = measures.vsv_status(birth_date=births[pid], enrolments=rows, qualifications=quals.get(pid, ()),
                                     school_year=school_year, version=version)
        if status is None:
            continue
        in_year = [e for e in rows if e.school_year == school_year and e.grade in measures.SECONDARY]
        last = max(in_year, key=lambda e: e.start_date)
        out.append((pid, status, last, schools.get(int(last.school))))
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


def trajectory_window(years: list[str], school_year: str) -> list[str]:
    """The school years whose leavers the trajectories of ``school_year`` count: it and the
    ``TRAJECTORY_YEARS - 1`` before it."""
    index = years.index(school_year)
    return years[max(0, index - TRAJECTORY_YEARS + 1): index + 1]


def programme_counts(by_year: dict[str, list], window: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (study programme, track) of the last secondary enrolment: (leavers, qualified) of the
    pupils who left secondary in ``window`` (each pupil once, in the latest of those years)."""
    last: dict[int, tuple] = {}
    for year in window:
        for pid, status, enrol, _school in by_year[year]:
            last[pid] = (status, enrol)
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for status, enrol in last.values():
        cell = groups[(enrol.programme or "unknown", enrol.track or "unknown")]
        cell[0] += 1
        cell[1] += status == "qualified"
    return {g: (n, q) for g, (n, q) in sorted(groups.items())}


def _declare_programmes(release: Release, school_year: str, window: list[str], groups: dict) -> list:
    """The trajectories of the window ending in ``school_year``: every programme (those under the
    threshold are not printed, only pooled), the pooled row and, when the window is this one school
    year, that the programmes add up to the year's leavers and, per track, to the track's. Declared
    in the year's release, so the dashboard's trajectories and this year's outflow are one table."""
    small = [g for g, (n, _q) in groups.items() if disclosure.is_small(n)]
    for g, (n, q) in groups.items():
        shown = g not in small
        release.count(key("qualified", school_year, PROGRAMME, g), q, displayed=shown)
        release.count(key("unqualified", school_year, PROGRAMME, g), n - q, displayed=shown)
        release.total(key("leavers", school_year, PROGRAMME, g),
                      [key("unqualified", school_year, PROGRAMME, g), key("qualified", school_year, PROGRAMME, g)], displayed=shown)
        release.ratio(key("qualification rate", school_year, PROGRAMME, g), key("qualified", school_year, PROGRAMME, g),
                      key("leavers", school_year, PROGRAMME, g))
    kinds = ("leavers", "unqualified", "qualified")
    if small:
        for kind in kinds:
            release.total(key(kind, school_year, PROGRAMME, POOLED), [key(kind, school_year, PROGRAMME, g) for g in small])
        release.relate(key("leavers", school_year, PROGRAMME, POOLED),
                       [key("unqualified", school_year, PROGRAMME, POOLED), key("qualified", school_year, PROGRAMME, POOLED)])
        release.ratio(key("qualification rate", school_year, PROGRAMME, POOLED), key("qualified", school_year, PROGRAMME, POOLED),
                      key("leavers", school_year, PROGRAMME, POOLED))
    if window == [school_year] and groups:  # the same leavers as the year's figures
        tracks: dict[str, list] = defaultdict(list)
        for g in groups:
            tracks[g[1]].append(g)
        for kind in kinds:
            release.relate(key(kind, school_year), [key(kind, school_year, PROGRAMME, g) for g in groups])
            for track, members in tracks.items():
                release.relate(key(kind, school_year, "track", track), [key(kind, school_year, PROGRAMME, g) for g in members])
    return small


@dataclass(frozen=True)
class Trajectory:
    """One programme row (or the pooled row) of the trajectories, as published."""

    programme: str
    track: str
    leavers: Figure
    qualified: Figure
    unqualified: Figure
    rate: Figure  # qualification rate
    programmes: int = 1  # >1 only for the row that pools the small programmes

    @property
    def state(self) -> str:
        """Shown when every count of the row is, else the first suppressed state."""
        for f in (self.leavers, self.qualified, self.unqualified):
            if not f.shown:
                return f.state
        return disclosure.SHOWN


@dataclass
class Published:
    """The outflow figures of some school years as they may be shown."""

    years: list[str]
    trend: list[Line] = field(default_factory=list)  # the ``all`` line of every year, labelled by year
    groups: dict[tuple[str, str], list[Line]] = field(default_factory=dict)  # (year, by) -> lines
    windows: dict[str, list[str]] = field(default_factory=dict)  # year -> the school years of its trajectories
    trajectories: dict[str, list[Trajectory]] = field(default_factory=dict)  # year -> printed programmes
    pooled: dict[str, Trajectory | None] = field(default_factory=dict)  # year -> the pooled small programmes
    has_leavers: dict[str, bool] = field(default_factory=dict)  # (to choose a default year, never printed)

    @property
    def final(self) -> list[str]:
        """The school years whose outflow is complete (``final_years``)."""
        return final_years(self.years)

    def provisional(self, school_year: str) -> bool:
        """The year's outflow is not complete yet: its figures are no point of a trend."""
        return school_year not in self.final

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
    by_year = {year: _leavers(year, version=version, facts=facts) for year in years}
    for year in years:
        # one release per school year: no figure of a year is related to one of another year (the
        # leavers of two years are two populations), so a year decides the same states alone as
        # beside the others -- and the proof of each year is not repeated for every other's complements.
        # The trajectories of the window ending in the year are in it too (the city dashboard shows
        # them beside this year's figures; with a window of one year they add up to them).
        found = [(status, enrol, school) for _pid, status, enrol, school in by_year[year]]
        release = Release(f"outflow {year}")
        declare(release, year, found)
        window = trajectory_window(years, year)
        programmes = programme_counts(by_year, window)
        small = _declare_programmes(release, year, window, programmes)
        pub = release.publish()
        out.trend.append(_line(pub, year, year, ALL, ALL))
        out.has_leavers[year] = bool(found)
        for by in DIMENSIONS:
            out.groups[(year, by)] = [_line(pub, g, year, by, g) for g in _groups(found, by)]
        out.windows[year] = window

        def trajectory(group, programme="", track="", count=1, year=year, pub=pub) -> Trajectory:
            f = lambda kind: pub[key(kind, year, PROGRAMME, group)]  # noqa: E731
            return Trajectory(programme, track, f("leavers"), f("qualified"), f("unqualified"), f("qualification rate"), count)

        out.trajectories[year] = [trajectory(g, *g) for g in programmes if g not in small]
        out.pooled[year] = trajectory(POOLED, count=len(small)) if small else None
    return out


def school_years() -> list[str]:
    """School years with secondary enrolments, in order."""
    return sorted(set(Enrolment.objects.filter(grade__in=measures.SECONDARY).values_list("school_year", flat=True).distinct()))


def final_years(years: list[str]) -> list[str]:
    """The school years (of ``years``, the registry's) whose outflow is complete: the school year
    after them is in the registry too, so "no enrolment in X+1" can be known. The running school year
    (or the last one imported) is not final: its leavers are only those who left so far."""
    present = set(years)
    return [y for y in years if next_school_year(y) in present]


def last_final_year(upto: str | None = None) -> str | None:
    """The last school year whose outflow is complete, up to ``upto`` (inclusive); None if none."""
    done = [y for y in final_years(school_years()) if upto is None or y <= upto]
    return done[-1] if done else None


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
