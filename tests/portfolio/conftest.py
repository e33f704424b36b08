"""Portfolio fixtures: youths of a given age with their accounts, verified organisations with a contact.

Pages and messages are read in English (the Dutch catalogue is tested by the browser test)."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.kernel import clock
from tests.factories import PupilAccountLinkFactory, PupilFactory, pupil_key


@pytest.fixture(autouse=True)
def _english(client):
    from django.conf import settings
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def city_user(make_user):
    return make_user("city_analyst")


@pytest.fixture
def make_youth(db, make_user):
    """make_youth(age, first_name="Lina") -> (pupil, youth_user, parent_user)."""
    counter = {"n": 0}

    def _make(age: int, first_name: str = "Lina"):
        counter["n"] += 1
        today = clock.today()
        pupil = PupilFactory(pupil_key=pupil_key(f"youth{counter['n']}{first_name}"), birth_date=datetime.date(today.year - age, 1, 1),
                             sex="F", first_name=first_name, last_name="Achternaam")
        youth = make_user("youth")
        parent = make_user("parent")
        PupilAccountLinkFactory(user=youth, pupil=pupil, relation="self")
        PupilAccountLinkFactory(user=parent, pupil=pupil, relation="parent")
        return pupil, youth, parent

    return _make


@pytest.fixture
def make_issuer(db, make_user, city_user):
    """make_issuer(name) -> (issuer, contact_user): registered and verified by the city."""
    from django.test import override_settings

    from leerloopbaan.accounts.models import User
    from leerloopbaan.portfolio.youth import services
    counter = {"n": 0}

    def _make(name: str | None = None, *, verify: bool = True):
        counter["n"] += 1
        name = name or f"Organisation {counter['n']}"
        issuer = services.issuer_register(name=name, kind="youth_work", contact_name="Ann Contact",
                                          contact_email=f"contact{counter['n']}@org.example.test")
        if verify:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                services.issuer_decide(user=city_user, issuer=issuer, verify=True)
            contact = User.objects.get(email=issuer.contact_email)
        else:
            contact = make_user("organisation_contact", organisation=issuer.organisation)
        issuer.refresh_from_db()
        return issuer, contact

    return _make


@pytest.fixture
def skill(db):
    from leerloopbaan.portfolio.models import EscoSkill

    return EscoSkill.objects.get(uri="http://data.europa.eu/esco/skill/113b4428-0a31-4199-8496-070af7854b91")


@pytest.fixture
def attested(make_youth, make_issuer, skill):
    """A 15-year-old with one credential from a verified organisation: a dict of everything involved."""
    from leerloopbaan.portfolio.youth import services
    pupil, youth, parent = make_youth(15)
    issuer, contact = make_issuer("Sportclub Test")
    portfolio = services.portfolio_open(user=youth, pupil=pupil)
    achievement = services.achievement_create(user=contact, name="Team player", description="Plays in a team.",
                                              criteria="A season in the team.", esco_skill=skill)
    code = services.code_create(user=youth, portfolio=portfolio)
    services.code_redeem(user=contact, code=code.code)
    credential = services.credential_issue(user=contact, portfolio=portfolio, achievement=achievement)
    return {"pupil": pupil, "youth": youth, "parent": parent, "issuer": issuer, "contact": contact,
            "portfolio": portfolio, "achievement": achievement, "credential": credential}
