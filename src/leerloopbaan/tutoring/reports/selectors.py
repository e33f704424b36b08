"""Tutoring figures for the city: participation against the 10 % target, waiting pupils and waiting
time, tutor retention. Aggregates only, no names; every count under ``settings.SMALL_CELL_THRESHOLD``
is shown as ``<5``, with the rates and medians derived from it (docs/privacy.md, rule 3).

- In scope: pupils enrolled today whose latest OKI (registered on or before today) is 2 or more, or
  whose latest EWS band is medium or high. The target is 10 % of them (rounded up).
- Participation: pupils with a match that was active at some time in the current school year
  (started on or before today, not ended before 1 September), per district of the school that
  entered the need and per initiative of the tutor.
- Waiting: needs waiting today; the median days from entry to the start of the first match (needs
  first matched in this school year), and the median days waited so far by those still waiting.
- Retention: of the tutors admitted at least 6 (12) months ago, the share that had not left 6 (12)
  months after admission, per initiative.

City analysts, programme managers and the admin see the whole report; a tutor coordinator sees the
rows of the initiatives they coordinate (and the city's waiting pool, which every initiative shares).
"""

from __future__ import annotations

import datetime
import math
import statistics
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce

from leerloopbaan.ews.models import RiskScore
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_of
from leerloopbaan.registry.models import District, Enrolment, Pupil, PupilCharacteristics
from leerloopbaan.tutoring.access import coordinated_initiatives, is_admin, is_city, is_coordinator
from leerloopbaan.tutoring.models import Initiative, Match, Tutor, TutoringNeed

TARGET_SHARE = 0.10
SMALL = "<5"
RETENTION_MONTHS = (6, 12)
DAYS_PER_MONTH = 365.25 / 12


def threshold() -> int:
    return int(getattr(settings, "SMALL_CELL_THRESHOLD", 5))


def may_see_reports(user) -> bool:
    return is_city(user) or is_admin(user) or is_coordinator(user)


def city_wide(user) -> bool:
    return is_city(user) or is_admin(user)


# --- suppression ------------------------------------------------------------------------------------

def small(n: int | None) -> bool:
    return n is not None and 0 < n < threshold()


def count_cell(n: int | None) -> str:
    if n is None:
        return "–"
    return SMALL if small(n) else str(n)


def pct_cell(num: int | None, den: int | None, *, digits: int = 0) -> str:
    """A share in %, hidden when the numerator or the denominator is a small cell."""
    if num is None or not den:
        return "–"
    if small(num) or small(den):
        return SMALL
    return f"{100 * num / den:.{digits}f}%"


def median_cell(values: list[float]) -> str:
    if not values:
        return "–"
    if small(len(values)):
        return SMALL
    return f"{statistics.median(values):.0f}"


def complementary(counts: dict[str, int]) -> set[str]:
    """Keys to hide besides the small cells: when exactly one cell of a table with a total is small,
    the next smallest shown cell is hidden too, so the small one cannot be computed back."""
    smalls = [k for k, n in counts.items() if small(n)]
    if len(smalls) != 1:
        return set()
    shown = sorted((n, k) for k, n in counts.items() if n >= threshold())
    return {shown[0][1]} if shown else set()


# --- facts -------------------------------------------------------------------------------------------

def _enrolled_today(today: datetime.date):
    return Enrolment.objects.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def population_in_scope(today: datetime.date) -> dict[str, int]:
    """Pupils enrolled today with OKI >= 2 or EWS band medium/high, per district of their school."""
    district_of = dict(_enrolled_today(today).values_list("pupil_id", "school__district"))
    chars = PupilCharacteristics.objects.filter(pupil=OuterRef("pk"), as_of__lte=today).order_by("-as_of", "-pk").annotate(
        o=Cast("home_language_not_dutch", IntegerField()) + Cast("mother_low_education", IntegerField())
        + Cast("school_allowance", IntegerField()) + Cast("neighbourhood_high_delay", IntegerField()))
    band = RiskScore.objects.filter(pupil=OuterRef("pk"), reference_date__lte=today).order_by("-reference_date", "-created_at", "-pk")
    rows = (Pupil.objects.filter(pk__in=_enrolled_today(today).values("pupil_id"))
            .annotate(oki=Coalesce(Subquery(chars.values("o")[:1]), Value(0)), band=Subquery(band.values("band")[:1]))
            .filter(Q(oki__gte=2) | Q(band__in=[RiskScore.Band.MEDIUM, RiskScore.Band.HIGH])).values_list("pk", flat=True))
    out: dict[str, int] = {}
    for pk in rows.iterator(chunk_size=5000):
        d = district_of.get(pk, District.OUTSIDE)
        out[d] = out.get(d, 0) + 1
    return out


