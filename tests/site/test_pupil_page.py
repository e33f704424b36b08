"""The pupil page: the pupil scoped and audited once, then every app's panel with that one subject."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.models import Instrument, TestResult
from leerloopbaan.care.requests.services import support_request_create
from leerloopbaan.kernel import panels
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.models import TutoringNeed
from tests.ews.test_roles_ews import build_city, user_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(db):
    out = build_city()
    a0 = out["a0"]
    inst = Instrument.objects.create(code="T-WI", name="Wiskunde", domain="maths", moment="P4", scale_version="v1",
                                     score_min=0, score_max=100)
    TestResult.objects.create(pupil=a0, instrument=inst, date=out["latest"], scale_score=42, scale_version="v1")
    TutoringNeed.objects.create(pupil=a0, school=out["A"], subject="maths", level=9, age_group="lower_secondary",
                                consent_by="parent", consent_on=out["latest"])
    return out


@pytest.fixture
def spy_panel():
    """A panel as a new app would add it: records the subject it is given."""
    seen = []
    panels.register_pupil_panel(panels.PupilPanel(name="tests.spy", order=99, read=lambda subject: seen.append(subject) or {}))
    yield seen
    panels.unregister_pupil_panel("tests.spy")


def _pupil_table_reads(queries) -> list[str]:
    """Queries whose outermost FROM is the pupil table: a pupil looked up or checked against a scope.
    (The apps' row scopes name the pupil table in a subquery; they read their own rows.)"""
    out = []
    for q in queries:
        sql = q["sql"]
        first_from = re.search(r'\bFROM\s+("?[\w.]+"?)', sql)
        if first_from and first_from.group(1).strip('"') == "registry_pupil":
            out.append(sql)
    return out


def test_every_panel_gets_the_one_scoped_pupil_and_the_page_checks_scope_once(city, make_user, login, client, spy_panel):
    staff = user_for(Role.SCHOOL_STAFF, city, make_user)
    support_request_create(user=staff, school=city["A"], subject_level="pupil", description="help", pupil=city["a0"])
    login(staff)
    calls = []
    registered = panels.pupil_panels()
    originals = {p.name: p for p in registered}
    try:
        for p in registered:  # wrap every registered panel to see what it is given
            panels.register_pupil_panel(panels.PupilPanel(
                name=p.name, order=p.order, template=p.template, actions_template=p.actions_template, summary_template=p.summary_template,
                read=lambda subject, p=p: calls.append((p.name, subject)) or p.read(subject)))
        with CaptureQueriesContext(connection) as queries, \
                assert_audited(count=1, subject_type="pupil", subjects=[city["a0"].pupil_key]):
            response = client.get(f"/registry/pupils/{city['a0'].pupil_key}/")
    finally:
        for p in originals.values():
            panels.register_pupil_panel(p)
    assert response.status_code == 200
    assert {name for name, _s in calls} == {"registry", "ews", "care", "tutoring", "assessments", "tests.spy"}
    assert len(calls) == len(registered)  # each panel once
    subjects = {id(s) for _n, s in calls}
    assert len(subjects) == 1  # one subject object for every panel
    subject = calls[0][1]
    assert subject.pupil == city["a0"] and subject.user == staff and subject.label == "Anouk0 Test"
    assert spy_panel == [subject]
    reads = _pupil_table_reads(queries.captured_queries)
    assert len(reads) == 1, reads  # the one scope check (pupil_get), none per panel
    html = response.content.decode()
    # care and tutoring are what is under way: the page's summary (tests/site/test_pupil_page_order.py)
    for panel_id in ("panel-registry", "panel-ews", "summary-ews", "summary-care", "summary-tutoring", "panel-assessments"):
        assert f'id="{panel_id}"' in html
    assert 'id="ask-support"' in html and 'id="ask-tutor"' in html and 'id="growth-curve-link"' in html
    assert "T-WI" in html and 'id="support-under-way"' in html and 'id="pupil-tutoring"' in html


def test_a_pupil_outside_the_scope_calls_no_panel(city, make_user, login, client, spy_panel):
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    with assert_audited(count=0, subject_type="pupil"):
        assert client.get(f"/registry/pupils/{city['b0'].pupil_key}/").status_code == 404
    assert spy_panel == []


def test_a_panel_with_nothing_for_the_user_is_left_out(city, make_user, login, client):
    login(user_for(Role.CITY_ANALYST, city, make_user))
    html = client.get(f"/registry/pupils/{city['a0'].pupil_key}/").content.decode()
    assert 'id="panel-registry"' in html and 'id="panel-assessments"' in html
    # no support or tutoring the city may see, and nothing to ask: no panel, no button
    assert 'id="summary-care"' not in html and 'id="summary-tutoring"' not in html
    assert 'id="ask-support"' not in html and 'id="ask-tutor"' not in html
    assert "Anouk0" not in html  # by pseudonym


def test_the_panels_keep_to_what_the_user_saw_before_the_pupil_left(city, make_user, login, client):
    """A school the pupil left sees no support asked after the leaving date."""
    staff = user_for(Role.SCHOOL_STAFF, city, make_user)
    req = support_request_create(user=staff, school=city["A"], subject_level="pupil", description="help", pupil=city["a0"])
    login(staff)
    assert f"/care/requests/{req.pk}/" in client.get(f"/registry/pupils/{city['a0'].pupil_key}/").content.decode()
    enrolment = city["a0"].enrolments.get()
    enrolment.end_date = enrolment.start_date + datetime.timedelta(days=10)
    enrolment.save()
    html = client.get(f"/registry/pupils/{city['a0'].pupil_key}/").content.decode()
    assert 'id="visible-until"' in html
    assert f"/care/requests/{req.pk}/" not in html and "T-WI" not in html  # asked and tested after the leaving date
