"""The page of a primary school: what the platform knows of its pupils without scoring them.

No early-warning model is validated for primary pupils (the models are trained and back-tested on
secondary pupils and early school leaving, docs/early-warning.md), so a primary school gets no risk
scores and no risk list. Its page shows what the registry holds, as counts of pupils:

- attendance: pupils enrolled in the school year, those with 5 or more half days of problematic
  absence (code B: the school must involve the CLB) and those with 30 or more ("problematically
  absent"), counted from the absences recorded at this school;
- school delay: the enrolled pupils behind the grade expected from their birth year (1 year, 2 or
  more years), on time and ahead (``registry.measures.school_delay``);
- transition to secondary: the pupils in P6 at this school in the last school year whose next year
  is in the registry, by where they are the next school year: first grade A, first grade B, still in
  primary, elsewhere in secondary, not enrolled in the city.

Every count goes through one ``kernel.disclosure`` release; staff of the school read their own
school's counts as they are (``reader_knows``), everyone else (the CLB, the city) gets them published.
Who may open it: staff of the school, CLB workers of the schools their CLB serves, city roles.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count
from django.http import Http404

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.disclosure import Release
from leerloopbaan.kernel.schoolyear import next_school_year, school_year_bounds, school_year_of
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Absence, Enrolment, School
from leerloopbaan.registry.selectors import CITY_ROLES, schools_of
from leerloopbaan.registry.vocabulary import Level

PRIMARY_LEVELS = frozenset({Level.PRIMARY, Level.SPECIAL_PRIMARY})
DELAY_GROUPS = ("ahead", "on_time", "behind_1", "behind_2")
DESTINATIONS = ("s1_a", "s1_b", "primary", "other_secondary", "not_enrolled")


def is_primary(school: School) -> bool:
    return school.level in PRIMARY_LEVELS


def primary_schools_of(user) -> list[School]:
    """The primary schools among the user's own schools (school staff, CLB workers): where their
    home and risk list link to this page instead of scores."""
    if not (user and user.is_authenticated and user.is_active) or user.role not in (
        Role.SCHOOL_STAFF,
        Role.CLB_WORKER,
    ):
        return []
    return list(schools_of(user).filter(level__in=PRIMARY_LEVELS).order_by("name"))


def _may_open(user, school: School) -> tuple[bool, bool]:
    """(may open the page, is staff of the school)."""
    if not (user and user.is_authenticated and user.is_active):
        return False, False
    if user.role in CITY_ROLES:
        return True, False
    if user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER):
        mine = schools_of(user).filter(pk=school.pk).exists()
        return mine, mine and user.role == Role.SCHOOL_STAFF
    return False, False


def primary_school_get(*, user, school_number: str) -> School:
    """A primary school the user may open the page of, or 404 (a secondary school too: it has the portrait)."""
    school = School.objects.filter(school_number=school_number, level__in=PRIMARY_LEVELS).first()
    if school is None or not _may_open(user, school)[0]:
        raise Http404("no such primary school")
    return school


def _delay_group(delay: int | None) -> str | None:
    if delay is None:
        return None
    if delay < 0:
        return "ahead"
    if delay == 0:
        return "on_time"
    return "behind_1" if delay == 1 else "behind_2"


def _destination(grade: str, stream: str, level: str) -> str:
    if grade.startswith("P"):
        return "primary"
    if grade == "S1" and stream in ("A", "B") and level == Level.SECONDARY:
        return "s1_a" if stream == "A" else "s1_b"
    return "other_secondary"


def primary_school_page(*, user, school: School, school_year: str | None = None) -> dict:
    """The figures of ``school``'s page for ``school_year`` (the current one), published. A fixed number
    of queries; counts of pupils only, no read of a pupil."""
    may, own = _may_open(user, school)
    if not may:
        raise Http404("no such primary school")
    year = school_year or school_year_of(clock.today())
    start, end = school_year_bounds(year)

    # enrolled pupils and their school delay (the pupil's last enrolment here in the year)
    grades: dict[int, tuple] = {}
    for pupil_id, birth, grade in (
        Enrolment.objects.filter(school=school, school_year=year)
        .order_by("start_date")
        .values_list("pupil_id", "pupil__birth_date", "grade")
    ):
        grades[pupil_id] = (birth, grade)
    delay = Counter(
        _delay_group(measures.school_delay(birth, year, grade)) for birth, grade in grades.values()
    )
    enrolled = len(grades)

    # problematic absence (code B) recorded at this school, pupils of this year's enrolments
    per_pupil = (
        Absence.objects.filter(
            school=school, code="B", date__gte=start, date__lte=end, pupil_id__in=list(grades)
        )
        .values("pupil_id")
        .annotate(n=Count("pk"))
    )
    b = [row["n"] for row in per_pupil]
    clb_required = sum(1 for n in b if n >= measures.CLB_THRESHOLD)
    problematic = sum(1 for n in b if n >= measures.PROBLEMATIC_THRESHOLD)

    # transition: P6 here in the last year whose next year is in the registry
    # (the year before when the registry holds no enrolment of ``year`` yet)
    year_after = year if Enrolment.objects.filter(school_year=year).exists() else next_school_year(year, -1)
    leavers_year = next_school_year(year_after, -1)
    p6 = set(
        Enrolment.objects.filter(school=school, school_year=leavers_year, grade="P6").values_list(
            "pupil_id", flat=True
        )
    )
    first_next: dict[int, str] = {}
    for pupil_id, grade, stream, level in (
        Enrolment.objects.filter(pupil_id__in=list(p6), school_year=year_after)
        .order_by("-start_date")
        .values_list("pupil_id", "grade", "stream", "school__level")
    ):
        first_next[pupil_id] = _destination(
            grade, stream, level
        )  # ordered latest first: the first enrolment wins
    destinations = Counter(first_next.get(p, "not_enrolled") for p in p6)

    release = Release(f"primary school {school.school_number}")
    r = release
    r.count(("enrolled",), enrolled)
    r.count(("absence", "clb"), clb_required)
    r.count(("absence", "problematic"), problematic)
    r.ratio(("absence", "clb", "rate"), ("absence", "clb"), ("enrolled",))
    r.ratio(("absence", "problematic", "rate"), ("absence", "problematic"), ("enrolled",))
    delay_keys = [r.count(("delay", g), delay.get(g, 0)) for g in DELAY_GROUPS]
    r.count(("delay", "unknown"), enrolled - sum(delay.get(g, 0) for g in DELAY_GROUPS), displayed=False)
    r.relate(("enrolled",), [*delay_keys, ("delay", "unknown")])
    for g in DELAY_GROUPS:
        r.ratio(("delay", g, "rate"), ("delay", g), ("enrolled",))
    r.count(("leavers",), len(p6))
    dest_keys = [r.count(("to", d), destinations.get(d, 0)) for d in DESTINATIONS]
    r.relate(("leavers",), dest_keys)
    for d in DESTINATIONS:
        r.ratio(("to", d, "rate"), ("to", d), ("leavers",))
    if own:
        r.reader_knows(list(release.counts))
    published = release.publish()
    return {
        "school": school,
        "school_year": year,
        "own": own,
        "figures": published,
        "leavers_year": leavers_year,
        "year_after": year_after,
        "enrolled": published[("enrolled",)],
        "absence": [
            (key, published[("absence", key)], published[("absence", key, "rate")])
            for key in ("clb", "problematic")
        ],
        "delay": [(g, published[("delay", g)], published[("delay", g, "rate")]) for g in DELAY_GROUPS],
        "leavers": published[("leavers",)],
        "destinations": [(d, published[("to", d)], published[("to", d, "rate")]) for d in DESTINATIONS],
        "thresholds": {"clb": measures.CLB_THRESHOLD, "problematic": measures.PROBLEMATIC_THRESHOLD},
    }
