"""Demo accounts: one per role, tied to real demo schools, a CLB, organisations and pupils."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import Membership, Organisation, User
from leerloopbaan.accounts.roles import Role, requires_two_factor
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry.models import Enrolment, Level, PupilAccountLink, School

DEMO_PASSWORD = "demo-leerloopbaan"
DEMO_DOMAIN = "leerloopbaan.test"

NAMES = {
    Role.CITY_ANALYST: ("Sara", "Analist"),
    Role.PROGRAMME_MANAGER: ("Pieter", "Programma"),
    Role.SCHOOL_STAFF: ("Nadia", "Directie"),
    Role.CLB_WORKER: ("Koen", "Begeleider"),
    Role.CARE_COORDINATOR: ("Fatima", "Zorgteam"),
    Role.TUTOR_COORDINATOR: ("Lotte", "Coördinator"),
    Role.TUTOR: ("Youssef", "Tutor"),
    Role.ORGANISATION_CONTACT: ("Marc", "Bedrijf"),
    Role.YOUTH: ("Imane", "Jongere"),
    Role.PARENT: ("Ahmed", "Ouder"),
    Role.ADMIN: ("Beheer", "Admin"),
}


@dataclass
class DemoAccount:
    role: str
    email: str
    password: str
    totp_key: str | None
    attached_to: str


def demo_email(role: str) -> str:
    return f"{role.replace('_', '.')}@{DEMO_DOMAIN}"


def _pick_school() -> School | None:
    year = school_year_of(clock.today())
    return (
        School.objects.filter(level=Level.SECONDARY)
        .annotate(n=Count("enrolments", filter=Q(enrolments__school_year=year)))
        .order_by("-n", "school_number")
        .first()
    )


def _pick_pupil(school: School | None):
    if school is None:
        return None
    year = school_year_of(clock.today())
    enrolment = (
        Enrolment.objects.filter(school=school, school_year=year, end_date__isnull=True, grade__in=["S3", "S4"])
        .select_related("pupil")
        .order_by("pupil__pupil_key")
        .first()
    )
    return enrolment.pupil if enrolment else None


@transaction.atomic
def create_demo_accounts() -> list[DemoAccount]:
    """Create (or refresh) one account per role. Idempotent."""
    school = _pick_school()
    pupil = _pick_pupil(school)
    tutoring, _ = Organisation.objects.get_or_create(
        name="Tutorproject Antwerpse hogescholen (demo)", defaults={"kind": Organisation.Kind.TUTORING, "verified_at": timezone.now()}
    )
    company, _ = Organisation.objects.get_or_create(
        name="Haven Logistiek NV (demo)", defaults={"kind": Organisation.Kind.COMPANY, "verified_at": timezone.now()}
    )
    accounts = []
    for role in Role.values:
        first, last = NAMES[role]
        user, created = User.objects.get_or_create(
            email=demo_email(role), defaults={"role": role, "first_name": first, "last_name": last}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.role = role
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save()
        attached = ""
        target = {}
        if role == Role.SCHOOL_STAFF and school:
            target, attached = {"school": school}, school.name
        elif role == Role.CLB_WORKER and school and school.clb_id:
            target, attached = {"clb": school.clb}, school.clb.name
        elif role == Role.TUTOR_COORDINATOR:
            target, attached = {"organisation": tutoring}, tutoring.name
        elif role == Role.ORGANISATION_CONTACT:
            target, attached = {"organisation": company}, company.name
        if target:
            kind = next(iter(target))
            Membership.objects.get_or_create(user=user, kind=kind, **target, defaults={"start_date": clock.today().replace(month=1, day=1)})
        if role in (Role.YOUTH, Role.PARENT) and pupil is not None:
            relation = PupilAccountLink.Relation.SELF if role == Role.YOUTH else PupilAccountLink.Relation.PARENT
            PupilAccountLink.objects.get_or_create(user=user, pupil=pupil, defaults={"relation": relation})
            attached = f"pupil {pupil.pupil_key[:10]}"
        key = None
        if requires_two_factor(role):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
            key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
        accounts.append(DemoAccount(role=role, email=user.email, password=DEMO_PASSWORD, totp_key=key, attached_to=attached))
    return accounts
