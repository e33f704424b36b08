"""For every role: what it can and cannot see of the early warning (risk list, pupil risk history, portrait)."""

import datetime

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.models import FollowUp
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import (
    AbsenceFactory,
    AttestationFactory,
    ClbFactory,
    EnrolmentFactory,
    ModelRunFactory,
    PupilAccountLinkFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
    school_year_start,
    this_school_year,
)

REASON = {"area": "absence", "text_nl": "Veel B-afwezigheden", "text_en": "Many B absences", "contribution": 0.2}


def build_city():
    """Schools A (Deurne, CLB X) and B (Hoboken, CLB Y), eight S3 pupils each in this school year (Anouk0..7,
    Bilal0..7) with an attestation of last year, a B absence and two risk scores (an old model's, and the
    latest run's: low, medium or high)."""
    clb_x, clb_y = ClbFactory(name="CLB X"), ClbFactory(name="CLB Y")
    a = SchoolFactory(school_number="100", name="School A", network="GO", district="Deurne", clb=clb_x)
    b = SchoolFactory(school_number="200", name="School B", network="CITY", district="Hoboken", clb=clb_y)
    run_old = ModelRunFactory(version="v1", created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    run = ModelRunFactory(version="v2")
    year = this_school_year()
    start = school_year_start(year)
    earlier, latest = start + datetime.timedelta(days=30), start + datetime.timedelta(days=60)
    out = {"A": a, "B": b, "X": clb_x, "Y": clb_y, "run": run, "latest": latest, "year": year}
    for school, prefix, first in ((a, "a", "Anouk"), (b, "b", "Bilal")):
        for i in range(8):
            track = "BSO" if i % 2 else "ASO"
            p = PupilFactory(pupil_key=f"{prefix}{i:063d}", birth_date=datetime.date(start.year - 15 + (i % 2), 5, 1),
                             first_name=f"{first}{i}", last_name="Test",
                             characteristics={"as_of": start, "home_language_not_dutch": bool(i % 2),
                                              "school_allowance": i % 3 == 0})
            EnrolmentFactory(pupil=p, school=school, school_year=year, grade="S3", track=track)
            AttestationFactory(pupil=p, school=school, school_year=f"{start.year - 1}-{start.year}", grade="S2",
                               result="A" if i % 3 else "B")
            AbsenceFactory(pupil=p, school=school, date=earlier)
            RiskScoreFactory(pupil=p, school=school, reference_date=earlier, model_run=run_old, risk=0.1 + i / 100,
                             band="low", reasons=[REASON], track=track)
            RiskScoreFactory(pupil=p, school=school, reference_date=latest, model_run=run, risk=0.2 + i / 20,
                             band="high" if i >= 6 else "medium" if i >= 3 else "low", reasons=[REASON], track=track)
            out[f"{prefix}{i}"] = p
    return out


@pytest.fixture
def city(db):
    return build_city()


def user_for(role, city, make_user):
    kwargs = {}
    if role == Role.SCHOOL_STAFF:
        kwargs["school"] = city["A"]
    elif role == Role.CLB_WORKER:
        kwargs["clb"] = city["X"]
    user = make_user(role, **kwargs)
    if role in (Role.YOUTH, Role.PARENT):
        PupilAccountLinkFactory(user=user, pupil=city["a0"], relation="self" if role == Role.YOUTH else "parent")
    return user


# role -> (risk list, risk history on A's pupil page, portrait of A: None = 404, "full" or "suppressed")
EXPECTED = {
    Role.SCHOOL_STAFF: (True, True, "full"),
    Role.CLB_WORKER: (True, True, "suppressed"),
    Role.CITY_ANALYST: (False, False, "suppressed"),
    Role.PROGRAMME_MANAGER: (False, False, "suppressed"),
    Role.ADMIN: (False, False, "suppressed"),
    Role.CARE_COORDINATOR: (False, False, None),
    Role.TUTOR_COORDINATOR: (False, False, None),
    Role.TUTOR: (False, False, None),
    Role.ORGANISATION_CONTACT: (False, False, None),
    Role.YOUTH: (False, False, None),
    Role.PARENT: (False, False, None),
}


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_risk_list_per_role(role, city, make_user, login, client):
    sees, _history, _portrait = EXPECTED[role]
    login(user_for(role, city, make_user))
    response = client.get("/ews/risk/")
    if not sees:
        assert response.status_code in (403, 404)
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anouk7" in html and "Bilal" not in html  # own school only, by name
    assert city["b0"].pupil_key not in html
    # a pupil of another school cannot be followed up
    assert client.post(f"/ews/risk/{city['b0'].pupil_key}/follow-up/", {"kind": "conversation"}).status_code == 404


@pytest.mark.parametrize("role", list(EXPECTED))
def test_pupil_page_risk_history_per_role(role, city, make_user, login, client):
    _list, history, _portrait = EXPECTED[role]
    login(user_for(role, city, make_user))
    response = client.get(f"/registry/pupils/{city['a0'].pupil_key}/")
    if response.status_code == 404:
        assert not history
        return
    html = response.content.decode()
    assert ("risk-history" in html) is history
    assert ("Many B absences" in html or "Veel B-afwezigheden" in html) is history
    # another school's pupil: never
    assert client.get(f"/registry/pupils/{city['b0'].pupil_key}/").status_code == 404 or role in (Role.CITY_ANALYST, Role.ADMIN)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_portrait_per_role(role, city, make_user, login, client):
    _list, _history, portrait = EXPECTED[role]
    login(user_for(role, city, make_user))
    response = client.get("/ews/portrait/100/")
    pdf = client.get("/ews/portrait/100/pdf/")
    if portrait is None:
        assert response.status_code in (403, 404) and pdf.status_code in (403, 404)
        assert client.get("/ews/portrait/").status_code in (200, 302, 403)
        return
    assert response.status_code == 200 and pdf.status_code == 200
    html = response.content.decode()
    assert "Anouk" not in html and city["a0"].pupil_key not in html  # aggregates only
    # School A has 2 of 8 pupils in the high band: staff of A see 25%, everyone else <5
    assert ("25%" in html) is (portrait == "full")
    # the city column is the whole city: A's and B's 2 high each, 4 of 16, a small count for everyone
    assert "&lt;5" in html
    if role == Role.SCHOOL_STAFF:  # staff of A do not see the portrait of B
        assert client.get("/ews/portrait/200/").status_code == 404


def test_risk_list_content_and_audit(city, make_user, login, client):
    user = user_for(Role.SCHOOL_STAFF, city, make_user)
    login(user)
    with assert_audited(count=1, subject_type="pupil", subjects=[city["a7"].pupil_key]):
        html = client.get("/ews/risk/").content.decode()
    expected = sum(0.2 + i / 20 for i in range(8))
    assert f"{expected:.1f}".replace(".", ",") in html or f"{expected:.1f}" in html
    assert "Veel B-afwezigheden" in html or "Many B absences" in html
    html = client.get("/ews/risk/?track=BSO&band=high").content.decode()
    assert "Anouk7" in html and "Anouk6" not in html and "Anouk1" not in html


def test_follow_up_is_recorded_and_audited(city, make_user, login, client):
    user = user_for(Role.SCHOOL_STAFF, city, make_user)
    login(user)
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[city["a7"].pupil_key]):
        response = client.post(f"/ews/risk/{city['a7'].pupil_key}/follow-up/", {"kind": "conversation", "note": "talked"})
    assert response.status_code == 302
    f = FollowUp.objects.get()
    assert (f.pupil, f.school, f.kind, f.note, f.by) == (city["a7"], city["A"], "conversation", "talked", user)
    assert f.score.model_run == city["run"]


def test_pupil_page_is_one_audit_entry(city, make_user, login, client):
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    with assert_audited(count=1, subject_type="pupil", subjects=[city["a0"].pupil_key]):
        html = client.get(f"/registry/pupils/{city['a0'].pupil_key}/").content.decode()
    assert "pupil-timeline" in html and "<svg" in html and 'role="img"' in html


def test_ended_membership_sees_nothing(city, make_user, login, client):
    user = user_for(Role.SCHOOL_STAFF, city, make_user)
    user.memberships.update(end_date=datetime.date(2001, 1, 1))
    login(user)
    response = client.get("/ews/risk/")
    assert response.status_code in (200, 403, 404)
    assert "Anouk" not in response.content.decode()
    assert client.get("/ews/portrait/100/").status_code == 404
