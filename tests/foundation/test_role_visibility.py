"""For every role: which pupils it can see, by name or by pseudonym, in pages and in the API."""

import datetime

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import ClbFactory, EnrolmentFactory, PupilAccountLinkFactory, PupilFactory, SchoolFactory


@pytest.fixture
def city(db):
    """Schools A (Deurne, CLB X) and B (Hoboken, CLB Y), each with one named pupil enrolled in 2025-2026:
    pa (Anouk) in A and pb (Bilal) in B."""
    clb_x, clb_y = ClbFactory(name="CLB X"), ClbFactory(name="CLB Y")
    a = SchoolFactory(school_number="100", name="School A", network="GO", district="Deurne", clb=clb_x)
    b = SchoolFactory(school_number="200", name="School B", network="CITY", district="Hoboken", clb=clb_y)
    pupils = {}
    for label, school, first in (("pa", a, "Anouk"), ("pb", b, "Bilal")):
        p = PupilFactory(pupil_key=label[1] * 64, birth_date=datetime.date(2011, 5, 1), first_name=first, last_name="Test")
        EnrolmentFactory(pupil=p, school=school, school_year="2025-2026", grade="S3")
        pupils[label] = p
    return {"A": a, "B": b, "X": clb_x, "Y": clb_y, **pupils}


def user_for(role, city, make_user):
    kwargs = {}
    if role == Role.SCHOOL_STAFF:
        kwargs["school"] = city["A"]
    elif role == Role.CLB_WORKER:
        kwargs["clb"] = city["X"]
    user = make_user(role, **kwargs)
    if role in (Role.YOUTH, Role.PARENT):
        PupilAccountLinkFactory(user=user, pupil=city["pa"], relation="self" if role == Role.YOUTH else "parent")
    return user


# role -> (sees pa, sees pb, sees names)
EXPECTED = {
    Role.SCHOOL_STAFF: (True, False, True),
    Role.CLB_WORKER: (True, False, True),
    Role.CITY_ANALYST: (True, True, False),
    Role.PROGRAMME_MANAGER: (False, False, False),
    Role.ADMIN: (True, True, False),
    Role.CARE_COORDINATOR: (False, False, False),
    Role.TUTOR_COORDINATOR: (False, False, False),
    Role.TUTOR: (False, False, False),
    Role.ORGANISATION_CONTACT: (False, False, False),
    Role.YOUTH: (True, False, True),
    Role.PARENT: (True, False, True),
}


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_pupil_detail_page_and_api_per_role(role, city, make_user, login, client):
    sees_a, sees_b, names = EXPECTED[role]
    login(user_for(role, city, make_user))
    for label, visible in (("pa", sees_a), ("pb", sees_b)):
        pupil = city[label]
        page = client.get(f"/registry/pupils/{pupil.pupil_key}/")
        api = client.get(f"/api/v1/pupils/{pupil.pupil_key}/")
        if visible:
            assert page.status_code == 200 and api.status_code == 200
            first = pupil.name.first_name
            assert (first in page.content.decode()) is names
            assert (api.json().get("first_name") == first) is names
            if not names:  # city roles: no name fields at all (registry.pseudonymised)
                assert api.json().get("first_name") is None and api.json().get("last_name") is None
        else:
            assert page.status_code == 404, f"{role} must not see {label}"
            assert api.status_code == 404, f"{role} must not see {label} through the API"


@pytest.mark.parametrize("role", list(EXPECTED))
def test_pupil_lists_per_role(role, city, make_user, login, client):
    sees_a, sees_b, names = EXPECTED[role]
    login(user_for(role, city, make_user))
    listed = {p["pupil_key"] for p in client.get("/api/v1/pupils/").json()["results"]}
    assert (city["pa"].pupil_key in listed) is sees_a
    assert (city["pb"].pupil_key in listed) is sees_b
    page = client.get("/registry/pupils/")
    if role in (Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CITY_ANALYST, Role.ADMIN):
        html = page.content.decode()
        assert page.status_code == 200
        assert ("Bilal" in html) is False
        assert ("Anouk" in html) is (names and sees_a)
    else:
        assert page.status_code == 403


@pytest.mark.django_db
def test_school_staff_cannot_filter_on_another_school(city, make_user, login, client):
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    assert client.get("/api/v1/pupils/?school=200").status_code == 404
    assert client.get("/api/v1/pupils/?school=100").status_code == 200


def test_every_pupil_read_is_audited_once(city, make_user, login, client):
    user = user_for(Role.SCHOOL_STAFF, city, make_user)
    login(user)
    with assert_audited(count=1, subject_type="pupil", subjects=[city["pa"].pupil_key]):
        client.get(f"/registry/pupils/{city['pa'].pupil_key}/")
    with assert_audited(count=1, subject_type="pupil", subjects=[city["pa"].pupil_key]):
        client.get("/api/v1/pupils/")
    with assert_audited(count=0, subject_type="pupil"):
        client.get(f"/registry/pupils/{city['pb'].pupil_key}/")


def test_membership_that_ended_gives_no_access(city, make_user, login, client):
    user = user_for(Role.SCHOOL_STAFF, city, make_user)
    user.memberships.update(end_date=datetime.date(2020, 1, 1))
    login(user)
    assert client.get(f"/registry/pupils/{city['pa'].pupil_key}/").status_code == 404
