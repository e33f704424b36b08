"""Reads of pupil data, scoped to the acting user and audited (the pattern of privacy.access).

Who sees what:
- school staff: pupils with an enrolment (now or earlier) in a school of their active membership,
  with names;
- CLB workers: pupils with an enrolment in a school their CLB serves, with names;
- city analysts and admins: every pupil, by pseudonym only, never names;
- programme managers: no individual records, only aggregates (outflow, indicators);
- a young person: themself; a parent: their children (through PupilAccountLink);
- every other role: no pupil records (tutors and care workers get theirs through their own apps).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from leerloopbaan.accounts.roles import Role
from leerloopbaan.privacy.access import audited_read
from leerloopbaan.registry.models import Enrolment, Pupil, School

NAME_ROLES = {Role.SCHOOL_STAFF, Role.CLB_WORKER}
CITY_ROLES = {Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN}
PSEUDONYM_ROLES = {Role.CITY_ANALYST, Role.ADMIN}


def schools_of(user) -> QuerySet[School]:
    """The schools a user works for or serves (school staff: own school; CLB: schools served)."""
    memberships = user.active_memberships()
    if user.role == Role.SCHOOL_STAFF:
        return School.objects.filter(pk__in=memberships.filter(school__isnull=False).values("school_id"))
    if user.role == Role.CLB_WORKER:
        return School.objects.filter(clb_id__in=memberships.filter(clb__isnull=False).values("clb_id"))
    if user.role in CITY_ROLES:
        return School.objects.all()
    return School.objects.none()


def pupil_scope(user) -> QuerySet[Pupil]:
    """Every pupil row the user may see. The only way to start a query on Pupil for a user."""
    if not (user and user.is_authenticated and user.is_active):
        return Pupil.objects.none()
    if user.role in NAME_ROLES:
        enrolled = Enrolment.objects.filter(school__in=schools_of(user)).values("pupil_id")
        return Pupil.objects.filter(pk__in=enrolled)
    if user.role in PSEUDONYM_ROLES:
        return Pupil.objects.all()
    if user.role in (Role.YOUTH, Role.PARENT):
        return Pupil.objects.filter(account_links__user=user)
    return Pupil.objects.none()


def names_visible(user) -> bool:
    return user.role in NAME_ROLES or user.role in (Role.YOUTH, Role.PARENT)


def pupil_list(*, user, school: School | None = None, limit: int = 100, offset: int = 0, purpose: str = "pupil list") -> list[Pupil]:
    """A page of pupils visible to the user (optionally of one school), audited as one read."""
    qs = pupil_scope(user)
    if school is not None:
        qs = qs.filter(pk__in=Enrolment.objects.filter(school=school).values("pupil_id"))
    if names_visible(user):
        qs = qs.select_related("name")
    pupils = list(qs.order_by("pk")[offset : offset + limit])
    audited_read(user=user, subject_type="pupil", subjects=[p.pupil_key for p in pupils], purpose=purpose,
                 detail={"school": school.school_number if school else None, "offset": offset})
    return pupils


def pupil_get(*, user, pupil_key: str, purpose: str = "pupil record") -> Pupil:
    """One pupil the user may see, or Http404; audited."""
    qs = pupil_scope(user)
    if names_visible(user):
        qs = qs.select_related("name")
    pupil = qs.filter(pupil_key=pupil_key).first()
    if pupil is None:
        raise Http404("no such pupil")
    audited_read(user=user, subject_type="pupil", subjects=[pupil.pupil_key], purpose=purpose)
    return pupil


def pupil_records(*, user, pupil: Pupil) -> dict:
    """Enrolments, absences per year, attestations of a pupil already obtained through pupil_get."""
    if not pupil_scope(user).filter(pk=pupil.pk).exists():
        raise Http404("no such pupil")
    return {
        "enrolments": list(pupil.enrolments.select_related("school").order_by("start_date")),
        "attestations": list(pupil.attestations.select_related("school").order_by("school_year")),
        "characteristics": list(pupil.characteristics.order_by("as_of")),
    }


def display_name(user, pupil: Pupil) -> str:
    """A pupil's name for users who may see it, the short pseudonym for everyone else."""
    if names_visible(user):
        name = getattr(pupil, "name", None)
        if name is not None and (name.first_name or name.last_name):
            return f"{name.first_name} {name.last_name}".strip()
    return pupil.short_key
