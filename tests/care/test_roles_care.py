"""For every role: which support requests it sees and what it may do; every read audited."""

import pytest

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import SupportRequest
from leerloopbaan.care.requests import services
from leerloopbaan.kernel.audit.testing import assert_audited

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def requests_(care):
    """ra: pupil request of school A, assigned to the provider, name attached; rb: pupil request of school B,
    not assigned; rs: school-level request of A, assigned to CLB Y (which does not serve A)."""
    c = care["coordinator"]
    ra = services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"],
                                         description="Vaak afwezig", name_attached=True)
    ra = services.support_request_intake(user=c, request=ra, version=1)
    ra = services.support_request_assign(user=c, request=ra, version=2, kind="offer", offer=care["offer"])
    rb = services.support_request_create(user=care["staff_b"], school=care["B"], subject_level="pupil", pupil=care["b0"],
                                         description="Taal", name_attached=False)
    rs = services.support_request_create(user=care["staff"], school=care["A"], subject_level="school", description="Schoolbreed")
    rs = services.support_request_intake(user=c, request=rs, version=1)
    rs = services.support_request_assign(user=c, request=rs, version=2, kind="clb", clb=care["Y"])
    return {"ra": ra, "rb": rb, "rs": rs}


def user_for(role, care, make_user):
    return {Role.SCHOOL_STAFF: care["staff"], Role.CLB_WORKER: care["clb"], Role.CARE_COORDINATOR: care["coordinator"],
            Role.ORGANISATION_CONTACT: care["contact"]}.get(role) or make_user(role)


# role -> requests it sees in the list, and how it sees ra's pupil (None: not at all)
EXPECTED = {
    Role.SCHOOL_STAFF: ({"ra", "rs"}, "Anouk7 Test"),
    Role.CLB_WORKER: ({"ra", "rs"}, "Anouk7 Test"),
    Role.CARE_COORDINATOR: ({"ra", "rb", "rs"}, "Anouk7 Test"),
    Role.ORGANISATION_CONTACT: ({"ra"}, "Anouk7"),
    Role.CITY_ANALYST: (None, None),
    Role.PROGRAMME_MANAGER: (None, None),
    Role.ADMIN: (None, None),
    Role.TUTOR_COORDINATOR: (None, None),
    Role.TUTOR: (None, None),
    Role.YOUTH: (None, None),
    Role.PARENT: (None, None),
}


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_request_list_and_detail_per_role(role, care, requests_, make_user, login, client):
    seen, label = EXPECTED[role]
    login(user_for(role, care, make_user))
    if seen is None:
        assert client.get("/care/requests/").status_code in (403, 404)
        for r in requests_.values():
            assert client.get(f"/care/requests/{r.pk}/").status_code == 404
        return
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/care/requests/").content.decode()
    keys = {requests_[k].pupil.pupil_key for k in seen if requests_[k].pupil_id}
    assert audit.subjects() == keys
    for name, r in requests_.items():
        assert (f'href="/care/requests/{r.pk}/"' in html) is (name in seen), name
        if name not in seen:
            assert client.get(f"/care/requests/{r.pk}/").status_code == 404
    with assert_audited(count=1, subject_type="pupil", subjects=[care["a7"].pupil_key]):
        detail = client.get(f"/care/requests/{requests_['ra'].pk}/").content.decode()
    assert label in detail
    if role == Role.ORGANISATION_CONTACT:
        assert "Anouk7 Test" not in detail and "Anouk7 Test" not in html  # first name only
    assert "Bilal" not in html  # rb's name was not attached: the support team sees the pseudonym
    if role == Role.CARE_COORDINATOR:
        assert care["b0"].short_key in html


def test_provider_sees_only_requests_assigned_to_it(care, requests_, login, client):
    login(care["other_contact"])
    assert client.get(f"/care/requests/{requests_['ra'].pk}/").status_code == 404
    assert f'href="/care/requests/{requests_["ra"].pk}/"' not in client.get("/care/requests/").content.decode()
    assert client.post(f"/care/requests/{requests_['ra'].pk}/start/", {"version": 3}).status_code == 404