def _participating(today: datetime.date, initiatives=None):
    start, _end = school_year_bounds(school_year_of(today))
    qs = Match.objects.filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED], started_on__isnull=False, started_on__lte=today).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    if initiatives is not None:
        qs = qs.filter(tutor__initiative__in=initiatives)
    return qs


def participants_by_district(today: datetime.date) -> tuple[dict[str, int], int]:
    pairs = set(_participating(today).values_list("need__pupil_id", "need__school__district"))
    out: dict[str, int] = {}
    for _pupil, district in pairs:
        out[district] = out.get(district, 0) + 1
    return out, len({p for p, _d in pairs})


def participants_by_initiative(today: datetime.date, initiatives) -> dict[int, int]:
    pairs = set(_participating(today, initiatives).values_list("need__pupil_id", "tutor__initiative_id"))
    out: dict[int, int] = {}
    for _pupil, ini in pairs:
        out[ini] = out.get(ini, 0) + 1
    return out


def waiting_facts(today: datetime.date) -> dict:
    """Waiting needs per district; days from entry to the first match; days waited so far."""
    start, _end = school_year_bounds(school_year_of(today))
    waiting = list(TutoringNeed.objects.filter(status=TutoringNeed.Status.WAITING).annotate(
        last_end=Subquery(Match.objects.filter(need=OuterRef("pk"), status=Match.Status.ENDED).order_by("-ended_on").values("ended_on")[:1]))
        .values_list("school__district", "created_at", "last_end"))
    per_district: dict[str, int] = {}
    so_far = []
    for district, created, last_end in waiting:
        per_district[district] = per_district.get(district, 0) + 1
        since = clock.date_of(created)
        if last_end and last_end > since:
            since = last_end
        so_far.append((today - since).days)
    firsts = (TutoringNeed.objects.annotate(first=Min("matches__started_on", filter=Q(matches__started_on__isnull=False)))
              .filter(first__isnull=False, first__gte=start, first__lte=today).values_list("created_at", "first"))
    to_match = [max(0, (first - clock.date_of(created)).days) for created, first in firsts]
    return {"per_district": per_district, "so_far": so_far, "to_match": to_match}


def retention(today: datetime.date, initiatives) -> dict[int, dict[int, tuple[int, int]]]:
    """Per initiative, per months: (admitted at least that long ago, of whom not left within that time)."""
    out: dict[int, dict[int, tuple[int, int]]] = {}
    tutors = Tutor.objects.filter(initiative__in=initiatives, approved_at__isnull=False).values_list("initiative_id", "approved_at", "left_at")
    for ini, approved, left in tutors:
        for months in RETENTION_MONTHS:
            span = datetime.timedelta(days=round(months * DAYS_PER_MONTH))
            if clock.date_of(approved + span) > today:
                continue
            cohort, kept = out.setdefault(ini, {}).get(months, (0, 0))
            stayed = left is None or left >= approved + span
            out[ini][months] = (cohort + 1, kept + int(stayed))
    return out


# --- the report --------------------------------------------------------------------------------------

@dataclass
class Row:
    label: str
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    today: datetime.date
    school_year: str
    city: bool
    target_share: int
    districts: list[Row] = field(default_factory=list)
    total: Row | None = None
    initiatives: list[Row] = field(default_factory=list)
    waiting: list[Row] = field(default_factory=list)
    waiting_total: Row | None = None
    retention: list[Row] = field(default_factory=list)


def _population(today: datetime.date) -> dict[str, int]:
    from leerloopbaan.kernel.caching import cached
    return cached("tutoring-population", lambda: population_in_scope(today), today.isoformat())


