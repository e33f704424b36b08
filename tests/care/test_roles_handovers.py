"""Every role against the handover pages: the list, one handover, the follow-up list, the navigation."""

from __future__ import annotations

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import Handover
from leerloopbaan.registry.models import PupilAccountLink
from leerloopbaan.site.navigation import items_for

from .handover_city import build_city


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PSEUDONYM_KEY = "example"
    settings.HANDOVER_LOOKBACK_DAYS = 100_000


@pytest.fixture
def city(db, tmp_path, make_user):
    return build_city(tmp_path, make_user)


def user_for(role, city, make_user):
    """School staff and CLB workers on the receiving side (school B, CLB Y)."""
    if role == Role.SCHOOL_STAFF:
        return city["staff_b"]
    if role == Role.CLB_WORKER:
        return city["clb_y"]
    if role == Role.CARE_COORDINATOR:
        return city["coordinator"]
    user = make_user(role)
    if role in (Role.YOUTH, Role.PARENT):
        PupilAccountLink.objects.create(user=user, pupil=city["lotte"], relation="self" if role == Role.YOUTH else "parent")
    return user


# role -> (list page, sees Lotte's handover, sees Sam's handover, follow-up list)
EXPECTED = {
    Role.SCHOOL_STAFF: (200, True, False, 403),
    Role.CLB_WORKER: (200, True, False, 403),
    Role.CARE_COORDINATOR: (200, True, True, 200),
    Role.CITY_ANALYST: (403, False, False, 403),
    Role.PROGRAMME_MANAGER: (403, False, False, 403),
    Role.ADMIN: (403, False, False, 403),
    Role.TUTOR_COORDINATOR: (403, False, False, 403),
    Role.TUTOR: (403, False, False, 403),
    Role.ORGANISATION_CONTACT: (403, False, False, 403),
    Role.YOUTH: (403, False, False, 403),
    Role.PARENT: (403, False, False, 403),
}


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_handover_pages_per_role(role, city, make_user, login, client):
    list_status, sees_lotte, sees_sam, follow_up = EXPECTED[role]
    login(user_for(role, city, make_user))
    assert client.get("/care/handovers/").status_code == list_status
    for pupil, visible in ((city["lotte"], sees_lotte), (city["sam"], sees_sam)):
        h = Handover.objects.get(pupil=pupil)
        assert client.get(f"/care/handovers/{h.pk}/").status_code == (200 if visible else 404)
        if not visible:
            assert client.post(f"/care/handovers/{h.pk}/acknowledge/", {"version": h.version}).status_code == 404
            h.refresh_from_db()
            assert h.status == Handover.Status.OPEN
    assert client.get("/care/handovers/follow-up/").status_code == follow_up


@pytest.mark.parametrize("role", list(EXPECTED))
def test_navigation_per_role(role):
    names = {item.url_name for item in items_for(role)}
    assert ("care:handover_list" in names) is (EXPECTED[role][0] == 200)
    assert ("care:follow_up_list" in names) is (EXPECTED[role][3] == 200)


def test_the_sending_school_sees_its_outgoing_handovers_but_not_other_schools(city, login, client, make_user):
    login(city["staff_a"])
    html = client.get("/care/handovers/").content.decode()
    assert "Lotte Peeters" in html and "Sam Janssens" in html
    login(city["clb_x"])  # the old school's CLB receives nothing
    assert "Lotte" not in client.get("/care/handovers/").content.decode()


def test_the_coordinator_sees_pseudonyms_and_the_follow_up_list(city, login, client):
    login(city["coordinator"])
    html = client.get("/care/handovers/").content.decode()
    assert "Lotte" not in html and city["lotte"].short_key in html
    page = client.get("/care/handovers/follow-up/?days=0").content.decode()
    assert city["sam"].short_key in page and "Sam" not in page and 'id="neet-table"' in page
