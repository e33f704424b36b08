"""Shared set-up of the tutor-journey tests: two initiatives X and Y with their coordinators, and helpers
to sign tutors up and move them through screening and training. (Imported by the other test_tutors_*
files; the one test here checks the set-up itself.)"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.tutoring.models import Initiative, ScreeningItem, TrainingModule, Tutor
from leerloopbaan.tutoring.tutors import services
from tests.factories import InitiativeFactory


def profile(**over) -> dict:
    values = {
        "first_name": "Saar", "last_name": "Peeters", "email": "saar@example.test", "kind": Tutor.Kind.STUDENT,
        "institution": "Karel de Grote Hogeschool", "phone": "0470 12 34 56", "languages": ["nl", "en"],
        "subjects": ["maths", "science"], "min_level": 7, "max_level": 10, "age_groups": ["lower_secondary"],
        "language_support": True, "slots": [2 * 3 + 1, 0], "modes": ["online", "offline"], "district": "Deurne",
        "postcode": "2100", "travel_km": 5, "capacity": 2, "motivation": "Ik wil helpen.",
    }
    values.update(over)
    return values


def signup_post(initiative_, **over) -> dict:
    """The POST data of the sign-up form for ``profile(**over)`` (``initiative=""``: none chosen)."""
    initiative = initiative_
    p = profile(**{k: v for k, v in over.items() if k not in ("consent", "website", "initiative")})
    data = {"initiative": over.get("initiative", initiative.pk), "kind": p["kind"], "institution": p["institution"],
            "first_name": p["first_name"], "last_name": p["last_name"], "email": p["email"], "phone": p["phone"],
            "languages": p["languages"], "min_level": p["min_level"], "max_level": p["max_level"], "age_groups": p["age_groups"],
            "slots": [str(s) for s in p["slots"]], "modes": p["modes"], "district": p["district"], "postcode": p["postcode"],
            "travel_km": p["travel_km"], "capacity": p["capacity"], "motivation": p["motivation"],
            "consent": over.get("consent", "on"), "website": over.get("website", "")}
    if p["language_support"]:
        data["language_support"] = "on"
    for rank, subject in enumerate(p["subjects"], start=1):
        data[f"subject_{rank}"] = subject
    return {k: v for k, v in data.items() if v is not None}


def sign_up(initiative, **over) -> Tutor:
    return services.tutor_sign_up(initiative=initiative, **profile(**over))


def all_ok(tutor: Tutor, coordinator, *, except_item: str | None = None) -> Tutor:
    items = {item: {"status": ScreeningItem.Status.OK, "evidence": "gezien", "document_date": clock.today() - datetime.timedelta(days=10)
                    if item == ScreeningItem.Item.GOOD_CONDUCT else None}
             for item in ScreeningItem.Item.values if item != except_item}
    tutor.refresh_from_db()
    return services.tutor_screening_record(user=coordinator, tutor=tutor, version=tutor.version, items=items)


def admit(tutor: Tutor, coordinator) -> Tutor:
    tutor = all_ok(tutor, coordinator)
    return services.tutor_decide(user=coordinator, tutor=tutor, version=tutor.version, decision="approve")


def train(tutor: Tutor, coordinator) -> Tutor:
    for module in TrainingModule.objects.filter(required=True):
        services.tutor_training_record(user=coordinator, tutor=tutor, module=module, completed_on=clock.today())
    tutor.refresh_from_db()
    return tutor


def active_tutor(initiative, coordinator, **over) -> Tutor:
    return train(admit(sign_up(initiative, **over), coordinator), coordinator)


@pytest.fixture
def tw(db, make_user):
    """Initiatives X (coordinator cx) and Y (coordinator cy), an inactive initiative Z, and the admin."""
    cx, cy = make_user(Role.TUTOR_COORDINATOR), make_user(Role.TUTOR_COORDINATOR)
    x = InitiativeFactory(name="Tutorproject X", kind=Initiative.Kind.HIGHER_EDUCATION, coordinators=[cx])
    y = InitiativeFactory(name="Buurtbijles Y", kind=Initiative.Kind.VOLUNTEER, coordinators=[cy])
    z = InitiativeFactory(name="Gestopt Z", kind=Initiative.Kind.CITY, active=False)
    return {"X": x, "Y": y, "Z": z, "cx": cx, "cy": cy, "admin": make_user(Role.ADMIN), "now": timezone.now()}


def test_the_standard_training_modules_are_seeded(db):
    titles = list(TrainingModule.objects.filter(required=True).values_list("title", flat=True))
    assert titles == ["Kennismaking en gedragscode", "Hoe leer je een kind iets bij", "Omgaan met meertaligheid",
                      "Veiligheid en grenzen (meldplicht)"]
