"""The pupil page opens with the summary -- the risk, its reasons and what is already under way (an open
request, a tutor, a case, the school's follow-up) -- and only then the timeline; every field is labelled."""

from __future__ import annotations

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.requests.services import support_request_create
from leerloopbaan.ews.models import FollowUp
from leerloopbaan.kernel import panels
from leerloopbaan.tutoring.models import TutoringNeed
from tests.ews.test_roles_ews import build_city, user_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(db):
    out = build_city()
    a7 = out["a7"]
    a7.postcode = "2060"
    a7.save()
    TutoringNeed.objects.create(
        pupil=a7,
        school=out["A"],
        subject="maths",
        level=9,
        age_group="lower_secondary",
        consent_by="parent",
        consent_on=out["latest"],
    )
    return out


def _page(city, make_user, login, client, role=Role.SCHOOL_STAFF, key="a7") -> str:
    user = user_for(role, city, make_user)
    login(user)
    response = client.get(f"/registry/pupils/{city[key].pupil_key}/")
    assert response.status_code == 200
    return response.content.decode()


def test_summary_comes_before_the_timeline(city, make_user, login, client):
    staff = user_for(Role.SCHOOL_STAFF, city, make_user)
    req = support_request_create(
        user=staff, school=city["A"], subject_level="pupil", description="help", pupil=city["a7"]
    )
    FollowUp.objects.create(pupil=city["a7"], school=city["A"], kind="conversation", by=staff)
    login(staff)
    html = client.get(f"/registry/pupils/{city['a7'].pupil_key}/").content.decode()
    order = [
        html.index(marker)
        for marker in (
            'id="pupil-summary"',  # the summary section
            'id="risk-summary-band"',  # the risk: the latest band
            'id="risk-summary-reasons"',  # its reasons
            'id="risk-summary-follow-up"',  # the school's latest follow-up
            f"/care/requests/{req.pk}/",  # the open request
            'id="pupil-tutoring"',  # the tutoring asked for
            'id="pupil-timeline"',  # then the timeline
            'id="risk-history"',  # and the history of the scores
        )
    ]
    assert order == sorted(order), order
    summary = html[html.index('id="pupil-summary"') : html.index('id="pupil-timeline"')]
    assert "hoog" in summary  # the latest band (a7: high), in Dutch
    assert "Veel B-afwezigheden" in summary  # its reason
    assert "gesprek met de leerling of de ouders" in summary  # the follow-up, in Dutch


def test_every_field_is_labelled(city, make_user, login, client):
    html = _page(city, make_user, login, client)
    facts = html[html.index('id="pupil-facts"') :]
    facts = facts[: facts.index("</dl>")]
    assert "Geboortedatum</dt>" in facts and "Geslacht</dt>" in facts
    assert 'Postcode</dt><dd class="col-sm-10" id="pupil-postcode">2060</dd>' in facts
    # no unlabelled postcode anywhere on the page
    assert html.count("2060") == 1


def test_a_panel_summary_is_shown_before_every_panel_section(city, make_user, login, client):
    """The composition, not the order numbers alone: a late panel's summary still comes before the
    first panel's section."""
    panels.register_pupil_panel(
        panels.PupilPanel(
            name="tests.late",
            order=99,
            read=lambda subject: {"x": 1},
            summary_template="ews/panels/risk_summary.html",
        )
    )
    try:
        html = _page(city, make_user, login, client)
    finally:
        panels.unregister_pupil_panel("tests.late")
    assert html.index('id="summary-tests.late"') < html.index('id="panel-registry"')
    names = [p.name for p in panels.pupil_panels()]
    assert names.index("ews") < names.index("care") < names.index("tutoring")


def test_city_roles_get_no_risk_summary(city, make_user, login, client):
    html = _page(city, make_user, login, client, role=Role.CITY_ANALYST)
    assert 'id="risk-summary' not in html
    assert 'id="panel-registry"' in html
