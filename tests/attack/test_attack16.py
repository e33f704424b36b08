"""Attack 16: the risk list, its export and the parent page under hostile input, as an outside checker
would try them through the pages (no 500s, no stack traces, no formula in a spreadsheet cell)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.ews.test_risk_list_excel import add_pupils, world  # noqa: F401  (fixture)

HOSTILE = ["0", "-1", "999999999999999999999999", "abc", "1.5", "%00", "1e9", "", "\u0661"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("param", ["page", "sort", "school", "grade", "track", "band", "status", "class", "q"])
def test_hostile_risk_list_values_are_no_server_error(world, login, client, param, value):  # noqa: F811
    login(world["staff"])
    add_pupils(world, 3)
    for url in ("/ews/risk/", "/ews/risk/export/"):
        response = client.get(url, {param: value, "format": "csv"})
        assert response.status_code in (200, 302, 400, 404), (url, param, value, response.status_code)


def test_csv_formula_with_leading_space_or_semicolon_is_not_a_formula(world, login, client):  # noqa: F811
    from leerloopbaan.registry.models import Enrolment

    login(world["staff"])
    pupils = add_pupils(world, 2)
    Enrolment.objects.filter(pupil=pupils[0]).update(class_group=";=HYPERLINK(1)")  # at most 20 characters (the column)
    response = client.get("/ews/risk/export/", {"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "@")), row


def _parent_world(make_user):
    import datetime

    from leerloopbaan.accounts.roles import Role
    from leerloopbaan.kernel import clock
    from tests.factories import (
        EnrolmentFactory,
        ModelRunFactory,
        PupilAccountLinkFactory,
        PupilFactory,
        RiskScoreFactory,
        SchoolFactory,
    )

    school = SchoolFactory(school_number="777", name="School P")
    year = clock.today().year
    mine = PupilFactory(first_name="Mila", birth_date=datetime.date(year - 14, 1, 1))
    other = PupilFactory(first_name="Otto", birth_date=datetime.date(year - 14, 1, 1))
    adult = PupilFactory(first_name="Ada", birth_date=datetime.date(year - 19, 1, 1))
    for p in (mine, other, adult):
        EnrolmentFactory(pupil=p, school=school)
    RiskScoreFactory(pupil=mine, school=school, model_run=ModelRunFactory(version="v77"), risk=0.83, band="high")
    parent = make_user(Role.PARENT)
    PupilAccountLinkFactory(user=parent, pupil=mine, relation="parent")
    PupilAccountLinkFactory(user=parent, pupil=adult, relation="parent")
    return parent, mine, other, adult


def test_parent_export_only_own_minor_child_and_no_risk(db, make_user, login, client):
    parent, mine, other, adult = _parent_world(make_user)
    login(parent)
    page = client.get("/children/").content.decode()
    assert "Mila" in page and "Otto" not in page and "Ada" not in page
    assert client.get(f"/children/{other.pupil_key}/export.json").status_code == 404
    assert client.get(f"/children/{adult.pupil_key}/export.json").status_code == 404
    response = client.get(f"/children/{mine.pupil_key}/export.json")
    assert response.status_code == 200
    body = response.content.decode().lower()
    for word in ("risk", "0.83", "band", '"high"', "reasons", "care", "follow"):
        assert word not in body, word
    import json
    assert set(json.loads(body)) <= {"exported_on", "pupil", "enrolments", "attestations", "absences", "tutoring"}


def test_non_parents_get_no_children_page(db, make_user, login, client):
    from leerloopbaan.accounts.roles import Role

    parent, mine, _other, _adult = _parent_world(make_user)
    assert client.get("/children/").status_code in (302, 404)
    assert client.get(f"/children/{mine.pupil_key}/export.json").status_code in (302, 404)
    for role in (Role.YOUTH, Role.SCHOOL_STAFF, Role.CLB_WORKER):
        from tests.factories import SchoolFactory
        user = make_user(role, school=SchoolFactory()) if role == Role.SCHOOL_STAFF else make_user(role)
        client.logout()
        login(user)
        assert client.get(f"/children/{mine.pupil_key}/export.json").status_code == 404, role


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize("field", ["validFrom", "validUntil"])
def test_verify_page_survives_a_date_at_the_end_of_the_calendar(db, client, field, moment):
    """Anyone may paste a credential on the verify page; a date-time whose Brussels date falls outside
    the calendar (year 10000 or year 0) must read as no date, not crash the page."""
    import json

    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": {"id": "did:web:example.test", "name": "<script>alert(1)</script>"},
                field: moment, "credentialSubject": {"achievement": {"name": "X"}}}
    response = client.post("/portfolio/verify/", {"text": json.dumps(document)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize("url", [
    "/registry/pupils/?page=abc", "/registry/pupils/?page=-5", "/registry/pupils/?page=99999999999999999999",
    "/registry/pupils/?former=%00&class=%00", "/registry/pupils/?q=%25%5F%27%22", "/registry/pupils/?school=../../",
    "/home/risk-changes/%00/", "/home/risk-changes/risen%27--/", "/home/risk-changes/new/?page=abc",
    "/registry/primary/%00/", "/registry/primary/../", "/registry/primary/320/",
])
def test_hostile_registry_and_home_values_are_no_server_error(world, login, client, url):  # noqa: F811
    login(world["staff"])
    add_pupils(world, 3)
    response = client.get(url)
    assert response.status_code in (200, 302, 400, 403, 404), (url, response.status_code)
    assert b"Traceback" not in response.content


def test_a_request_of_the_school_the_pupil_left_is_not_under_way_at_the_new_school(world, login, client):  # noqa: F811
    """School B's open support request about a pupil who moved to school A is B's business: A's risk list
    and export must not name it (nor its number)."""
    import datetime

    from tests.factories import EnrolmentFactory, SupportRequestFactory

    pupil = add_pupils(world, 1)[0]
    EnrolmentFactory(pupil=pupil, school=world["B"], school_year="2019-2020", end_date=datetime.date(2020, 6, 30))
    req = SupportRequestFactory(school=world["B"], pupil=pupil, status="in_progress")
    login(world["staff"])
    page = client.get("/ews/risk/").content.decode()
    assert f"#{req.pk} " not in page and f"/care/requests/{req.pk}/" not in page
    export = client.get("/ews/risk/export/", {"format": "csv"}).content.decode("utf-8-sig")
    assert f"#{req.pk} " not in export
