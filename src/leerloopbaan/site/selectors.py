"""The figures on the home page: aggregates only, scoped to the user's memberships.

"This week" (``this_week``): per role, the counts of what asks for the user's attention, each with the
link to the list filtered to exactly those items. Every count comes from its app's selector, scoped to
the user (the home page reads no person model itself); a count that leaves a school for a city role is
published through one ``kernel.disclosure`` release with the other city figures of the page. The
number of queries does not depend on how much data there is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.roles import POLICIES, Role
from leerloopbaan.care.handovers import selectors as handovers
from leerloopbaan.care.requests import selectors as requests
from leerloopbaan.ews import week as ews_week
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.disclosure import Figure, Release
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.portfolio.youth import selectors as portfolio
from leerloopbaan.registry.models import Enrolment, School
from leerloopbaan.registry.primary import selectors as primary
from leerloopbaan.tutoring.matching import selectors as matching
from leerloopbaan.tutoring.tutors import selectors as tutors


@dataclass(frozen=True)
class WeekItem:
    """One count of "this week": ``key`` names it (the page's id ``week-<key>``), ``text`` says what is
    counted, ``count`` is an int (the user's own scope) or a published ``Figure`` (a city figure), and
    ``url`` opens the list of exactly those items."""

    key: str
    text: str
    count: int | Figure
    url: str


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


CITY_HOME = frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN})


def _city(user) -> bool:
    return POLICIES[user.role].city_wide or user.role == Role.ADMIN


def this_week(*, user, release: Release | None = None) -> list[WeekItem]:
    """The user's "this week" counts. City counts are declared in ``release`` (the page's one release)
    and filled in with their published figures by ``home_summary``."""
    items: list[WeekItem] = []
    risk = ews_week.change_counts(user=user)
    if risk is not None:
        items.append(WeekItem("new_high", _("pupils new in the high risk band"), risk["new_high"],
                              _url("site:risk_changes", "new_high")))
        items.append(WeekItem("up", _("pupils who moved up a risk band"), risk["up"], _url("site:risk_changes", "up")))
    counts = requests.home_counts(user=user)
    if counts is not None:
        if user.role == Role.CARE_COORDINATOR:
            items.append(WeekItem("new_requests", _("new support requests to triage"), counts["new"],
                                  _url("care:request_list", status="new")))
        items.append(WeekItem("overdue_requests", _("support requests past their response time"), counts["overdue"],
                              _url("care:request_list", overdue="1")))
    to_ack = handovers.to_acknowledge_count(user=user)
    if to_ack is not None:
        items.append(WeekItem("handovers", _("handovers to acknowledge"), to_ack,
                              _url("care:handover_list", status=handovers.TO_ACKNOWLEDGE)))
    to_screen = tutors.to_screen_count(user=user)
    if to_screen is not None:
        items.append(WeekItem("to_screen", _("tutors to screen"), to_screen, _url("tutoring:tutor_list", status=tutors.TO_SCREEN)))
    missed = matching.missed_checkins_count(user=user)
    if missed is not None:
        if user.role == Role.TUTOR:
            url = _url("tutoring:my_pupils", due="1")
        else:
            url = _url("tutoring:match_list", health="overdue")
        items.append(WeekItem("checkins", _("matches without a check-in for %(days)s days") % {"days": matching.OVERDUE_DAYS},
                              missed, url))
    asked = portfolio.open_request_count(user=user)
    if asked is not None:
        if user.role == Role.ORGANISATION_CONTACT:
            items.append(WeekItem("credentials", _("attestations asked of your organisation"), asked,
                                  _url("portfolio:org_requests", status="open")))
        else:
            items.append(WeekItem("credentials", _("attestations asked, waiting for an answer"), asked,
                                  _url("portfolio:home") + "#requests"))
    if release is not None and _city(user):
        city = ews_week.city_counts(user=user)
        if city is not None:
            for key, text in (("new_high", _("pupils new in the high risk band, city-wide")),
                              ("up", _("pupils who moved up a risk band, city-wide"))):
                release.count(("week", key), city[key])
                items.append(WeekItem(f"city_{key}", text, ("week", key), _url("ews:city_dashboard")))
    return items


def home_summary(*, user) -> dict:
    today = clock.today()
    year = school_year_of(today)
    summary: dict = {"school_year": year, "schools": [], "clbs": []}
    memberships = user.active_memberships().select_related("school", "clb", "organisation")
    summary["organisations"] = [m.organisation for m in memberships if m.organisation_id]
    summary["clbs"] = [m.clb for m in memberships if m.clb_id]
    if user.role == Role.SCHOOL_STAFF:
        # the user's own school: a figure that does not leave the school, shown as counted
        for m in memberships:
            if m.school_id:
                count = Enrolment.objects.filter(school=m.school, school_year=year, end_date__isnull=True).count()
                summary["schools"].append({"school": m.school, "enrolled": count, "primary": primary.is_primary(m.school)})
    elif user.role == Role.CLB_WORKER:
        for school in School.objects.filter(clb__in=summary["clbs"]).order_by("name"):
            summary["schools"].append({"school": school, "enrolled": None, "primary": primary.is_primary(school)})
    release = Release("home page")
    week = this_week(user=user, release=release)
    if _city(user):
        enrolled = Enrolment.objects.filter(school_year=year, end_date__isnull=True).values("pupil").distinct().count()
        release.count(("enrolled", year, "city"), enrolled)
    published = release.publish() if release.counts else None
    # city figures: the published figure in place of the declared key
    summary["week"] = [WeekItem(i.key, i.text, published[i.count], i.url) if isinstance(i.count, tuple) else i for i in week]
    if _city(user):
        summary["city"] = {
            "schools": School.objects.count(),  # schools, not pupils: no disclosure control
            "enrolled": published[("enrolled", year, "city")],
        }
    summary["only_primary"] = bool(summary["schools"]) and all(s["primary"] for s in summary["schools"])
    if summary["only_primary"]:  # primary pupils are not scored: no risk counts that are always 0
        summary["week"] = [i for i in summary["week"] if i.key not in ews_week.CHANGES]
    return summary


def data_ready() -> dict[str, bool]:
    """Which parts of the platform have data yet (for the home page's empty states)."""
    from leerloopbaan.ews.models import RiskScore

    return {"registry": School.objects.exists(), "ews": RiskScore.objects.exists()}
