"""Demo cases: two cases with participants, a plan, restricted notes and consents, through the real services.

The first case has two consents of a parent: one for the school, the CLB and the city support team (no
recipient), and one naming the demo organisation contact's organisation for the case notes, so that
the provider can take part and read the notes (after the second factor).

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
    today = clock.today()
    if consent:
        # consent comes first: a provider takes part in a case only while a consent names its organisation
        s.consent_record(user=manager, case=case, given_by="parent", what="Afwezigheden, resultaten en de gezinssituatie voor dit dossier.",
                         categories=["attendance", "results", "family", "support", "what_helped"], to_whom="De school, het CLB en het ondersteuningsteam",
                         valid_until=today + datetime.timedelta(days=180))
        org = _organisation_of(next((u for u in partners if u is not None and u.role == Role.ORGANISATION_CONTACT), None))
        if org is not None:
            s.consent_record(user=manager, case=case, given_by="parent", what="Afwezigheden en de notities van het dossier, voor de begeleiding.",
                             categories=["attendance", "case_notes"], recipient_organisation=org, to_whom=org.name,
                             valid_until=today + datetime.timedelta(days=180))
    version = case.version
    for user in partners:
        if (user is not None and s.eligible_participants(case).filter(pk=user.pk).exists()
                and not s.needs_consent_to_take_part(case, user)):
            s.case_participant_add(user=manager, case=case, version=version, participant=user)
            version += 1
    for predictor, text, target, days in goals:
        s.case_goal_add(user=manager, case=case, version=version, predictor=predictor, description=text, target=target,
                        review_date=today + datetime.timedelta(days=days))
        version += 1
    for text in notes:
        s.case_note_add(user=manager, case=case, text=text)


def _organisation_of(user):
    if user is None:
        return None
    membership = user.active_memberships().filter(organisation__isnull=False).select_related("organisation").first()
    return membership.organisation if membership else None


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
