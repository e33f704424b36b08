"""The organisation and city pages of the talent portfolio.

- Registration: bad input is answered at the fields and writes nothing; good input makes a pending issuer.
- The city verifies: key, two status lists, the contact's account with a membership, the invitation mail.
  Other roles get 403/404 on the city pages.
- An organisation contact of A sees only the young people who shared with A and the credentials A issued;
  B's young people, requests and credentials answer 404; every page read about young people is audited.
- An unverified organisation cannot attest, redeem codes or publish places (a message, nothing written).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from leerloopbaan.accounts.models import Membership, Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.accounts.services import membership_add
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.portfolio.models import (
    Achievement,
    AttestationRequest,
    ConsentCode,
    Credential,
    Entry,
    Evidence,
    Issuer,
    IssuerLink,
    PlaceActivity,
    SigningKey,
    StatusList,
    TalentGrowthPlace,
)
from leerloopbaan.portfolio.youth import selectors, services
from tests.factories import (
    AchievementFactory,
    AttestationRequestFactory,
    ConsentCodeFactory,
    EntryFactory,
    EscoSkillFactory,
    EvidenceFactory,
    IssuerFactory,
    IssuerLinkFactory,
    PortfolioFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def _english_pages(client):
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def url(name, *args):
    return reverse(f"portfolio:{name}", args=args)


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def skill():
    return EscoSkillFactory(uri="http://data.europa.eu/esco/skill/test-teamwork", label_nl="samenwerken in teams",
                            label_en="work in teams", group_nl="sociale vaardigheden", group_en="social skills")


@pytest.fixture
def world(skill):
    """Issuers A and B (verified) with their contacts; portfolios: Amira shared with A, Bram with B, Cato with none.
    A attested Amira, B attested Bram; Amira asked A, Bram asked B."""
    city = UserFactory(role=Role.CITY_ANALYST)
    a = IssuerFactory(name="Jeugdhuis Alfa", contact_email="alfa@example.test", verified_by=city)
    b = IssuerFactory(name="Sportclub Beta", contact_email="beta@example.test", verified_by=city)
    ca, cb = User.objects.get(email=a.contact_email), User.objects.get(email=b.contact_email)
    ach_a = AchievementFactory(issuer=a, name="Teamspeler", description="Werkt samen in een team.",
                               criteria="Nam een seizoen deel aan de ploeg.", esco_skill=skill, competent_code="K1234")
    ach_b = AchievementFactory(issuer=b, name="Trainer", description="Geeft training.", criteria="Gaf tien trainingen.", esco_skill=skill)
    amira, bram, cato = (PortfolioFactory(display_name=name) for name in ("Amira", "Bram", "Cato"))
    IssuerLinkFactory(portfolio=amira, issuer=a)
    IssuerLinkFactory(portfolio=bram, issuer=b)
    # credentials are signed: only the service makes them
    cred_a = services.credential_issue(user=ca, portfolio=amira, achievement=ach_a)
    cred_b = services.credential_issue(user=cb, portfolio=bram, achievement=ach_b)
    entry = EntryFactory(portfolio=amira, kind=Entry.Kind.EXPERIENCE, title="Zomerkamp")
    EvidenceFactory(entry=entry, kind=Evidence.Kind.LINK, url="https://example.test/foto")
    req_a = AttestationRequestFactory(portfolio=amira, issuer=a, achievement=ach_a, entry=entry, message="Ik hielp elke week mee.")
    req_b = AttestationRequestFactory(portfolio=bram, issuer=b, achievement=ach_b, message="Ik gaf trainingen.")
    return {"city": city, "A": a, "B": b, "ca": ca, "cb": cb, "ach_a": ach_a, "ach_b": ach_b, "amira": amira, "bram": bram,
            "cato": cato, "cred_a": cred_a, "cred_b": cred_b, "req_a": req_a, "req_b": req_b}


# --- registration ----------------------------------------------------------------------------

def test_registration_with_bad_input_answers_at_the_fields_and_writes_nothing(client):
    organisations = Organisation.objects.count()
    response = client.post(url("register"), {"name": "", "kind": "", "contact_name": "", "contact_email": "not-an-address",
                                             "website": "no web address", "district": "Nowhere"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"name", "kind", "contact_name", "contact_email", "website", "district"} <= set(errors)
    assert "This is not a valid e-mail address." in page(response)
    assert Issuer.objects.count() == 0 and Organisation.objects.count() == organisations


def test_a_second_registration_of_the_same_organisation_is_refused_at_the_name(client):
    IssuerFactory(name="Jeugdhuis Alfa", contact_email="alfa@example.test")
    response = client.post(url("register"), {"name": "jeugdhuis alfa", "kind": "youth_work", "contact_name": "Ann",
                                             "contact_email": "ann@example.test"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This organisation has already registered."]
    assert Issuer.objects.count() == 1


def test_a_robot_filling_the_hidden_field_stores_nothing(client):
    response = client.post(url("register"), {"name": "Spam BV", "kind": "company", "contact_name": "X",
                                             "contact_email": "x@example.test", "nickname": "robot"})
    assert response.status_code == 302 and Issuer.objects.count() == 0


def test_registration_with_good_input_makes_a_pending_issuer_without_an_account(client):
    response = client.post(url("register"), {"name": "Jeugdhuis Alfa", "kind": "youth_work", "contact_name": "Sam Peeters",
                                             "contact_email": "Sam@Example.test", "description": "Hip-hop",
                                             "website": "https://alfa.example.test", "district": "Borgerhout"})
    assert response.status_code == 302 and response["Location"] == url("register_done")
    issuer = Issuer.objects.get()
    assert (issuer.status, issuer.slug, issuer.contact_email, issuer.district) == (
        "pending", "jeugdhuis-alfa", "sam@example.test", "Borgerhout")
    assert issuer.organisation.kind == "youth_work" and not issuer.keys.exists()
    assert not User.objects.filter(email__iexact="sam@example.test").exists()
    assert client.get(url("register_done")).status_code == 200


# --- the city --------------------------------------------------------------------------------

def test_a_city_analyst_verifies_an_organisation(client, django_capture_on_commit_callbacks):
    issuer = IssuerFactory(name="Jeugdhuis Alfa", contact_email="alfa@example.test")
    client.force_login(UserFactory(role=Role.CITY_ANALYST))
    html = page(client.get(url("city_issuers") + "?status=pending"))
    assert "Jeugdhuis Alfa" in html and "alfa@example.test" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("city_issuers"), {"issuer": issuer.pk, "decision": "verify", "note": ""})
    assert response.status_code == 302
    issuer.refresh_from_db()
    assert issuer.status == "verified" and issuer.organisation.verified_at is not None
    assert SigningKey.objects.filter(issuer=issuer, retired_at__isnull=True, revoked_at__isnull=True).count() == 1
    assert sorted(StatusList.objects.filter(issuer=issuer).values_list("purpose", flat=True)) == ["revocation"]
    contact = User.objects.get(email="alfa@example.test")
    assert contact.role == Role.ORGANISATION_CONTACT and not contact.has_usable_password()
    assert Membership.objects.active().filter(user=contact, organisation=issuer.organisation).exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Jeugdhuis Alfa" in message.subject and "/account/" in message.body and "alfa@example.test" in message.body


def test_refusing_needs_a_note(client):
    issuer = IssuerFactory(name="Jeugdhuis Alfa", contact_email="alfa@example.test")
    client.force_login(UserFactory(role=Role.PROGRAMME_MANAGER))
    response = client.post(url("city_issuers"), {"issuer": issuer.pk, "decision": "refuse", "note": " "})
    assert response.status_code == 200 and "Say why the registration is refused." in page(response)
    issuer.refresh_from_db()
    assert issuer.status == "pending"
    assert client.post(url("city_issuers"), {"issuer": issuer.pk, "decision": "refuse", "note": "Onbekend"}).status_code == 302
    issuer.refresh_from_db()
    assert (issuer.status, issuer.status_note) == ("refused", "Onbekend")
    assert not User.objects.filter(email="alfa@example.test").exists() and not issuer.keys.exists()


def test_city_figures_hide_small_numbers(client, world):
    client.force_login(world["city"])
    response = client.get(url("city_figures"))
    assert response.status_code == 200
    html = page(response)
    assert "&lt;5" in html and "verified by the city: 2" in html


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.YOUTH, Role.ORGANISATION_CONTACT, Role.TUTOR_COORDINATOR])
def test_other_roles_cannot_use_the_city_pages(role, client, login, make_user):
    issuer = IssuerFactory(name="Jeugdhuis Alfa", contact_email="alfa@example.test")
    user = make_user(role)
    if role == Role.ORGANISATION_CONTACT:
        membership_add(user=user, organisation=issuer.organisation)
    login(user)
    assert client.get(url("city_issuers")).status_code in (403, 404)
    assert client.get(url("city_figures")).status_code in (403, 404)
    response = client.post(url("city_issuers"), {"issuer": issuer.pk, "decision": "verify", "note": ""})
    assert response.status_code in (403, 404)
    issuer.refresh_from_db()
    assert issuer.status == "pending" and not issuer.keys.exists()


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.YOUTH, Role.CITY_ANALYST])
def test_other_roles_cannot_use_the_organisation_pages(role, client, login, make_user, world):
    login(make_user(role))
    for name, args in [("org_home", ()), ("org_youths", ()), ("org_youth", (world["amira"].pk,)), ("org_requests", ()),
                       ("org_request", (world["req_a"].pk,)), ("org_credentials", ()),
                       ("org_credential", (world["cred_a"].pk,)), ("org_keys", ()), ("org_places", ()),
                       ("org_achievements", ()), ("org_redeem", ()), ("esco_search", ())]:
        with assert_audited(count=0, subject_type="portfolio"):
            assert client.get(url(name, *args)).status_code in (403, 404), name


# --- the organisation: scope and audit ---------------------------------------------------------

def test_an_organisation_sees_only_who_shared_with_it(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    amira, bram, cato = world["amira"], world["bram"], world["cato"]
    with assert_audited(count=1, subject_type="portfolio", subjects=[amira.pupil.pupil_key]) as audit:
        html = page(client.get(url("org_youths")))
    assert audit.subjects() == {amira.pupil.pupil_key}
    assert "Amira" in html and "Teamspeler" in html and "Bram" not in html and "Cato" not in html

    with assert_audited(count=1, subject_type="portfolio", subjects=[amira.pupil.pupil_key]):
        response = client.get(url("org_youth", amira.pk))
    assert response.status_code == 200 and "Amira" in page(response)
    for other in (bram, cato):
        with assert_audited(count=0, subject_type="portfolio"):
            assert client.get(url("org_youth", other.pk)).status_code == 404
        assert client.post(url("org_youth", other.pk), {"achievement": world["ach_a"].pk, "validity": "unlimited"}
                           ).status_code == 404
    assert Credential.objects.count() == 2


def test_an_organisation_sees_only_the_credentials_it_issued(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    cred_a, cred_b = world["cred_a"], world["cred_b"]
    with assert_audited(count=1, subject_type="portfolio") as audit:
        html = page(client.get(url("org_credentials")))
    assert audit.subjects() == {world["amira"].pupil.pupil_key}
    assert "Teamspeler" in html and "Trainer" not in html and "Bram" not in html
    with assert_audited(count=1, subject_type="portfolio", subjects=[world["amira"].pupil.pupil_key]):
        assert client.get(url("org_credential", cred_a.pk)).status_code == 200
    with assert_audited(count=0, subject_type="portfolio"):
        assert client.get(url("org_credential", cred_b.pk)).status_code == 404
    assert client.post(url("org_credential", cred_b.pk), {"status": "revoked", "reason": "x"}).status_code == 404
    cred_b.refresh_from_db()
    assert cred_b.status == "active"


def test_an_organisation_sees_only_its_own_requests(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    with assert_audited(count=1, subject_type="portfolio") as audit:
        html = page(client.get(url("org_requests")))
    assert audit.subjects() == {world["amira"].pupil.pupil_key}
    assert "Amira" in html and "Bram" not in html
    with assert_audited(count=1, subject_type="portfolio", subjects=[world["amira"].pupil.pupil_key]):
        html = page(client.get(url("org_request", world["req_a"].pk)))
    assert "Ik hielp elke week mee." in html and "https://example.test/foto" in html
    with assert_audited(count=0, subject_type="portfolio"):
        assert client.get(url("org_request", world["req_b"].pk)).status_code == 404
    assert client.post(url("org_request", world["req_b"].pk), {"action": "decline", "decline-answer": "nee"}).status_code == 404
    assert AttestationRequest.objects.get(pk=world["req_b"].pk).status == "open"


def test_the_home_page_counts_without_names(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    with assert_audited(count=0, subject_type="portfolio"):
        html = page(client.get(url("org_home")))
    assert "Jeugdhuis Alfa" in html and "Amira" not in html and 'id="count-youths">1<' in html


# --- the organisation: attesting ------------------------------------------------------------

def test_attesting_a_competence_for_a_young_person(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    amira = world["amira"]
    response = client.post(url("org_youth", amira.pk), {"achievement": world["ach_a"].pk, "validity": "years", "valid_years": ""})
    assert response.status_code == 200 and response.context["form"].errors["valid_years"]
    response = client.post(url("org_youth", amira.pk), {"achievement": world["ach_b"].pk, "validity": "unlimited"})
    assert response.status_code == 200 and "achievement" in response.context["form"].errors  # B's achievement
    assert Credential.objects.filter(portfolio=amira).count() == 1
    response = client.post(url("org_youth", amira.pk), {"achievement": world["ach_a"].pk, "note": "Sterk seizoen",
                                                        "validity": "years", "valid_years": "3"}, follow=True)
    assert response.status_code == 200 and "Attested" in page(response)
    credential = Credential.objects.filter(portfolio=amira).order_by("-pk").first()
    assert credential.pk != world["cred_a"].pk and credential.valid_until.year == credential.issued_at.year + 3
    assert credential.entry.description == "Sterk seizoen" and credential.issuer == world["A"]


def test_answering_a_request_by_attesting_or_declining(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    req = world["req_a"]
    html = page(client.get(url("org_request", req.pk)))
    assert f'<option value="{world["ach_a"].pk}" selected>' in html  # prefilled with the requested achievement
    response = client.post(url("org_request", req.pk), {"action": "decline", "decline-answer": ""})
    assert response.status_code == 200 and response.context["decline_form"].errors["answer"]
    response = client.post(url("org_request", req.pk), {"action": "issue", "issue-achievement": world["ach_a"].pk,
                                                        "issue-validity": "unlimited", "issue-note": "Goed gedaan"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "issued"
    credential = Credential.objects.get(portfolio=world["amira"], entry__title="Teamspeler", entry__description="Goed gedaan")
    assert credential.entry.evidence.filter(url="https://example.test/foto").exists()
    assert client.post(url("org_request", req.pk), {"action": "decline", "decline-answer": "nee"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "issued"  # answered once


def test_declining_a_request(login, client, world):
    login(world["cb"])  # organisation contacts pass the second factor
    req = world["req_b"]
    response = client.post(url("org_request", req.pk), {"action": "decline", "decline-answer": "Niet bij ons gezien."})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.answer, req.answered_by) == ("declined", "Niet bij ons gezien.", world["cb"])


def test_suspending_reinstating_and_revoking_a_credential(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    credential = world["cred_a"]
    target = url("org_credential", credential.pk)
    response = client.post(target, {"status": "suspended", "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    credential.refresh_from_db()
    assert credential.status == "active"
    assert client.post(target, {"status": "suspended", "reason": "Twijfel"}).status_code == 302
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == ("suspended", "Twijfel")
    assert client.post(target, {"status": "active"}).status_code == 302
    credential.refresh_from_db()
    assert credential.status == "active"
    assert client.post(target, {"status": "revoked", "reason": "Vergissing"}).status_code == 302
    response = client.post(target, {"status": "active"})
    assert response.status_code == 200 and "A revoked credential stays revoked." in page(response)
    credential.refresh_from_db()
    assert credential.status == "revoked"


def test_redeeming_a_code(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    cato = world["cato"]
    ConsentCodeFactory(portfolio=cato, code="ABCDEFGH")
    response = client.post(url("org_redeem"), {"code": "zzzz-zzzz"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    response = client.post(url("org_redeem"), {"code": "abcd-efgh"})
    assert response.status_code == 302 and response["Location"] == url("org_youth", cato.pk)
    assert IssuerLink.objects.filter(portfolio=cato, issuer=world["A"], ended_at__isnull=True).exists()
    response = client.post(url("org_redeem"), {"code": "ABCDEFGH"})
    assert response.status_code == 200 and "already been used" in page(response)


def test_rotating_and_revoking_keys(login, client, world):
    login(world["ca"])  # organisation contacts pass the second factor
    issuer = world["A"]
    html = page(client.get(url("org_keys")))
    assert services.issuer_did(issuer) in html and "key-1" in html
    assert client.post(url("org_keys"), {"action": "rotate"}).status_code == 302
    keys = list(issuer.keys.order_by("created_at"))
    assert len(keys) == 2 and keys[0].retired_at is not None and keys[1].retired_at is None
    response = client.post(url("org_keys"), {"action": "revoke", "key": keys[0].pk, "reason": ""})
    assert response.status_code == 200 and response.context["revoke_form"].errors["reason"]
    other = world["B"].keys.first()
    assert client.post(url("org_keys"), {"action": "revoke", "key": other.pk, "reason": "x"}).status_code == 404
    assert client.post(url("org_keys"), {"action": "revoke", "key": keys[0].pk, "reason": "Gelekt"}).status_code == 302
    keys[0].refresh_from_db()
    other.refresh_from_db()
    assert keys[0].revoked_at is not None and other.revoked_at is None


# --- the organisation: achievements and places ------------------------------------------------

def test_creating_an_achievement_with_the_esco_picker(login, client, world, skill, monkeypatch):
    monkeypatch.setattr(selectors, "esco_search", lambda *, query, limit=20: [skill] if "team" in query else [])
    login(world["ca"])  # organisation contacts pass the second factor
    data = {"name": "Ploegkapitein", "description": "Leidt de ploeg.", "criteria": "Was een jaar kapitein.",
            "esco_query": "team", "search": "1"}
    response = client.post(url("org_achievement_new"), data)
    assert response.status_code == 200 and not response.context["form"].errors
    assert "work in teams" in page(response) and f'value="{skill.pk}"' in page(response)
    assert not Achievement.objects.filter(name="Ploegkapitein").exists()
    data.pop("search")
    response = client.post(url("org_achievement_new"), data)
    assert response.status_code == 200 and "esco_skill" in response.context["form"].errors
    response = client.post(url("org_achievement_new"), data | {"esco_skill": skill.pk, "competent_code": "K999"})
    assert response.status_code == 302
    achievement = Achievement.objects.get(name="Ploegkapitein")
    assert (achievement.issuer, achievement.esco_skill, achievement.competent_code) == (world["A"], skill, "K999")
    json = client.get(url("esco_search") + "?q=team").json()
    assert json == [{"id": skill.pk, "uri": skill.uri, "label": "work in teams", "group": "social skills"}]


def test_places_and_activities_are_published_per_district(login, client, world, skill, monkeypatch):
    monkeypatch.setattr(selectors, "esco_search", lambda *, query, limit=20: [skill])
    login(world["ca"])  # organisation contacts pass the second factor
    response = client.post(url("org_places"), {"action": "place", "place-name": "", "place-district": ""})
    assert response.status_code == 200 and {"name", "district"} <= set(response.context["place_form"].errors)
    assert client.post(url("org_places"), {"action": "place", "place-name": "Jeugdhuis De Kade", "place-district": "Hoboken",
                                           "place-address": "Kioskplaats 1"}).status_code == 302
    place = TalentGrowthPlace.objects.get()
    assert place.issuer == world["A"]
    activity = {"action": "activity", "activity-place": place.pk, "activity-title": "Dansatelier",
                "activity-age_from": "16", "activity-age_to": "12", "activity-schedule": "woensdag 14u",
                "activity-skills": [skill.pk], "activity-achievements": [world["ach_a"].pk]}
    response = client.post(url("org_places"), activity)
    assert response.status_code == 200 and response.context["activity_form"].errors["age_to"]
    assert client.post(url("org_places"), activity | {"activity-achievements": [world["ach_b"].pk]}).status_code == 200
    assert not PlaceActivity.objects.exists()
    assert client.post(url("org_places"), activity | {"activity-age_to": "18"}).status_code == 302
    saved = PlaceActivity.objects.get()
    assert list(saved.skills.all()) == [skill] and list(saved.achievements.all()) == [world["ach_a"]]

    client.logout()  # the public pages; logging out also drops the language cookie
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page(client.get(url("places")))
    assert "Hoboken" in html and "Jeugdhuis De Kade" in html and "Dansatelier" in html and "work in teams" in html
    assert url("achievement_public", world["ach_a"].uuid) in html
    html = page(client.get(url("achievement_public", world["ach_a"].uuid)))
    assert "Teamspeler" in html and skill.uri in html and "K1234" in html and "Jeugdhuis Alfa" in html


# --- an organisation the city has not verified ------------------------------------------------

@pytest.fixture
def pending(skill, make_user):
    issuer = IssuerFactory(name="Jeugdhuis Gamma", contact_email="gamma@example.test")
    contact = make_user(Role.ORGANISATION_CONTACT, organisation=issuer.organisation)
    achievement = AchievementFactory(issuer=issuer, name="Gammaster", description="x", criteria="y", esco_skill=skill)
    portfolio = PortfolioFactory(display_name="Dina")
    IssuerLinkFactory(portfolio=portfolio, issuer=issuer)
    return {"issuer": issuer, "contact": contact, "achievement": achievement, "portfolio": portfolio}


def test_an_unverified_organisation_cannot_attest(login, client, pending):
    login(pending["contact"])  # organisation contacts pass the second factor
    html = page(client.get(url("org_home")))
    assert 'id="not-verified"' in html and url("org_redeem") not in html and 'id="org-counts"' not in html
    entries = Entry.objects.count()
    response = client.post(url("org_youth", pending["portfolio"].pk), {"achievement": pending["achievement"].pk,
                                                                       "validity": "unlimited"})
    assert response.status_code == 200
    assert "The city has not verified your organisation yet" in page(response)
    assert not Credential.objects.exists() and Entry.objects.count() == entries


def test_an_unverified_organisation_cannot_redeem_codes_or_publish(login, client, pending, skill):
    login(pending["contact"])  # organisation contacts pass the second factor
    other = PortfolioFactory(display_name="Emre")
    ConsentCodeFactory(portfolio=other, code="ABCDEFGH")
    response = client.post(url("org_redeem"), {"code": "ABCDEFGH"})
    assert response.status_code == 200 and "has not verified" in page(response)
    assert not IssuerLink.objects.filter(portfolio=other).exists()
    assert ConsentCode.objects.get(code="ABCDEFGH").used_at is None
    response = client.post(url("org_achievement_new"), {"name": "N", "description": "D", "criteria": "C",
                                                        "esco_skill": skill.pk})
    assert response.status_code == 200 and Achievement.objects.filter(issuer=pending["issuer"]).count() == 1
    response = client.post(url("org_places"), {"action": "place", "place-name": "Kade", "place-district": "Hoboken"})
    assert response.status_code == 200 and not TalentGrowthPlace.objects.exists()
    assert "has not verified" in page(response)


def test_every_page_opens(login, client, world, pending):
    login(world["ca"])  # organisation contacts pass the second factor
    for name, args in [("org_home", ()), ("org_achievements", ()), ("org_achievement_new", ()), ("org_redeem", ()),
                       ("org_youths", ()), ("org_requests", ()), ("org_credentials", ()), ("org_keys", ()),
                       ("org_places", ())]:
        assert client.get(url(name, *args)).status_code == 200, name
    assert "Amira" not in page(client.get(url("org_requests") + "?status=declined"))
    login(pending["contact"])  # organisation contacts pass the second factor
    for name in ("org_home", "org_achievements", "org_youths", "org_requests", "org_credentials", "org_keys", "org_places"):
        assert client.get(url(name)).status_code == 200, name
    client.force_login(world["city"])
    html = page(client.get(url("city_issuers")))
    assert "Jeugdhuis Alfa" in html and "Jeugdhuis Gamma" in html and f'id="decide-{pending["issuer"].pk}"' in html
    assert f'id="decide-{world["A"].pk}"' not in html  # verified: nothing to decide
    client.logout()
    assert client.get(url("places")).status_code == 200
    assert client.get(url("org_home")).status_code == 302  # to the login page


def test_a_competent_code_is_an_identifier_and_no_address_is_made_up(world):
    """VDAB's Competent code travels as an OB 3.0 IdentifierEntry; Competent publishes no address per
    code, so the credential carries no invented URL, and it still verifies."""
    import json

    from leerloopbaan.portfolio.youth import selectors as portfolio_selectors

    document = world["cred_a"].document
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["otherIdentifier"] == [{"type": "IdentifierEntry", "identifier": "K1234",
                                                "identifierType": "ext:VDABCompetent"}]
    assert [a["targetFramework"] for a in achievement["alignment"]] == ["ESCO"]
    assert "vdab.be" not in json.dumps(document)
    assert portfolio_selectors.verify(document).ok
