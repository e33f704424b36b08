"""The figures on the home page: aggregates only, scoped to the user's memberships."""

from __future__ import annotations

from leerloopbaan.accounts.roles import POLICIES, Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.disclosure import Release
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry.models import Enrolment, School


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
                summary["schools"].append({"school": m.school, "enrolled": count})
    elif user.role == Role.CLB_WORKER:
        for school in School.objects.filter(clb__in=summary["clbs"]).order_by("name"):
            summary["schools"].append({"school": school, "enrolled": None})
    if POLICIES[user.role].city_wide or user.role == Role.ADMIN:
        enrolled = Enrolment.objects.filter(school_year=year, end_date__isnull=True).values("pupil").distinct().count()
        release = Release("home page")
        release.count(("enrolled", year, "city"), enrolled)
        summary["city"] = {
            "schools": School.objects.count(),  # schools, not pupils: no disclosure control
            "enrolled": release.publish()[("enrolled", year, "city")],
        }
    return summary


def data_ready() -> dict[str, bool]:
    """Which parts of the platform have data yet (for the home page's empty states)."""
    from leerloopbaan.ews.models import RiskScore

    return {"registry": School.objects.exists(), "ews": RiskScore.objects.exists()}