def test_clb_sees_its_schools_and_what_is_assigned_to_it(care, requests_, login, client):
    login(care["clb_y"])
    html = client.get("/care/requests/").content.decode()
    assert f'href="/care/requests/{requests_["rb"].pk}/"' in html  # pupil of a school CLB Y serves
    assert f'href="/care/requests/{requests_["rs"].pk}/"' in html  # assigned to CLB Y
    assert f'href="/care/requests/{requests_["ra"].pk}/"' not in html


def test_actions_over_http(care, requests_, login, client):
    ra = requests_["ra"]
    login(care["staff"])
    assert client.post(f"/care/requests/{ra.pk}/start/", {"version": ra.version}).status_code == 403
    client.post(f"/care/requests/{ra.pk}/comment/", {"text": "Ouders zijn op de hoogte"})
    login(care["contact"])
    client.post(f"/care/requests/{ra.pk}/start/", {"version": ra.version, "note": ""})
    client.post(f"/care/requests/{ra.pk}/close/", {"version": ra.version + 1, "outcome": "resolved", "note": "Terug op school"})
    ra.refresh_from_db()
    assert (ra.status, ra.outcome) == ("closed", "resolved")
    assert [c.party for c in ra.comments.all()] == ["school"]
    login(care["staff"])
    html = client.get(f"/care/requests/{ra.pk}/").content.decode()
    assert "Terug op school" in html and "Ouders zijn op de hoogte" in html


def test_school_staff_ask_from_the_risk_list(care, login, client):
    login(care["staff"])
    risk = client.get("/ews/risk/").content.decode()
    assert f"/care/requests/new/?pupil_key={care['a7'].pupil_key}" in risk
    page = client.get(f"/registry/pupils/{care['a7'].pupil_key}/").content.decode()
    assert 'id="ask-support"' in page
    form = client.get(f"/care/requests/new/?pupil_key={care['a7'].pupil_key}").content.decode()
    assert "Anouk7 Test" in form and ("Many B absences" in form or "Veel B-afwezigheden" in form)
    response = client.post("/care/requests/new/", {"pupil_key": care["a7"].pupil_key, "school": "100", "subject_level": "pupil",
                                                   "description": "Graag hulp", "name_attached": "on"})
    req = SupportRequest.objects.get()
    assert response.status_code == 302 and req.pupil == care["a7"] and req.name_attached and req.reasons
    # a pupil of another school: 404
    assert client.get(f"/care/requests/new/?pupil_key={care['b0'].pupil_key}").status_code == 404


def test_pupil_page_link_only_for_school_staff(care, login, client):
    login(care["clb"])
    assert 'id="ask-support"' not in client.get(f"/registry/pupils/{care['a7'].pupil_key}/").content.decode()
    assert client.get("/care/requests/new/").status_code == 403


@pytest.mark.parametrize("role", list(EXPECTED))
def test_offer_catalogue_per_role(role, care, make_user, login, client):
    user = user_for(role, care, make_user)
    login(user)
    response = client.get("/care/offers/?predictor=absence")
    if role in (Role.TUTOR, Role.YOUTH, Role.PARENT):
        assert response.status_code in (403, 404)
        return
    assert "Spijbelcoaching" in response.content.decode()
    edit = client.get(f"/care/offers/{care['offer'].pk}/edit/")
    assert (edit.status_code == 200) is (role in (Role.CARE_COORDINATOR, Role.ORGANISATION_CONTACT))


def test_provider_maintains_its_offer(care, login, client):
    login(care["contact"])
    response = client.post("/care/offers/new/", {"provider": care["provider"].pk, "title": "Taalcafé", "description": "Nederlands oefenen",
                                                 "levels": ["pupil"], "predictors": ["language"], "districts": ["Deurne"], "active": "on"})
    assert response.status_code == 302
    login(care["other_contact"])
    taal = care["provider"].support_offers.get(title="Taalcafé")
    assert client.get(f"/care/offers/{taal.pk}/edit/").status_code == 403
    # another provider cannot file an offer under the provider's name
    client.post("/care/offers/new/", {"provider": care["provider"].pk, "title": "Nep", "description": "x", "levels": ["pupil"],
                                      "predictors": ["other"]})
    assert not Organisation.objects.get(pk=care["provider"].pk).support_offers.filter(title="Nep").exists()
