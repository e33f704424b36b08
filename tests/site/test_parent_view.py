"""A parent's view of their child (issue 16, item 8): the child's page with attendance, attestations and
tutoring within the custody rules, and an export of the child's data."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import (
    AbsenceFactory,
    AttestationFactory,
    EnrolmentFactory,
    MatchFactory,
    PupilAccountLinkFactory,
    PupilFactory,
    PupilNameFactory,
    RiskScoreFactory,
    SchoolFactory,
)

pytestmark = pytest.mark.django_db


def _child(age: int, first_name: str = "Noor"):
    today = clock.today()
    school = SchoolFactory()
    pupil = PupilFactory(birth_date=datetime.date(today.year - age, 1, 15) if today.month > 1
                         else datetime.date(today.year - age - 1, 1, 15))
    PupilNameFactory(pupil=pupil, first_name=first_name, last_name="Peeters")
    EnrolmentFactory(pupil=pupil, school=school, start_date=datetime.date(today.year - 1, 9, 1))
    AbsenceFactory(pupil=pupil, school=school, date=today - datetime.timedelta(days=2))
    AttestationFactory(pupil=pupil, school=school)
    return pupil


@pytest.fixture
def family(make_user):
    parent = make_user("parent")
    minor, adult, other = _child(14), _child(19, "Sam"), _child(12, "Lou")
    for child in (minor, adult):
        PupilAccountLinkFactory(user=parent, pupil=child, relation="parent")
    return {"parent": parent, "minor": minor, "adult": adult, "other": other}


def test_the_children_page_lists_the_minor_children_only(family, login):
    page = login(family["parent"]).get(reverse("site:children")).content.decode()
    assert "Noor Peeters" in page and reverse("site:pupil", args=[family["minor"].pupil_key]) in page
    assert "Sam" not in page, "custody ends at 18: the adult child decides"
    assert "Lou" not in page


def test_the_parent_reads_the_childs_page_but_not_an_adult_childs_or_anothers(family, login):
    client = login(family["parent"])
    page = client.get(reverse("site:pupil", args=[family["minor"].pupil_key]))
    assert page.status_code == 200
    for pupil in (family["adult"], family["other"]):
        assert client.get(reverse("site:pupil", args=[pupil.pupil_key])).status_code == 404
        assert client.get(reverse("site:child_export", args=[pupil.pupil_key])).status_code == 404


def test_the_childs_page_shows_tutoring_but_no_risk_score(family, login):
    minor = family["minor"]
    match = MatchFactory(need__pupil=minor, status="active", started_on=clock.today() - datetime.timedelta(days=20))
    RiskScoreFactory(pupil=minor, school=minor.enrolments.first().school, risk=0.71, band="high")
    page = login(family["parent"]).get(reverse("site:pupil", args=[minor.pupil_key])).content.decode()
    assert match.tutor.first_name in page
    assert "0,71" not in page and "0.71" not in page and "71 %" not in page and "71%" not in page


def test_the_export_holds_the_childs_data_and_is_audited(family, login):
    minor = family["minor"]
    match = MatchFactory(need__pupil=minor, status="active", started_on=clock.today() - datetime.timedelta(days=20))
    client = login(family["parent"])
    with assert_audited(count=1, subject_type="pupil", subjects=[minor.pupil_key]):
        response = client.get(reverse("site:child_export", args=[minor.pupil_key]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["pupil"]["name"] == "Noor Peeters"
    assert len(data["enrolments"]) == 1 and len(data["attestations"]) == 1 and len(data["absences"]) == 1
    assert data["tutoring"][0]["tutor"] == match.tutor.first_name
    assert data["tutoring"][0]["tutor_since"] == match.started_on.isoformat()


def test_other_roles_have_no_children_page(make_user, login):
    for role in ("youth", "school_staff", "city_analyst"):
        assert login(make_user(role)).get(reverse("site:children")).status_code == 404
