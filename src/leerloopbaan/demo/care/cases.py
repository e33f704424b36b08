"""Demo cases: two cases with participants, a plan, restricted notes and a consent, through the real services.

Uses the demo accounts and the demo support requests (call it after ``create_demo_support``); without a
pupil request it opens a case as the demo CLB worker for a pupil of the demo school. Idempotent: a
second call changes nothing. Mail is not sent.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from leerloopbaan.accounts.models import User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases import services as s
from leerloopbaan.care.models import Case, SupportRequest
from leerloopbaan.demo.accounts import demo_email
from leerloopbaan.kernel import clock
from leerloopbaan.registry.selectors import pupil_scope


def _user(role):
    return User.objects.filter(email=demo_email(role), is_active=True).first()


def create_demo_cases() -> dict:
    coordinator, staff, clb, contact = (_user(r) for r in (Role.CARE_COORDINATOR, Role.SCHOOL_STAFF, Role.CLB_WORKER,
                                                           Role.ORGANISATION_CONTACT))
    managers = [u for u in (coordinator, clb) if u is not None]
    if not managers or Case.objects.filter(manager__in=managers).exists():
        return {"cases": 0}
    with transaction.atomic():
        return _create(coordinator, staff, clb, contact)


def _fill(case, manager, partners, goals, notes, consent: bool) -> None:
    version = case.version
    for user in partners:
        if user is not None and s.eligible_participants(case).filter(pk=user.pk).exists():
            s.case_participant_add(user=manager, case=case, version=version, participant=user)
            version += 1
    today = clock.today()
    for predictor, text, target, days in goals:
        s.case_goal_add(user=manager, case=case, version=version, predictor=predictor, description=text, target=target,
                        review_date=today + datetime.timedelta(days=days))
        version += 1
    for text in notes:
        s.case_note_add(user=manager, case=case, text=text)
    if consent:
        s.consent_record(user=manager, case=case, given_by="parent", what="Afwezigheden, resultaten en de gezinssituatie voor dit dossier.",
                         categories=["attendance", "results", "family"], to_whom="De deelnemers aan dit dossier",
                         valid_until=today + datetime.timedelta(days=180))


def _create(coordinator, staff, clb, contact) -> dict:
    made = 0
    req = None
    if coordinator is not None:
        req = (SupportRequest.objects.filter(pupil__isnull=False).exclude(status=SupportRequest.Status.CLOSED)
               .select_related("pupil", "school").order_by("created_at", "pk").first())
    if req is not None:
        case = s.case_open(user=coordinator, request=req, summary="Veel afwezig, resultaten zakken en thuis is de situatie moeilijk.")
        _fill(case, coordinator, (staff, clb, contact), [
            ("absence", "Elke dag op school, ook op maandag.", "Hoogstens 2 halve dagen B-afwezigheid per maand", 30),
            ("wellbeing", "Een vast aanspreekpunt op school.", "Wekelijks gesprek met de leerlingbegeleider", 14),
        ], ["Gesprek met moeder: zij werkt in ploegen, de oudste zoon brengt de kinderen naar school.",
            "Buurtwerk kan vanaf volgende week spijbelcoaching starten."], consent=True)
        made += 1
    if clb is not None:
        taken = Case.objects.values("pupil_id")
        pupil = pupil_scope(clb).exclude(pk__in=taken).order_by("pk").first()
        if pupil is not None:
            case = s.case_open(user=clb, pupil=pupil, summary="Schoolwissel na een moeilijk jaar; opvolging door het CLB.")
            _fill(case, clb, (staff,), [("school_changes", "Goed landen in de nieuwe school.", "Na 6 weken geen afwezigheden", 42)],
                  ["Warme overdracht met de vorige school gebeurd."], consent=False)
            made += 1
    return {"cases": made}
