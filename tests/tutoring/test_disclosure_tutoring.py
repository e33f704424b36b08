"""The tutoring figures go through one kernel.disclosure release: an attacker who solves for every
suppressed cell from every number on the page (tests/kernel/attacker.py) pins none, small counts and
the shares derived from them are not printed, and the complement a naive page would leak is hidden."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.tutoring.models import Match
from tests.factories import MatchFactory
from tests.kernel.attacker import assert_safe, releases

from .test_needs import make_need, make_pupil, make_tutor
from .test_reports import _english_and_no_cache, at, data, day, ref  # noqa: F401 (fixtures)


def _row(html: str, table: str, label: str) -> list[str]:
    body = re.search(rf'<table[^>]*id="{table}".*?</table>', html, re.S).group(0)
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', body, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row)


@pytest.fixture
def page(client, login, make_user, monkeypatch):
    the_day = ref()
    monkeypatch.setattr(clock, "today", lambda: the_day)

    def _get(role=Role.PROGRAMME_MANAGER, user=None):
        login(user or make_user(role))
        cache.clear()
        with releases() as got:
            response = client.get("/tutoring/reports/")
        assert response.status_code == 200
        return response.content.decode(), got
    return _get


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER])
def test_the_report_page_is_safe_against_an_attacker(role, data, page):  # noqa: F811 (the fixture)
    html, got = page(role)
    assert len(got) == 1, "one release for the whole page"
    assert_safe(got)
    # Hoboken has 3 pupils in scope; Deurne's 9 would follow from the city's 12 minus 3
    hoboken, deurne, city = (_row(html, "participation-table", x) for x in ("Hoboken", "Deurne", "City"))
    assert hoboken[0] == "&lt;5" and hoboken[3] == "&lt;5"
    assert deurne[0] == "×" and city[0] == "12"
    # 3 participants, 3 waiting, 4 tutors in a retention cohort: none printed, nor their shares
    assert city[2] == "&lt;5" and city[3] == "&lt;5"
    assert _row(html, "waiting-table", "City") == ["&lt;5"]
    retention = _row(html, "retention-table", "Initiative X")
    assert retention == ["&lt;5", "&lt;5", "&lt;5", "&lt;5"] and "75%" not in html and "33%" not in html


def test_a_small_initiative_cannot_be_worked_out_from_the_city_total(data, page):  # noqa: F811 (the fixture)
    w = data
    Match.objects.filter(tutor__initiative=w["Y"], need__pupil=w["a1"]).delete()
    tx = make_tutor(w["X"], "Xtra", capacity=3, approved_at=at(10))
    for i in range(5):
        pupil = make_pupil(w["A"], f"Extra{i}", oki=2)
        need = make_need(pupil, w["A"], status="matched", created_at=at(30))
        MatchFactory(need=need, tutor=tx, started_on=day(10))
    html, got = page()
    assert_safe(got)
    # 8 participants in the city, 1 with Initiative Y: a naive page shows X = 7, and Y = 8 - 7
    assert _row(html, "participation-table", "City")[2] == "8"
    assert _row(html, "initiative-table", "Initiative Y")[0] == "&lt;5"
    assert _row(html, "initiative-table", "Initiative X")[0] == "×"


def test_a_coordinator_page_is_safe_too(data, page):  # noqa: F811 (the fixture)
    html, got = page(user=data["cx"])
    assert_safe(got)
    assert "Initiative Y" not in html and _row(html, "waiting-table", "City") == ["&lt;5"]
