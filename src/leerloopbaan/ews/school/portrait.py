"""School portrait figures: aggregates only, computed from the registry and the risk scores.

Every function returns counts per school (never pupils); ``ews.selectors.school_portrait`` decides
what a viewer sees and suppresses small cells. Cost is linear in the data of one school year
(enrolments, characteristics, attestations, risk scores) and in the city's absences of that year
(cached per school year), and, for the VSV trend and the value added, in the enrolments
(one pass through ``registry.outflow.pupil_outcomes``).

Comparison group: the schools of the same level whose OKI (mean of their pupils' OKI, 0..4) falls
in the same quintile in that school year.

Value added (VSV): actual minus expected early school leavers, expected by indirect
standardisation: the city's VSV rate per OKI level (0..4, plus "unknown") among that year's
leavers, applied to the school's leavers' OKI mix. Negative = fewer early leavers than the intake
predicts. OKI is used here to judge the school fairly, never as a reason shown about a pupil.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_first
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Absence, Attestation, Enrolment, Pupil, PupilCharacteristics, School
from leerloopbaan.registry.outflow import report as outflow

BANDS = ("low", "medium", "high")
RESULTS = ("A", "B", "C")


@dataclass
class SchoolYearCounts:
    """Counts for one school (or a pooled group of schools) in one school year."""

    pupils: int = 0
    oki_known: int = 0
    oki_sum: int = 0
    oki_levels: Counter = field(default_factory=Counter)
    delay_known: int = 0
    delayed: int = 0
    attestations: Counter = field(default_factory=Counter)
    b_pupils_5: int = 0  # pupils with 5 or more B half days (CLB must be involved)
    b_pupils_30: int = 0  # problematically absent
    b_half_days: int = 0
    scored: int = 0
    bands: Counter = field(default_factory=Counter)
    risk_sum: float = 0.0

    @property
    def oki(self) -> float | None:
        return self.oki_sum / self.oki_known if self.oki_known else None

    def add(self, other: SchoolYearCounts) -> None:
        for name in ("pupils", "oki_known", "oki_sum", "delay_known", "delayed", "b_pupils_5", "b_pupils_30", "b_half_days", "scored", "risk_sum"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.oki_levels.update(other.oki_levels)
        self.attestations.update(other.attestations)
        self.bands.update(other.bands)


def _latest_oki(pupil_ids_qs, day: datetime.date) -> dict[int, int]:
    """OKI (0..4) of each pupil on ``day`` from the latest registration on or before it."""
    latest: dict[int, tuple[datetime.date, int]] = {}
    rows = PupilCharacteristics.objects.filter(pupil_id__in=pupil_ids_qs, as_of__lte=day).values_list("pupil_id", "as_of", *measures.OKI_FIELDS)
    for pid, as_of, *flags in rows.iterator(chunk_size=20_000):
        known = latest.get(pid)
        if known is None or as_of > known[0]:
            latest[pid] = (as_of, sum(int(bool(f)) for f in flags))
    return {pid: v for pid, (_d, v) in latest.items()}


def year_counts(school_year: str) -> dict[int, SchoolYearCounts]:
    """Per school id: pupils, OKI, school delay and attestations in ``school_year`` (no absences)."""
    _start, end = school_year_bounds(school_year)
    enrolled = Enrolment.objects.filter(school_year=school_year)
    last: dict[tuple[int, int], tuple[datetime.date, str]] = {}
    for pid, sid, grade, begun in enrolled.values_list("pupil_id", "school_id", "grade", "start_date").iterator(chunk_size=20_000):
        key = (sid, pid)
        if key not in last or begun > last[key][0]:
            last[key] = (begun, grade)
    births = dict(Pupil.objects.filter(pk__in=enrolled.values("pupil_id")).values_list("id", "birth_date").iterator(chunk_size=20_000))
    oki = _latest_oki(enrolled.values("pupil_id"), end)
    out: dict[int, SchoolYearCounts] = defaultdict(SchoolYearCounts)
    for (sid, pid), (_begun, grade) in last.items():
        c = out[sid]
        c.pupils += 1
        level = oki.get(pid)
        if level is not None:
            c.oki_known += 1
            c.oki_sum += level
            c.oki_levels[level] += 1
        if grade in measures.GRADE_ORDER and pid in births:
            delay = measures.school_delay(births[pid], school_year, grade)
            if delay is not None:
                c.delay_known += 1
                c.delayed += delay >= 1
    for sid, result, n in (Attestation.objects.filter(school_year=school_year).values_list("school_id", "result")
                           .annotate(n=Count("id")).order_by()):
        out[sid].attestations[result] += n
    return dict(out)


def city_counts(school_year: str) -> tuple[dict[int, SchoolYearCounts], datetime.date | None]:
    """``year_counts`` of every school with the absences and the latest risk scores of every school
    (the city column of a portrait is the whole city), and the scores' reference date."""
    counts = year_counts(school_year)
    add_absences(counts, None, school_year)
    return counts, add_risks(counts, None, school_year)


