"""For every role: who sees the case list, the case and its restricted notes; every read audited once."""

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases import services as services_cases
from leerloopbaan.care.requests import services
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import CareConsentFactory

pytestmark = pytest.mark.django_db(databases="__all__")

NOTE = "Vertrouwelijk: moeilijke thuissituatie"


@pytest.fixture
def case(care):
    """A case about a7 (school A), managed by the coordinator, with the school, the CLB and the provider taking part."""
    c = care["coordinator"]
    req = services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"],
                                          description="Vaak afwezig", name_attached=True)
    case = services_cases.case_open(user=c, request=req, summary="Meerdere problemen")
    CareConsentFactory(pupil=care["a7"], case=case, recipient_organisation=care["provider"], categories=["case_notes"])
    for v, u in enumerate((care["staff"], care["clb"], care["contact"]), start=1):
        services_cases.case_participant_add(user=c, case=case, version=v, participant=u)
    services_cases.case_note_add(user=c, case=case, text=NOTE)
    return case


def user_for(role, care, make_user):
    return {Role.SCHOOL_STAFF: care["staff"], Role.CLB_WORKER: care["clb"], Role.CARE_COORDINATOR: care["coordinator2"],
            Role.ORGANISATION_CONTACT: care["contact"]}.get(role) or make_user(role)


# role -> (sees the list, sees the case, reads the notes, how the pupil is shown); the coordinator here does not take part
EXPECTED = {
    Role.SCHOOL_STAFF: (True, True, True, "Anouk7 Test"),
    Role.CLB_WORKER: (True, True, True, "Anouk7 Test"),
    Role.CARE_COORDINATOR: (True, True, False, "short_key"),
    Role.ORGANISATION_CONTACT: (True, True, True, "Anouk7"),
    Role.CITY_ANALYST: (False, False, False, None),
    Role.PROGRAMME_MANAGER: (False, False, False, None),
    Role.ADMIN: (False, False, False, None),
    Role.TUTOR_COORDINATOR: (False, False, False, None),
    Role.TUTOR: (False, False, False, None),
    Role.YOUTH: (False, False, False, None),
    Role.PARENT: (False, False, False, None),
}


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_case_list_detail_and_notes_per_role(role, care, case, make_user, login, client):
    sees_list, sees_case, reads_notes, label = EXPECTED[role]
    login(user_for(role, care, make_user))
    key = care["a7"].pupil_key
    if not sees_list:
        with assert_audited(count=0, action=None):
            assert client.get("/care/cases/").status_code in (403, 404)
            assert client.get(f"/care/cases/{case.pk}/").status_code == 404
            assert client.post(f"/care/cases/{case.pk}/note/", {"text": "x"}).status_code == 404
        return
    with assert_audited(count=1, subject_type="pupil", subjects=[key]) as audit:
        html = client.get("/care/cases/").content.decode()
    assert audit.subjects() == {key}
    assert f'href="/care/cases/{case.pk}/"' in html and NOTE not in html
    with assert_audited(count=1, subject_type="pupil", subjects=[key]) as audit:
        detail = client.get(f"/care/cases/{case.pk}/").content.decode()
    assert audit.entries[0].detail["notes"] is reads_notes
    assert (NOTE in detail) is reads_notes
    assert (care["a7"].short_key if label == "short_key" else label) in detail
    if label != "Anouk7 Test":
        assert "Anouk7 Test" not in detail and "Anouk7 Test" not in html
    if not reads_notes:
        assert 'id="case-metadata-only"' in detail and "Meerdere problemen" not in detail
        assert client.post(f"/care/cases/{case.pk}/note/", {"text": "x"}).status_code == 404
        assert case.notes.count() == 1


def test_the_manager_sees_everything(care, case, login, client):
    login(care["coordinator"])
    with assert_audited(count=1, subject_type="pupil", subjects=[care["a7"].pupil_key]):
        html = client.get(f"/care/cases/{case.pk}/").content.decode()
    assert NOTE in html and "Anouk7 Test" in html and 'id="note-form"' in html and 'id="participant-form"' in html


@pytest.mark.parametrize("outsider", ["staff_b", "clb_y", "other_contact"])
def test_people_of_the_right_role_but_not_in_the_case_see_nothing(outsider, care, case, login, client):
    login(care[outsider])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/care/cases/").content.decode()
    assert audit.subjects() == set() and f"/care/cases/{case.pk}/" not in html
    with assert_audited(count=0, action=None):
        assert client.get(f"/care/cases/{case.pk}/").status_code == 404


def test_a_removed_participant_loses_access(care, case, login, client):
    login(care["contact"])
    assert NOTE in client.get(f"/care/cases/{case.pk}/").content.decode()
    services_cases.case_participant_remove(user=care["coordinator"], case=case, version=case.version, participant=care["contact"])
    with assert_audited(count=0, action=None):
        assert client.get(f"/care/cases/{case.pk}/").status_code == 404
        assert client.post(f"/care/cases/{case.pk}/note/", {"text": "nog iets"}).status_code == 404
    assert f"/care/cases/{case.pk}/" not in client.get("/care/cases/").content.decode()
    assert case.notes.count() == 1


def test_only_the_manager_changes_the_plan(care, case, login, client):
    login(care["staff"])
    assert client.post(f"/care/cases/{case.pk}/update/", {"version": case.version, "summary": "overschreven"}).status_code == 403
    assert client.post(f"/care/cases/{case.pk}/close/", {"version": case.version}).status_code == 403
    case.refresh_from_db()
    assert (case.summary, case.status) == ("Meerdere problemen", "open")
    client.post(f"/care/cases/{case.pk}/note/", {"text": "Van de school"})  # every participant writes notes
    assert case.notes.filter(author=care["staff"]).count() == 1


def test_nav_entry(care, login, client):
    from leerloopbaan.site.navigation import items_for
    for role in Role.values:
        assert any(i.url_name == "care:case_list" for i in items_for(role)) is (role in {Role.CARE_COORDINATOR, Role.CLB_WORKER,
                                                                                        Role.SCHOOL_STAFF})
