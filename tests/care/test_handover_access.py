"""After a school change, the old school keeps the pupil's history with it, not the new school's data;
the new school sees everything."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.ews.selectors import pupil_page_risk
from leerloopbaan.registry import selectors

from .handover_city import build_city


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
def test_the_new_school_sees_everything(city, who):
    records, extras = _records(city[who], city["lotte"])
    assert records["visible_until"] is None
    assert len(records["enrolments"]) == 3
    assert [(a.school_year, a.school.school_number) for a in records["attestations"]] == [("2023-2024", "100001"), ("2024-2025", "200002")]
    assert [(b.school_year, b.half_days) for b in extras["b_years"]] == [("2024-2025", 5)]


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


def test_the_new_school_page_shows_both_schools(city, login, client):
    login(city["staff_b"])
    html = client.get(f"/registry/pupils/{city['lotte'].pupil_key}/").content.decode()
    assert "School A" in html and "School B" in html and 'id="visible-until"' not in html
    api = client.get(f"/api/v1/pupils/{city['lotte'].pupil_key}/").json()
    assert {e["school_number"] for e in api["enrolments"]} == {"100001", "200002"}


def test_a_pupil_still_at_the_school_is_seen_whole(city):
    records, _extras = _records(city["staff_b"], city["noor"])
    assert records["visible_until"] is None


def test_the_old_school_risk_history_has_only_its_own_scores(city):
    """Risk scores are kept per school: the old school's history has only the scores it gave."""
    from leerloopbaan.ews.models import ModelRun, RiskScore
    from leerloopbaan.ews.selectors import pupil_risk_history

    run = ModelRun.objects.create(version="t1", model_name="logit", path="-")
    for school, day, risk in ((city["A"], datetime.date(2024, 12, 1), 0.3), (city["B"], datetime.date(2025, 3, 1), 0.6)):
        RiskScore.objects.create(pupil=city["lotte"], school=school, reference_date=day, model_run=run, risk=risk, band="medium")
    old = pupil_risk_history(user=city["staff_a"], pupil=city["lotte"])
    new = pupil_risk_history(user=city["staff_b"], pupil=city["lotte"])
    assert [r["score"].school_id for r in old] == [city["A"].pk]
    assert [r["score"].school_id for r in new] == [city["B"].pk]
