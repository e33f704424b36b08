"""Reads of pupil data, scoped to the acting user and audited (the pattern of privacy.access).

Who sees what:
- school staff: pupils with an enrolment (now or earlier) in a school of their active membership,
  with names;
- CLB workers: pupils with an enrolment in a school their CLB serves, with names;
- for a pupil who has left the user's schools (no current or future enrolment there), school staff
  and CLB workers see only the records up to the end of the pupil's last enrolment in those schools
  (``records_visible_until``): the old school keeps the history it had, not the new school's data;
- city analysts and admins: every pupil, by pseudonym only, never names;
- programme managers: no individual records, only aggregates (outflow, indicators);
- a young person: themself; a parent: their children (through PupilAccountLink);
- every other role: no pupil records (tutors and care workers get theirs through their own apps).
"""

from __future__ import annotations

import datetime

from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.access import audited_read
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


def records_visible_until(user, pupil: Pupil, today: datetime.date | None = None) -> datetime.date | None:
    """The last date of the pupil's records the user may see, or None for all of them.

    School staff and CLB workers see a pupil who has left their schools (no enrolment there that is
    still open or ends today or later) only up to the end of the pupil's last enrolment there."""
    if user.role not in NAME_ROLES:
        return None
    today = today or timezone.localdate()
    mine = Enrolment.objects.filter(pupil=pupil, school__in=schools_of(user))
    if mine.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).exists():
        return None
    return mine.aggregate(last=Max("end_date"))["last"]


def pupil_records(*, user, pupil: Pupil) -> dict:
    """Enrolments, absences per year, attestations of a pupil already obtained through pupil_get.

    ``visible_until``: None, or the date after which the user sees nothing of the pupil (see
    ``records_visible_until``); enrolments, attestations and characteristics are cut there, and
    readers of other records of the pupil (absences, the pupil page) cut them there too."""
    if not pupil_scope(user).filter(pk=pupil.pk).exists():
        raise Http404("no such pupil")
    until = records_visible_until(user, pupil)
    enrolments = pupil.enrolments.select_related("school").order_by("start_date")
    attestations = pupil.attestations.select_related("school").order_by("school_year")
    characteristics = pupil.characteristics.order_by("as_of")
    if until is not None:
        from leerloopbaan.kernel.schoolyear import school_year_of

        last_year = school_year_of(until)
        enrolments = enrolments.filter(start_date__lte=until)
        # attestations of earlier years, and of the leaving year only those of the user's schools
        attestations = attestations.filter(Q(school_year__lt=last_year) | Q(school_year=last_year, school__in=schools_of(user)))
        characteristics = characteristics.filter(as_of__lte=until)
    return {
        "enrolments": list(enrolments),
        "attestations": list(attestations),
        "characteristics": list(characteristics),
        "visible_until": until,
    }


def display_name(user, pupil: Pupil) -> str:
    """A pupil's name for users who may see it, the short pseudonym for everyone else."""
    if names_visible(user):
        name = getattr(pupil, "name", None)
        if name is not None and (name.first_name or name.last_name):
            return f"{name.first_name} {name.last_name}".strip()
    return pupil.short_key
