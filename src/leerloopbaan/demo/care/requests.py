"""Demo support: offers by demo organisations and requests of the demo school in every state.

Runs through the real services (events, audit entries) with the demo accounts; mail is not sent.
Idempotent: a second call changes nothing. Call it after ``demo.accounts.create_demo_accounts``.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from leerloopbaan.accounts.models import Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import SupportOffer, SupportRequest
from leerloopbaan.care.requests import services
from leerloopbaan.demo.accounts import demo_email

ORGANISATIONS = [
    ("Buurtwerk Antwerpen (demo)", Organisation.Kind.YOUTH_WORK),
    ("Lokaal geïntegreerd team Deurne (demo)", Organisation.Kind.CITY_SERVICE),
    ("Centraal Meldpunt (demo)", Organisation.Kind.CITY_SERVICE),
]
COMPANY = "Haven Logistiek NV (demo)"  # the demo organisation contact's organisation

OFFERS = [
    (COMPANY, "Snuffelstages in de haven", "Leerlingen lopen een week mee op de werkvloer en ontdekken beroepen.", ["pupil", "class"],
     ["results", "wellbeing"], 14, 18, ["BSO", "TSO", "DBSO"], []),
    ("Buurtwerk Antwerpen (demo)", "Spijbelcoaching", "Een coach volgt de leerling en het gezin op bij veel problematische afwezigheden.",
     ["pupil"], ["absence", "wellbeing"], 12, 18, [], ["Antwerpen", "Borgerhout", "Deurne"]),
    ("Buurtwerk Antwerpen (demo)", "Huiswerkklas", "Begeleide studie na school, twee keer per week.", ["pupil", "class"],
     ["results", "language"], 12, 16, [], []),
    ("Lokaal geïntegreerd team Deurne (demo)", "Schoolwissel zonder breuk", "Begeleiding bij een schoolwissel: warme overdracht tussen scholen.",
     ["pupil"], ["school_changes"], 12, 18, [], ["Deurne"]),
]


def create_demo_support() -> dict:
    if SupportOffer.objects.filter(provider__name=COMPANY).exists():
        return {"offers": 0, "requests": 0}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        return _create()


def _user(role):
    return User.objects.filter(email=demo_email(role)).first()


def _create() -> dict:
    coordinator, staff, contact, clb_worker = (_user(r) for r in (Role.CARE_COORDINATOR, Role.SCHOOL_STAFF, Role.ORGANISATION_CONTACT,
                                                                  Role.CLB_WORKER))
    if coordinator is None:
        return {"offers": 0, "requests": 0}
    orgs = {name: Organisation.objects.get_or_create(name=name, defaults={"kind": kind, "verified_at": timezone.now()})[0]
            for name, kind in ORGANISATIONS}
    orgs[COMPANY] = Organisation.objects.get_or_create(name=COMPANY, defaults={"kind": Organisation.Kind.COMPANY})[0]
    offers = []
    for provider, title, description, levels, predictors, age_min, age_max, tracks, districts in OFFERS:
        offers.append(services.support_offer_save(
            user=coordinator, provider=orgs[provider], title=title, description=description, levels=levels, predictors=predictors,
            age_min=age_min, age_max=age_max, tracks=tracks, districts=districts, capacity=20,
            how_to_request="Via een ondersteuningsvraag in Leerloopbaan.", evaluation_criteria="Minder B-afwezigheden na drie maanden."))
    school = staff.active_memberships().filter(school__isnull=False).first().school if staff else None
    if school is None:
        return {"offers": len(offers), "requests": 0}
    from leerloopbaan.ews.models import RiskScore

    pupil_ids = []
    for pid in RiskScore.objects.filter(school=school).order_by("-risk").values_list("pupil_id", flat=True)[:50]:
        if pid not in pupil_ids:
            pupil_ids.append(pid)
    from leerloopbaan.registry.models import Pupil

    pupils = list(Pupil.objects.filter(pk__in=pupil_ids[:6]))

    def ask(i, text):
        if i < len(pupils):
            return services.support_request_create(user=staff, school=school, subject_level="pupil", pupil=pupils[i], description=text,
                                                   name_attached=i % 2 == 0)
        return services.support_request_create(user=staff, school=school, subject_level="group", group_label=f"3{'ABCDEF'[i]}",
                                               description=text)

    c = coordinator
    made = []
    overdue = ask(0, "Veel afwezig op maandag; gesprek met ouders leverde weinig op.")
    SupportRequest.objects.filter(pk=overdue.pk).update(created_at=timezone.now() - datetime.timedelta(days=10),
                                                       due_at=timezone.now() - datetime.timedelta(days=2))
    made.append(overdue)
    made.append(services.support_request_intake(user=c, request=ask(1, "Resultaten zakken sterk sinds de kerstvakantie."), version=1,
                                                note="Intakegesprek gepland"))
    r = services.support_request_intake(user=c, request=ask(2, "Zoekt een stage om gemotiveerd te blijven."), version=1)
    made.append(services.support_request_assign(user=c, request=r, version=2, kind="offer", offer=offers[0], note="Snuffelstage"))
    r = services.support_request_intake(user=c, request=ask(3, "Moeilijke overstap naar een nieuwe school."), version=1)
    if school.clb_id and clb_worker is not None:
        r = services.support_request_assign(user=c, request=r, version=2, kind="clb")
        made.append(services.support_request_start(user=clb_worker, request=r, version=3, note="Eerste gesprek gehad"))
    r = services.support_request_intake(user=c, request=ask(4, "Spijbelt regelmatig."), version=1)
    r = services.support_request_assign(user=c, request=r, version=2, kind="offer", offer=offers[0])
    if contact is not None:
        r = services.support_request_start(user=contact, request=r, version=3)
        made.append(services.support_request_close(user=contact, request=r, version=4, outcome="resolved", note="Komt weer elke dag."))
    made.append(services.support_request_withdraw(user=staff, request=ask(5, "Vraag over taalondersteuning."), version=1,
                                                  note="Intern opgelost"))
    if contact is not None:
        services.support_request_comment(user=contact, request=made[2], text="We nemen contact op met de school voor een kennismaking.")
    return {"offers": len(offers), "requests": len(made)}
