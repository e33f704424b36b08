"""After a school change, the old school keeps the pupil's history with it, not the new school's data;
the new school sees the pupil's records from the first day of its enrolment on. The earlier history
reaches the new school only inside the warm handover's own view (what the sending school handed over,
the support under consent), never on the pupil page or the API (issue 14.1)."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.models import Consent
from leerloopbaan.care.handovers import services
from leerloopbaan.care.models import Handover, SupportRequest
from leerloopbaan.ews.selectors import pupil_page_risk
from leerloopbaan.kernel import clock
from leerloopbaan.registry import selectors
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import School

from .handover_city import LOTTE, build_city, first_set, pupil_of, second_set

FIRST_DAY_B = datetime.date(2025, 1, 20)  # Lotte's first day at school B


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PSEUDONYM_KEY = "example"
    settings.HANDOVER_LOOKBACK_DAYS = 100_000


@pytest.fixture
def city(db, tmp_path, make_user):
    return build_city(tmp_path, make_user)


def _records(user, pupil):
    """The registry's and the early warning's panels of the pupil page, for the pupil scoped once."""
    subject = selectors.pupil_subject(user=user, pupil_key=pupil.pupil_key)
    return selectors.pupil_page_record(subject), pupil_page_risk(subject)


@pytest.mark.parametrize("who", ["staff_a", "clb_x"])
def test_the_old_school_sees_the_history_at_the_old_school_only(city, who):
    records, extras = _records(city[who], city["lotte"])
    assert records["visible_until"] == datetime.date(2025, 1, 17)
    assert {e.school.school_number for e in records["enrolments"]} == {"100001"}
    assert len(records["enrolments"]) == 2
    assert [(a.school_year, a.school.school_number) for a in records["attestations"]] == [("2023-2024", "100001")]
    assert sum(n for _m, n in extras["absence_months"]) == 2
    assert all(m <= "2025-01" for m, n in extras["absence_months"] if n)
    assert [(b.school_year, b.half_days) for b in extras["b_years"]] == [("2024-2025", 2)]
    assert all("School B" not in ev.text for ev in records["timeline"])


@pytest.mark.parametrize("who", ["staff_b", "clb_y"])
def test_the_new_school_sees_nothing_before_its_first_day(city, who):
    records, extras = _records(city[who], city["lotte"])
    assert records["visible_until"] is None
    assert [(e.school.school_number, e.start_date) for e in records["enrolments"]] == [("200002", FIRST_DAY_B)]
    assert [(a.school_year, a.school.school_number) for a in records["attestations"]] == [("2024-2025", "200002")]
    assert all(c.as_of <= FIRST_DAY_B for c in records["characteristics"])  # the situation on arrival only
    assert all(ev.date >= FIRST_DAY_B and "School A" not in ev.text for ev in records["timeline"])
    # the absences at school A (October 2024) are not shown, nor counted in the B half days
    assert all(m >= "2025-01" for m, n in extras["absence_months"] if n)
    assert sum(n for _m, n in extras["absence_months"]) == 3
    assert [(b.school_year, b.half_days) for b in extras["b_years"]] == [("2024-2025", 3)]


def test_the_old_school_page_and_api_leave_out_the_new_school(city, login, client):
    login(city["staff_a"])
    page = client.get(f"/registry/pupils/{city['lotte'].pupil_key}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "School A" in html and "School B" not in html and "Lotte" in html and 'id="visible-until"' in html
    assert "2100" not in html  # not the pupil's current postcode either
    api = client.get(f"/api/v1/pupils/{city['lotte'].pupil_key}/").json()
    assert api["postcode"] == ""
    assert {e["school_number"] for e in api["enrolments"]} == {"100001"}
    assert {a["school_number"] for a in api["attestations"]} == {"100001"}


def _panel(html: str, name: str, part: str = "panel") -> str:
    start = html.index(f'id="{part}-{name}"')
    end = html.find('class="pupil-panel', start + 1)
    return html[start:end if end != -1 else len(html)]


def test_the_new_school_page_and_api_start_at_its_first_day(city, login, client):
    login(city["staff_b"])
    html = client.get(f"/registry/pupils/{city['lotte'].pupil_key}/").content.decode()
    record = _panel(html, "registry")
    assert "School B" in record and 'id="visible-until"' not in record
    assert "School A" not in record and "2023-2024" not in record and "2024-09-02" not in record and "02-09-2024" not in record
    # the page points at the warm handover (not its content): the care panel's link
    handover = Handover.objects.get(pupil=city["lotte"])
    assert f'href="/care/handovers/{handover.pk}/"' in _panel(html, "care", "summary")
    api = client.get(f"/api/v1/pupils/{city['lotte'].pupil_key}/").json()
    assert {e["school_number"] for e in api["enrolments"]} == {"200002"}
    assert {a["school_number"] for a in api["attestations"]} == {"200002"}


@pytest.fixture
def handed_over(db, tmp_path, make_user):
    """Lotte's school change with support at school A that a parent consented to hand over, and what
    helped written by school A."""
    assert import_paths([first_set(tmp_path / "one")]).ok
    lotte, a = pupil_of(LOTTE), School.objects.get(school_number="100001")
    SupportRequest.objects.create(school=a, pupil=lotte, subject_level="pupil", name_attached=True, description="secret question",
                                  status="in_progress", assigned_kind="clb", clb=a.clb)
    Consent.objects.create(pupil=lotte, given_by="parent", what="support in a handover", to_whom="the new school",
                           categories=["support", "what_helped"],  # no recipient: the school, CLB and city team
                           valid_until=clock.today() + datetime.timedelta(days=365))
    assert import_paths([second_set(tmp_path / "two")]).ok
    b = School.objects.get(school_number="200002")
    staff_a = make_user(Role.SCHOOL_STAFF, school=a)
    handover = Handover.objects.get(pupil=lotte)
    services.handover_note_what_helped(user=staff_a, handover=handover, version=handover.version, text="Een vaste mentor")
    return {"lotte": lotte, "handover": handover, "staff_b": make_user(Role.SCHOOL_STAFF, school=b),
            "clb_y": make_user(Role.CLB_WORKER, clb=b.clb), "clb_x": make_user(Role.CLB_WORKER, clb=a.clb)}


@pytest.mark.parametrize("who", ["staff_b", "clb_y"])
def test_the_handover_view_shows_the_new_school_what_was_handed_over(handed_over, who, login, client):
    login(handed_over[who])
    html = client.get(f"/care/handovers/{handed_over['handover'].pk}/").content.decode()
    assert "School A" in html and "17-01-2025" in html  # where the pupil came from, and when they left (a Dutch date)
    assert "Een vaste mentor" in html  # what helped, written by the sending school
    support = html[html.index('id="handover-support"'):]
    support = support[:support.index("</ul>")]
    assert "<li>" in support and "empty-state" not in support  # the support a parent consented to hand over
    assert "secret question" not in html  # never the question itself
    # the pupil page of the same user still starts at the first day at school B
    record = _panel(client.get(f"/registry/pupils/{handed_over['lotte'].pupil_key}/").content.decode(), "registry")
    assert "School A" not in record and "2023-2024" not in record


def test_the_handover_view_is_not_for_the_old_schools_clb(handed_over, login, client):
    login(handed_over["clb_x"])
    assert client.get(f"/care/handovers/{handed_over['handover'].pk}/").status_code == 404


def test_a_pupil_still_at_the_school_is_seen_whole(city):
    records, _extras = _records(city["staff_b"], city["noor"])
    assert records["visible_until"] is None


def test_the_old_school_risk_history_has_only_its_own_scores(city):
    """Risk scores are kept per school: the old school's history has only the scores it gave."""
    from leerloopbaan.ews.models import ModelRun, RiskScore
    from leerloopbaan.ews.selectors import pupil_risk_history

    run = ModelRun.objects.create(version="t1", model_name="logit", path="-", approved=True)
    for school, day, risk in ((city["A"], datetime.date(2024, 12, 1), 0.3), (city["B"], datetime.date(2025, 3, 1), 0.6)):
        RiskScore.objects.create(pupil=city["lotte"], school=school, reference_date=day, model_run=run, risk=risk, band="medium")
    old = pupil_risk_history(user=city["staff_a"], pupil=city["lotte"])
    new = pupil_risk_history(user=city["staff_b"], pupil=city["lotte"])
    assert [r["score"].school_id for r in old] == [city["A"].pk]
    assert [r["score"].school_id for r in new] == [city["B"].pk]
