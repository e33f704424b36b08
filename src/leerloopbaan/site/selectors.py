"""The figures on the home page: aggregates only, scoped to the user's memberships."""

from __future__ import annotations

from django.conf import settings

from leerloopbaan.accounts.roles import POLICIES, Role
from leerloopbaan.kernel import clock
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
        for m in memberships:
            if m.school_id:
                count = Enrolment.objects.filter(school=m.school, school_year=year, end_date__isnull=True).count()
                summary["schools"].append({"school": m.school, "enrolled": count})
    elif user.role == Role.CLB_WORKER:
        for school in School.objects.filter(clb__in=summary["clbs"]).order_by("name"):
            summary["schools"].append({"school": school, "enrolled": None})
    if POLICIES[user.role].city_wide or user.role == Role.ADMIN:
        enrolled = Enrolment.objects.filter(school_year=year, end_date__isnull=True).values("pupil").distinct().count()
        summary["city"] = {
            "schools": School.objects.count(),
            "enrolled": enrolled if enrolled >= settings.SMALL_CELL_THRESHOLD or enrolled == 0 else None,
        }
    return summary


def data_ready() -> dict[str, bool]:
    """Which parts of the platform have data yet (for the home page's empty states)."""
    from leerloopbaan.ews.models import RiskScore

    return {"registry": School.objects.exists(), "ews": RiskScore.objects.exists()}