def add_absences(counts: dict[int, SchoolYearCounts], school_ids: list[int] | None, school_year: str) -> None:
    """B half days of the pupils of ``school_ids`` (None: every school) in that school, in the school year."""
    start, end = school_year_bounds(school_year)
    enrolled = Enrolment.objects.filter(school_year=school_year)
    absences = Absence.objects.filter(date__gte=start, date__lte=end, code="B")
    if school_ids is not None:
        enrolled = enrolled.filter(school_id__in=school_ids)
        absences = absences.filter(school_id__in=school_ids)
    rows = (absences.filter(pupil_id__in=enrolled.values("pupil_id"))
            .values_list("school_id", "pupil_id").annotate(n=Count("id")).order_by())
    for sid, _pid, n in rows.iterator(chunk_size=20_000):
        c = counts.setdefault(sid, SchoolYearCounts())
        c.b_half_days += n
        c.b_pupils_5 += n >= measures.CLB_THRESHOLD
        c.b_pupils_30 += n >= measures.PROBLEMATIC_THRESHOLD


def scored_run() -> ModelRun | None:
    """The run whose scores the pages show: the active run (the approved model, else the rule
    baseline) when it has scores, else the latest other run that may score and has scores. Scores of
    an unapproved run (kept from before approval was enforced) are never shown."""
    active = ModelRun.objects.active()
    if active is not None and RiskScore.objects.filter(model_run=active).exists():
        return active
    allowed = ModelRun.objects.that_may_score()
    return (ModelRun.objects.filter(pk__in=allowed).filter(pk__in=RiskScore.objects.values("model_run_id"))
            .newest_first().first())


def add_risks(counts: dict[int, SchoolYearCounts], school_ids: list[int] | None, school_year: str) -> datetime.date | None:
    """Risk bands of the latest scores (latest run, latest reference date in the school year) in
    ``school_ids`` (None: every school)."""
    run = scored_run()
    if run is None:
        return None
    start, end = school_year_bounds(school_year)
    scores = RiskScore.objects.filter(model_run=run, reference_date__gte=start, reference_date__lte=end)
    day = scores.order_by("-reference_date").values_list("reference_date", flat=True).first()
    if day is None:
        return None
    latest = scores.filter(reference_date=day)
    if school_ids is not None:
        latest = latest.filter(school_id__in=school_ids)
    for sid, band, risk in latest.values_list("school_id", "band", "risk").iterator(chunk_size=20_000):
        c = counts.setdefault(sid, SchoolYearCounts())
        c.scored += 1
        c.bands[band] += 1
        c.risk_sum += risk
    return day


