"""Tutoring figures for the city: participation against the 10 % target, waiting pupils and waiting
time, tutor retention. Aggregates only, no names; every figure goes through one ``kernel.disclosure``
release: a count from 1 to 4 is shown as ``<5`` with the rates and medians derived from it, and a
complement that would give it away as ``×`` (docs/privacy.md, rule 3).

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

from django.db.models import Count, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce

from leerloopbaan.ews.models import RiskScore
from leerloopbaan.kernel import clock, formatting
from leerloopbaan.kernel.disclosure import Figure, Release
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_of
from leerloopbaan.registry.models import District, Enrolment, Pupil, PupilCharacteristics
from leerloopbaan.tutoring.access import coordinated_initiatives, is_admin, is_city, is_coordinator
from leerloopbaan.tutoring.models import Initiative, Match, Tutor, TutoringNeed

TARGET_SHARE = 0.10
RETENTION_MONTHS = (6, 12)
DAYS_PER_MONTH = 365.25 / 12


def may_see_reports(user) -> bool:
    return is_city(user) or is_admin(user) or is_coordinator(user)


def city_wide(user) -> bool:
    return is_city(user) or is_admin(user)


# --- formatting published figures -------------------------------------------------------------------

NOT_APPLICABLE = "–"


def count_text(figure: Figure) -> str:
    """A published count: the number (grouped: ``3.670``), ``<5`` or ``×``."""
    return formatting.integer(figure.value) if figure.shown and figure.value is not None else str(figure)


def pct_text(figure: Figure) -> str:
    """A published share in %: ``–`` when there is nothing to divide by."""
    if figure.shown:
        return NOT_APPLICABLE if figure.value is None else formatting.share(figure.value, 0)
    return str(figure)


def number_text(figure: Figure) -> str:
    """A published median (days) or target: ``–`` when there is none."""
    if figure.shown:
        return NOT_APPLICABLE if figure.value is None else formatting.integer(figure.value)
    return str(figure)


# --- facts -------------------------------------------------------------------------------------------

def _enrolled_today(today: datetime.date):
    return Enrolment.objects.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def population_in_scope(today: datetime.date) -> dict[str, int]:
    """Pupils enrolled today with OKI >= 2 or EWS band medium/high, per district of their school."""
    district_of = dict(_enrolled_today(today).values_list("pupil_id", "school__district"))
    chars = PupilCharacteristics.objects.filter(pupil=OuterRef("pk"), as_of__lte=today).order_by("-as_of", "-pk").annotate(
        o=Cast("home_language_not_dutch", IntegerField()) + Cast("mother_low_education", IntegerField())
        + Cast("school_allowance", IntegerField()) + Cast("neighbourhood_high_delay", IntegerField()))
    band = RiskScore.objects.that_may_show().filter(pupil=OuterRef("pk"), reference_date__lte=today).order_by("-reference_date", "-created_at", "-pk")
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
    any_hidden: bool = False


def _population(today: datetime.date) -> dict[str, int]:
    from leerloopbaan.kernel.caching import cached
    return cached("tutoring-population", lambda: population_in_scope(today), today.isoformat())


def tutoring_report(*, user, today: datetime.date | None = None) -> Report:
    """The report for this user (see the module docstring); PermissionDenied for other roles.

    Every figure goes through one disclosure-control release (``kernel.disclosure``) for the page.
    The relations a reader can use are declared: the city total of each district column; the
    participants per district and per initiative, whose sums exceed the city's participants by the
    pupils counted twice (in two districts, with two initiatives: counts not printed, protected when
    small); a retention cohort is the tutors kept plus those who left."""
    from django.core.exceptions import PermissionDenied

    if not may_see_reports(user):
        raise PermissionDenied
    today = today or clock.today()
    city = city_wide(user)
    initiatives = list((Initiative.objects.all() if city else coordinated_initiatives(user)).order_by("name"))
    report = Report(today=today, school_year=school_year_of(today), city=city, target_share=round(TARGET_SHARE * 100))
    release = Release("tutoring figures")

    districts: list[str] = []
    if city:
        population = _population(today)
        participants, total_participants = participants_by_district(today)
        districts = [d for d in District.values if population.get(d) or participants.get(d)]
        for d in districts:
            pop, part = population.get(d, 0), participants.get(d, 0)
            release.count(("in scope", d), pop)
            release.count(("participants", d), part)
            target = math.ceil(TARGET_SHARE * pop)
            release.statistic(("target", d), target, over=("in scope", d))
            release.statistic(("of target", d), part / target if target else None, over=[("participants", d), ("in scope", d)])
        pop_total = release.total(("in scope", "city"), [("in scope", d) for d in districts])
        release.count(("participants", "city"), total_participants)
        # pupils with a match in two districts are counted in each
        release.total(("participants", "sum of districts"), [("participants", d) for d in districts], displayed=False)
        release.count(("participants", "twice in districts"), sum(participants.values()) - total_participants, displayed=False)
        release.relate(("participants", "sum of districts"), [("participants", "city"), ("participants", "twice in districts")])
        target_total = math.ceil(TARGET_SHARE * release.counts[pop_total])
        release.statistic(("target", "city"), target_total, over=pop_total)
        release.statistic(("of target", "city"), total_participants / target_total if target_total else None,
                          over=[("participants", "city"), pop_total])

    ids = [ini.pk for ini in initiatives]
    per_initiative = participants_by_initiative(today, ids)
    active = dict(Match.objects.filter(status=Match.Status.ACTIVE, tutor__initiative__in=ids).values("tutor__initiative_id")
                  .annotate(n=Count("pk")).values_list("tutor__initiative_id", "n"))
    tutors_active = dict(Tutor.objects.filter(initiative__in=ids, status=Tutor.Status.ACTIVE).values("initiative_id")
                         .annotate(n=Count("pk")).values_list("initiative_id", "n"))
    kept = retention(today, ids)
    for ini in initiatives:
        release.count(("participants", "initiative", ini.pk), per_initiative.get(ini.pk, 0))
        release.count(("active matches", ini.pk), active.get(ini.pk, 0))
        release.count(("active tutors", ini.pk), tutors_active.get(ini.pk, 0))
        for months in RETENTION_MONTHS:
            cohort, stayed = kept.get(ini.pk, {}).get(months, (0, 0))
            release.count(("cohort", ini.pk, months), cohort)
            release.count(("stayed", ini.pk, months), stayed, displayed=False)
            release.count(("left", ini.pk, months), cohort - stayed, displayed=False)
            release.relate(("cohort", ini.pk, months), [("stayed", ini.pk, months), ("left", ini.pk, months)])
            release.ratio(("retained", ini.pk, months), ("stayed", ini.pk, months), ("cohort", ini.pk, months))
    if city:
        # every participant is a pupil of the city total; one with tutors of two initiatives counts in each
        release.total(("participants", "sum of initiatives"), [("participants", "initiative", ini.pk) for ini in initiatives],
                      displayed=False)
        release.count(("participants", "twice in initiatives"),
                      sum(per_initiative.get(ini.pk, 0) for ini in initiatives) - total_participants, displayed=False)
        release.relate(("participants", "sum of initiatives"), [("participants", "city"), ("participants", "twice in initiatives")])

    facts = waiting_facts(today)
    per_district = facts["per_district"]
    waiting_keys = [d for d in District.values if per_district.get(d)]
    for d in waiting_keys:
        release.count(("waiting", d), per_district[d])
    release.total(("waiting", "city"), [("waiting", d) for d in waiting_keys])
    release.count(("matched", "city"), len(facts["to_match"]))
    release.statistic(("median to match", "city"), statistics.median(facts["to_match"]) if facts["to_match"] else None,
                      over=("matched", "city"))
    release.statistic(("median so far", "city"), statistics.median(facts["so_far"]) if facts["so_far"] else None,
                      over=("waiting", "city"))
    pub = release.publish()

    for d in districts:
        report.districts.append(Row(str(District(d).label), {
            "in_scope": count_text(pub[("in scope", d)]), "target": number_text(pub[("target", d)]),
            "participants": count_text(pub[("participants", d)]), "of_target": pct_text(pub[("of target", d)]),
        }))
    if city:
        report.total = Row("total", {
            "in_scope": count_text(pub[("in scope", "city")]), "target": number_text(pub[("target", "city")]),
            "participants": count_text(pub[("participants", "city")]), "of_target": pct_text(pub[("of target", "city")]),
        })
    for ini in initiatives:
        report.initiatives.append(Row(ini.name, {
            "participants": count_text(pub[("participants", "initiative", ini.pk)]),
            "active": count_text(pub[("active matches", ini.pk)]),
            "tutors": count_text(pub[("active tutors", ini.pk)]),
            "capacity": NOT_APPLICABLE if ini.capacity is None else str(ini.capacity),  # a setting, not a count of people
        }))
        cells = {}
        for months in RETENTION_MONTHS:
            cells[f"cohort_{months}"] = count_text(pub[("cohort", ini.pk, months)])
            cells[f"retained_{months}"] = pct_text(pub[("retained", ini.pk, months)])
        report.retention.append(Row(ini.name, cells))
    for d in waiting_keys:
        report.waiting.append(Row(str(District(d).label), {"waiting": count_text(pub[("waiting", d)])}))
    report.waiting_total = Row("total", {
        "waiting": count_text(pub[("waiting", "city")]), "median_to_match": number_text(pub[("median to match", "city")]),
        "median_so_far": number_text(pub[("median so far", "city")]), "matched": count_text(pub[("matched", "city")]),
    })
    report.any_hidden = pub.any_hidden
    return report


__all__ = ["TARGET_SHARE", "Report", "Row", "tutoring_report", "population_in_scope", "may_see_reports", "count_text",
           "pct_text", "number_text"]


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
