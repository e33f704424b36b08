"""Who may do what in tutoring: the shared scoping helpers every tutoring selector starts from.

- A tutor coordinator works for the initiatives they coordinate (``Initiative.coordinators``)
  and sees only those initiatives' tutors, runs and matches, the waiting needs that asked one of
  those initiatives and the needs their tutors work or worked with (first name, school, needs, the
  priority's tier; never its number, EWS band or OKI).
- A tutor sees only themself and the first name and needs of the pupils matched to them.
- School staff and CLB workers see needs of pupils in their own scope (registry.pupil_scope).
- City roles see aggregates only (cells under 5 suppressed); the admin sees everything.
"""

from __future__ import annotations

from django.db.models import QuerySet

from leerloopbaan.accounts.roles import Role


def is_active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_coordinator(user) -> bool:
    return is_active(user) and user.role == Role.TUTOR_COORDINATOR


def is_tutor(user) -> bool:
    return is_active(user) and user.role == Role.TUTOR


def is_admin(user) -> bool:
    return is_active(user) and user.role == Role.ADMIN


def may_enter_needs(user) -> bool:
    return is_active(user) and user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER)


def is_city(user) -> bool:
    return is_active(user) and user.role in (Role.CITY_ANALYST, Role.PROGRAMME_MANAGER)


def coordinated_initiatives(user) -> QuerySet:
    """The initiatives this user coordinates (all for the admin, none for anyone else)."""
    from leerloopbaan.tutoring.models import Initiative

    if is_admin(user):
        return Initiative.objects.all()
    if is_coordinator(user):
        return Initiative.objects.filter(coordinators=user)
    return Initiative.objects.none()


def tutor_of(user):
    """The Tutor record of a tutor's account, or None."""
    from leerloopbaan.tutoring.models import Tutor

    if not is_tutor(user):
        return None
    return Tutor.objects.filter(user=user).first()