def oki_quintiles(counts: dict[int, SchoolYearCounts], levels: dict[int, str]) -> dict[int, int]:
    """Per school id: OKI quintile 1 (lowest OKI) .. 5, among schools of the same level with a known OKI."""
    by_level: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for sid, c in counts.items():
        if c.oki is not None and sid in levels:
            by_level[levels[sid]].append((c.oki, sid))
    out = {}
    for schools in by_level.values():
        schools.sort()
        n = len(schools)
        for rank, (_oki, sid) in enumerate(schools):
            out[sid] = rank * 5 // n + 1
    return out


# --- VSV: trend and value added --------------------------------------------------------------

@dataclass
class VsvYear:
    school_year: str
    leavers: int
    unqualified: int
    expected: float | None = None  # expected unqualified leavers given the leavers' OKI mix

    @property
    def rate(self) -> float | None:
        return measures.vsv_rate(self.unqualified, self.leavers)

    @property
    def value_added(self) -> float | None:
        return None if self.expected is None else self.unqualified - self.expected


def vsv_by_school(*, upto: str) -> tuple[dict[int, dict[str, VsvYear]], dict[str, VsvYear]]:
    """Per school id and school year (up to ``upto``): leavers, unqualified leavers and the expected
    number from the city's rate per OKI level. Also the city's totals per year."""
    facts = outflow._facts()
    births, _schools, enrolments, _quals = facts
    outcomes = outflow.pupil_outcomes(facts=facts)
    leavers: list[tuple[int, int, str, bool]] = []  # pupil, school, year, unqualified
    for pid, (status, year) in outcomes.items():
        if year is None or year > upto:
            continue
        in_year = [e for e in enrolments[pid] if e.school_year == year and e.grade in measures.SECONDARY]
        if not in_year:
            continue
        school_id = int(max(in_year, key=lambda e: e.start_date).school)
        leavers.append((pid, school_id, year, status == "unqualified"))
    history: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for pid, as_of, *flags in PupilCharacteristics.objects.values_list("pupil_id", "as_of", *measures.OKI_FIELDS).iterator(chunk_size=20_000):
        history[pid].append((as_of, sum(int(bool(f)) for f in flags)))

    def oki_of(pid: int, year: str):
        end = school_year_bounds(year)[1]
        known = [h for h in history.get(pid, ()) if h[0] <= end]
        return max(known)[1] if known else "unknown"

    level_of = {(pid, year): oki_of(pid, year) for pid, _sid, year, _u in leavers}
    city_levels: dict[tuple[str, object], list[int]] = defaultdict(lambda: [0, 0])
    for pid, _sid, year, unq in leavers:
        cell = city_levels[(year, level_of[(pid, year)])]
        cell[0] += 1
        cell[1] += unq
    schools: dict[int, dict[str, VsvYear]] = defaultdict(dict)
    city: dict[str, VsvYear] = {}
    for pid, sid, year, unq in leavers:
        row = schools[sid].setdefault(year, VsvYear(year, 0, 0, 0.0))
        n, u = city_levels[(year, level_of[(pid, year)])]
        row.leavers += 1
        row.unqualified += unq
        row.expected += u / n
        total = city.setdefault(year, VsvYear(year, 0, 0, 0.0))
        total.leavers += 1
        total.unqualified += unq
        total.expected += u / n
    return dict(schools), city


def trend_years(upto: str, with_outcome) -> list[str]:
    """The school years of the portrait's VSV trend: the six up to ``upto`` whose outflow is complete
    by the outflow report's one rule (``outflow.final_years``: the next school year is in the registry),
    and that have leavers (``with_outcome``)."""
    final = set(outflow.final_years(outflow.school_years()))
    return [y for y in current_years(upto) if y in final and y in with_outcome]


def current_years(upto: str, count: int = 6) -> list[str]:
    first = school_year_first(upto)
    return [f"{y}-{y + 1}" for y in range(first - count + 1, first + 1)]


def school_levels() -> dict[int, str]:
    return dict(School.objects.values_list("id", "level"))
