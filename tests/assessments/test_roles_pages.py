"""Who sees what in the learning-gain tests: growth curves (scoped, audited, 404 outside the scope),
the city's norms and the growth comparison (aggregates only, small cells suppressed), remediation
proposals and entering a result."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.models import Instrument, TestResult
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry.models import Enrolment, Pupil, PupilName

from .conftest import earlier, make_results, p4_date, tutoring_match, user_for, year_start

pytestmark = pytest.mark.django_db(databases="__all__")


def curve_url(pupil):
    return reverse("assessments:pupil", args=[pupil.pupil_key])


# role -> what the growth curve of a0 (school A) answers, and whether the name is on it
CURVE = {
    Role.SCHOOL_STAFF: (200, True),
    Role.CLB_WORKER: (200, True),
    Role.CITY_ANALYST: (200, False),
    Role.ADMIN: (200, False),
    Role.YOUTH: (200, True),  # linked to a0: their own record
    Role.PARENT: (200, True),  # linked to a0: their child
    Role.PROGRAMME_MANAGER: (404, False),
    Role.CARE_COORDINATOR: (404, False),
    Role.TUTOR_COORDINATOR: (404, False),
    Role.TUTOR: (404, False),
    Role.ORGANISATION_CONTACT: (404, False),
}
GROWTH = {Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN}
NORMS = {Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN, Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.TUTOR_COORDINATOR}


def test_every_role_is_covered():
    assert set(CURVE) == set(Role.values)


@pytest.mark.parametrize("role", list(CURVE))
def test_growth_curve_per_role(role, city, make_user, login, client):
    status, named = CURVE[role]
    login(user_for(role, city, make_user))
    pupil = city["a0"]
    with assert_audited(count=1 if status == 200 else 0, subject_type="pupil") as audit:
        response = client.get(curve_url(pupil))
    assert response.status_code == status
    if status == 200:
        assert pupil.pupil_key in audit.subjects()
        html = response.content.decode()
        assert ("Anouk0 Test" in html) is named
        if role in (Role.CITY_ANALYST, Role.ADMIN):
            # city roles: the results of the released school year only (registry.pseudonymised), never earlier years
            from leerloopbaan.kernel.schoolyear import school_year_of
            from leerloopbaan.registry.pseudonymised import released_school_year

            year = released_school_year(pupil)
            for r in TestResult.objects.filter(pupil=pupil).select_related("instrument"):
                assert (r.instrument.code in html) == (bool(year) and school_year_of(r.date) == year), r.instrument.code
        else:
            assert 'role="img"' in html and "<svg" in html and 'id="results-maths"' in html
            assert "LGT-WI-P4" in html and "LGT-WI-P6" in html
        if not named:
            assert "Anouk" not in html


def test_school_staff_of_another_school_get_404_and_nothing_is_audited(city, login, client):
    login(city["staff_b"])
    with assert_audited(count=0, subject_type="pupil"):
        assert client.get(curve_url(city["a0"])).status_code == 404
    with assert_audited(count=1, subject_type="pupil", subjects=[city["b0"].pupil_key]):
        assert client.get(curve_url(city["b0"])).status_code == 200


@pytest.mark.parametrize("role", [Role.YOUTH, Role.PARENT, Role.TUTOR])
def test_unlinked_youth_parent_and_tutor_see_no_curve(role, city, make_user, login, client):
    login(make_user(role))
    assert client.get(curve_url(city["a0"])).status_code == 404


def test_a_school_that_the_pupil_left_sees_results_up_to_the_end_of_its_enrolment(city, login, client):
    moved = Pupil.objects.create(pupil_key="m" * 64, birth_date=datetime.date(2014, 1, 1), sex="M")
    PupilName.objects.create(pupil=moved, first_name="Mo", last_name="Moved")
    Enrolment.objects.create(pupil=moved, school=city["A"], school_year=f"{earlier()[0].year}-{earlier()[1].year}",
                             start_date=earlier()[0], end_date=earlier()[1], grade="P4")
    Enrolment.objects.create(pupil=moved, school=city["B"], school_year=f"{year_start().year}-{year_start().year + 1}",
                             start_date=year_start(), grade="P6")
    make_results(city["p4"], [moved], [230.0], p4_date())
    make_results(city["p6"], [moved], [270.0], clock.today())
    login(city["staff"])
    html = client.get(curve_url(moved)).content.decode()
    assert 'id="visible-until"' in html and "LGT-WI-P4" in html and "LGT-WI-P6" not in html
    client.logout()
    login(city["staff_b"])
    html = client.get(curve_url(moved)).content.decode()
    assert "LGT-WI-P6" in html and 'id="visible-until"' not in html


def test_pupil_page_links_to_the_growth_curve(city, login, client):
    login(city["staff"])
    html = client.get(reverse("site:pupil", args=[city["a0"].pupil_key])).content.decode()
    assert curve_url(city["a0"]) in html


# --- the city's pages -----------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role.values))
def test_norms_and_growth_pages_per_role(role, city, make_user, login, client):
    login(user_for(role, city, make_user))
    norms = client.get(reverse("assessments:norms"))
    assert norms.status_code == (200 if role in NORMS else 403)
    growth = client.get(reverse("assessments:growth"))
    assert growth.status_code == (200 if role in GROWTH else 403)
    for response in (norms, growth):
        if response.status_code == 200:
            html = response.content.decode()
            assert "Anouk" not in html and "Bilal" not in html
            assert not re.search(r"[ab]0{20,}", html), "no pupil key on an aggregate page"
    index = client.get(reverse("assessments:index"))
    assert index.status_code in (302, 403)


def test_norms_page_counts_per_band_with_small_cells_suppressed(city, login, client, make_user):
    nl6 = Instrument.objects.get(code="LGT-NL-6")
    pupils = [city[f"a{i}"] for i in range(26)]
    make_results(nl6, pupils, [100.0] * 22 + [101.0, 102.0, 103.0, 104.0], p4_date())
    login(make_user(Role.CITY_ANALYST))
    with assert_audited(count=1, subject_type="aggregate"):
        html = client.get(reverse("assessments:norms")).content.decode()
    row = re.search(r"<th scope=\"row\">LGT-NL-6<br>.*?</tr>", html, re.S).group(0)
    cells = re.findall(r'<td class="band-cell">(.*?)</td>', row)
    assert cells == ["26", "0", "0", "0", "0"]  # zero names no pupil: shown
    p4 = re.search(r"<th scope=\"row\">LGT-WI-P4<br>.*?</tr>", html, re.S).group(0)
    assert re.findall(r'<td class="band-cell">(.*?)</td>', p4) == ["12"] * 5
    assert "211.8 · 223.6 · 235.4 · 247.2" in p4  # the quintile cut points of 200..259
    nl12 = re.search(r"<th scope=\"row\">LGT-NL-12<br>.*?</tr>", html, re.S).group(0)
    assert "Too few results for a norm" in nl12


def _tutor(city, pupils, *, mode="online", started=None):
    for p in pupils:
        school = city["A"] if p.pupil_key.startswith("a") else city["B"]
        tutoring_match(p, school, subject="maths", started_on=started or (p4_date() + datetime.timedelta(days=100)), mode=mode)


def test_growth_page_suppresses_groups_under_five_and_shows_no_estimate(city, make_user, login, client):
    _tutor(city, [city["a0"], city["a1"], city["a2"]])
    login(make_user(Role.CITY_ANALYST))
    with assert_audited(count=1, subject_type="aggregate"):
        html = client.get(reverse("assessments:growth")).content.decode()
    row = re.search(r'<table[^>]*id="growth-table".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    # tutored and matched under 5; unmatched is 0, which names no pupil
    assert "mathematics" in row and row.count("&lt;5") == 2 and "<td>0</td>" in row and "×" not in row
    assert 'class="estimate"' not in row
    modes = re.search(r'<table[^>]*id="mode-table".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    # 3 online under 5, none face to face (0 is shown)
    assert modes.count("&lt;5") == 1 and "<td>0</td>" in modes and "(" not in re.search(r'class="estimate">(.*?)</td>', modes).group(1)


def test_growth_page_with_enough_tutored_pupils(city, make_user, login, client):
    # 8 tutored pupils whose gain is 10 points (0.57 SD of the P4 norm) above the rest
    tutored = [city[f"a{i}"] for i in range(3, 27, 3)]
    TestResult.objects.filter(pupil__in=tutored, instrument=city["p6"]).update(scale_score=270.0)
    for i, p in enumerate(tutored):
        TestResult.objects.filter(pupil=p, instrument=city["p6"]).update(scale_score=250.0 + 3 * i + 10)
    _tutor(city, tutored[:4], mode="online")
    _tutor(city, tutored[4:], mode="offline")
    login(make_user(Role.PROGRAMME_MANAGER))
    html = client.get(reverse("assessments:growth")).content.decode()
    row = re.search(r'<table[^>]*id="growth-table".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    # 8 tutored = 4 online + 4 face to face: shown, it would pin both small mode cells; so tutored is
    # hidden (×), and matched with it (tutored = matched + 0 unmatched), and the estimate over them
    assert cells[1:4] == ["×", "×", "0"]
    assert 'class="estimate"' not in row
    # 4 online, 4 offline: both under 5, no estimate
    modes = re.search(r'<table[^>]*id="mode-table".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    assert modes.count("&lt;5") == 2


# --- remediation proposals ------------------------------------------------------------------

def test_proposals_for_school_staff_with_both_links_and_audit(city, login, client):
    a29 = city["a29"]
    TestResult.objects.filter(pupil=a29, instrument=city["p4"]).update(scale_score=258.0)  # band A at P4
    TestResult.objects.filter(pupil=a29, instrument=city["p6"]).update(scale_score=253.0)  # band D at P6: down 3 bands
    tutoring_match(city["a0"], city["A"], subject="maths", need_status="waiting")  # already waiting for a tutor
    tutoring_match(city["a1"], city["A"], subject="dutch", need_status="waiting")  # another domain: still proposed
    login(city["staff"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get(reverse("assessments:proposals")).content.decode()
    listed = set(re.findall(r"(Anouk\d+) Test", html))
    assert listed == {f"Anouk{i}" for i in range(1, 12)} | {"Anouk29"}
    assert audit.subjects() == {city[f"a{i}"].pupil_key for i in [*range(1, 12), 29]}
    key = city["a5"].pupil_key
    assert f'href="/tutoring/needs/new/?pupil={key}&amp;subject=maths"' in html
    assert f'href="{reverse("care:request_new")}?pupil_key={key}"' in html
    a29_row = re.search(r"Anouk29 Test.*?</tr>", html, re.S).group(0)
    assert ">D</span>" in a29_row and "<td>A</td>" in a29_row


def test_proposals_for_clb_without_support_link_and_none_for_others(city, login, client, make_user):
    login(city["clb"])
    html = client.get(reverse("assessments:proposals")).content.decode()
    assert "tutoring-link" in html and "support-link" not in html
    client.logout()
    login(city["staff_b"])  # school B's pupils all score high
    html = client.get(reverse("assessments:proposals")).content.decode()
    assert 'id="no-proposals"' in html and "Anouk" not in html
    for role in (Role.CITY_ANALYST, Role.TUTOR, Role.PARENT):
        client.logout()
        login(make_user(role))
        assert client.get(reverse("assessments:proposals")).status_code == 403


# --- entering a result ----------------------------------------------------------------------

def test_school_staff_enter_and_correct_a_result(city, login, client):
    login(city["staff"])
    url = reverse("assessments:result_new")
    a0 = city["a0"]
    nl = Instrument.objects.get(code="LGT-NL-12")
    assert client.get(url, {"pupil_key": a0.pupil_key}).status_code == 200
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[a0.pupil_key]):
        response = client.post(url, {"pupil_key": a0.pupil_key, "instrument": nl.pk, "date": clock.today().isoformat(), "scale_score": "301.5"})
    assert response.status_code == 302 and response["Location"] == curve_url(a0)
    result = TestResult.objects.get(pupil=a0, instrument=nl)
    assert (result.scale_score, result.source, result.entered_by, result.scale_version) == (301.5, "entry", city["staff"], "LGT-2028")
    with assert_audited(count=1, action="update", subject_type="pupil"):
        client.post(url, {"pupil_key": a0.pupil_key, "instrument": nl.pk, "date": clock.today().isoformat(), "scale_score": "305"})
    assert TestResult.objects.get(pupil=a0, instrument=nl).scale_score == 305.0
    assert AuditEntry.objects.filter(action="update").order_by("-id").first().detail["before"]["scale_score"] == 301.5


@pytest.mark.parametrize(("score", "day", "message"), [
    ("451", 0, "The scale score of LGT-NL-12 lies from 100 to 450."),                 # days from today
    ("300", 2, "The date of a test result cannot be in the future."),
    ("300", datetime.date(2010, 1, 4), "The pupil was not enrolled in one of your schools on that date."),
])
def test_entering_a_result_is_checked(city, login, client, score, day, message):
    if isinstance(day, int):  # a number of days from today, counted when the test runs
        day = clock.today() + datetime.timedelta(days=day)
    login(city["staff"])
    nl = Instrument.objects.get(code="LGT-NL-12")
    response = client.post(reverse("assessments:result_new"),
                           {"pupil_key": city["a0"].pupil_key, "instrument": nl.pk, "date": day.isoformat(), "scale_score": score})
    assert response.status_code == 200 and message in response.content.decode()
    assert not TestResult.objects.filter(instrument=nl).exists()


def test_only_school_staff_of_the_pupil_enter_results(city, login, client, make_user):
    url = reverse("assessments:result_new")
    login(city["staff_b"])
    assert client.get(url, {"pupil_key": city["a0"].pupil_key}).status_code == 404
    for role in (Role.CLB_WORKER, Role.CITY_ANALYST, Role.TUTOR, Role.PARENT):
        client.logout()
        login(user_for(role, city, make_user))
        assert client.get(url, {"pupil_key": city["a0"].pupil_key}).status_code == 403


def test_an_old_low_result_is_no_proposal(city, login, client):
    old = Pupil.objects.create(pupil_key="o" * 64, birth_date=datetime.date(2014, 1, 1), sex="M")
    PupilName.objects.create(pupil=old, first_name="Otto", last_name="Old")
    Enrolment.objects.create(pupil=old, school=city["A"], school_year=f"{earlier()[0].year}-{earlier()[1].year}",
                             start_date=earlier()[0], end_date=earlier()[1], grade="P4")
    Enrolment.objects.create(pupil=old, school=city["A"], school_year=f"{year_start().year}-{year_start().year + 1}",
                             start_date=year_start(), grade="P6")
    make_results(city["p4"], [old], [150.0], p4_date())  # band E, but from before the previous school year
    login(city["staff"])
    assert "Otto Old" not in client.get(reverse("assessments:proposals")).content.decode()


@pytest.mark.parametrize(("role", "target"), [
    (Role.SCHOOL_STAFF, "assessments:proposals"), (Role.CLB_WORKER, "assessments:proposals"),
    (Role.CITY_ANALYST, "assessments:growth"), (Role.TUTOR_COORDINATOR, "assessments:growth"),
])
def test_index_sends_each_role_to_its_page(role, target, city, make_user, login, client):
    login(user_for(role, city, make_user))
    response = client.get(reverse("assessments:index"))
    assert response.status_code == 302 and response["Location"] == reverse(target)


def test_result_form_without_a_pupil_explains_where_to_start(city, login, client):
    login(city["staff"])
    html = client.get(reverse("assessments:result_new")).content.decode()
    assert reverse("registry:pupil_list") in html and 'id="result-form"' not in html