def tutoring_report(*, user, today: datetime.date | None = None) -> Report:
    """The report for this user (see the module docstring); PermissionDenied for other roles."""
    from django.core.exceptions import PermissionDenied

    if not may_see_reports(user):
        raise PermissionDenied
    today = today or clock.today()
    city = city_wide(user)
    initiatives = Initiative.objects.all() if city else coordinated_initiatives(user)
    report = Report(today=today, school_year=school_year_of(today), city=city, target_share=round(TARGET_SHARE * 100))

    if city:
        population = _population(today)
        participants, total_participants = participants_by_district(today)
        keys = [d for d in District.values if population.get(d) or participants.get(d)]
        hide_pop, hide_part = complementary({d: population.get(d, 0) for d in keys}), complementary({d: participants.get(d, 0) for d in keys})
        for d in keys:
            pop, part = population.get(d, 0), participants.get(d, 0)
            target = math.ceil(TARGET_SHARE * pop)
            hidden_pop, hidden_part = d in hide_pop or small(pop), d in hide_part or small(part)
            report.districts.append(Row(str(District(d).label), {
                "in_scope": SMALL if hidden_pop else count_cell(pop),
                "target": SMALL if hidden_pop else count_cell(target),
                "participants": SMALL if hidden_part else count_cell(part),
                "of_target": SMALL if hidden_pop or hidden_part else pct_cell(part, target),
            }))
        pop_total = sum(population.values())
        target_total = math.ceil(TARGET_SHARE * pop_total)
        report.total = Row("total", {"in_scope": count_cell(pop_total), "target": count_cell(target_total),
                                     "participants": count_cell(total_participants), "of_target": pct_cell(total_participants, target_total)})

    per_initiative = participants_by_initiative(today, initiatives)
    active = dict(Match.objects.filter(status=Match.Status.ACTIVE, tutor__initiative__in=initiatives).values("tutor__initiative_id")
                  .annotate(n=Count("pk")).values_list("tutor__initiative_id", "n"))
    tutors_active = dict(Tutor.objects.filter(initiative__in=initiatives, status=Tutor.Status.ACTIVE).values("initiative_id")
                         .annotate(n=Count("pk")).values_list("initiative_id", "n"))
    kept = retention(today, initiatives)
    # the city total is shown too: one small initiative would follow from it minus the others
    hide_part = complementary({ini.pk: per_initiative.get(ini.pk, 0) for ini in initiatives})
    hide_active = complementary({ini.pk: active.get(ini.pk, 0) for ini in initiatives})
    for ini in initiatives.order_by("name"):
        report.initiatives.append(Row(ini.name, {
            "participants": SMALL if ini.pk in hide_part else count_cell(per_initiative.get(ini.pk, 0)),
            "active": SMALL if ini.pk in hide_active else count_cell(active.get(ini.pk, 0)),
            "tutors": count_cell(tutors_active.get(ini.pk, 0)), "capacity": "–" if ini.capacity is None else str(ini.capacity),
        }))
        cells = {}
        for months in RETENTION_MONTHS:
            cohort, stayed = kept.get(ini.pk, {}).get(months, (0, 0))
            cells[f"cohort_{months}"] = count_cell(cohort)
            cells[f"retained_{months}"] = pct_cell(stayed, cohort) if cohort else "–"
        report.retention.append(Row(ini.name, cells))

    facts = waiting_facts(today)
    per_district = facts["per_district"]
    keys = [d for d in District.values if per_district.get(d)]
    hide = complementary({d: per_district[d] for d in keys})
    for d in keys:
        report.waiting.append(Row(str(District(d).label), {"waiting": SMALL if d in hide else count_cell(per_district[d])}))
    report.waiting_total = Row("total", {"waiting": count_cell(sum(per_district.values())), "median_to_match": median_cell(facts["to_match"]),
                                         "median_so_far": median_cell(facts["so_far"]), "matched": count_cell(len(facts["to_match"]))})
    return report


__all__ = ["SMALL", "TARGET_SHARE", "Report", "Row", "tutoring_report", "population_in_scope", "may_see_reports", "count_cell",
           "pct_cell", "median_cell", "complementary"]


# --- facts other apps build their figures on (no names, no person read of their own) ---------

def matches_version() -> str:
    """Changes whenever a match is added or changes state: a cache key for figures built on matches."""
    agg = Match.objects.aggregate(n=Count("pk"), last=Max("pk"), v=Sum("version"))
    return f"{agg['n']}:{agg['last']}:{agg['v']}"


def tutoring_periods() -> list[tuple[int, str, datetime.date, str]]:
    """(pupil id, subject, started on, mode) of every match that started (active or ended): the
    input of the growth of tutored pupils, an aggregate."""
    return list(Match.objects.filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED], started_on__isnull=False)
                .values_list("need__pupil_id", "need__subject", "started_on", "mode"))


def open_need_subjects(pupil_ids) -> set[tuple[int, str]]:
    """(pupil id, subject) of the needs waiting for or having a tutor, among ``pupil_ids``. For a caller
    that scoped these pupils itself and audits what it shows (remediation proposals)."""
    return set(TutoringNeed.objects.filter(pupil_id__in=list(pupil_ids),
                                           status__in=[TutoringNeed.Status.WAITING, TutoringNeed.Status.MATCHED])
               .values_list("pupil_id", "subject"))
