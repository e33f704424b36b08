"""Disclosure control of the early warning's aggregate pages: the city dashboard and the school
portrait as seen outside the school. Each page publishes one release, and an attacker who solves
for every suppressed cell from every figure on the page (tests/kernel/attacker.py) pins none."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.disclosure import HIDDEN, SMALL
from leerloopbaan.registry.outflow import report as flows
from tests.kernel.attacker import assert_safe, releases

from .test_city_dashboard import YEAR, cells, small_city  # noqa: F401
from .test_roles_ews import city, user_for  # noqa: F401

pytestmark = pytest.mark.django_db


def _get(client, url, params=None):
    cache.clear()
    with releases() as got:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode(), got


@pytest.mark.parametrize("by", ["district", "network", "track", "school"])
@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER])
def test_city_dashboard_pins_no_suppressed_cell(small_city, make_user, login, role, by):  # noqa: F811
    c = login(make_user(role))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body, got = _get(c, reverse("ews:city_dashboard"), {"by": by})
    # the leavers' figures are the outflow's release of the year (every grouping, the trajectories);
    # the risk figures one release with every grouping: the same whichever grouping is asked for
    assert sorted(p.release.name for p in got) == ["city dashboard risk", f"outflow {YEAR}", "outflow 2022-2023"]
    assert_safe(got)
    # Deurne / CITY / school 100004: 3 leavers of whom 1 unqualified; never 3, 1 or the rate 33.3%
    assert "33.3%" not in body and "33,3%" not in body
    release = next(p for p in got if p.release.name.startswith("outflow")).release
    assert release.counts[flows.key("leavers", YEAR)] == 22


def test_city_dashboard_hides_the_complement_of_a_small_group(small_city, make_user, login):  # noqa: F811
    c = login(make_user(Role.CITY_ANALYST))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body, got = _get(c, reverse("ews:city_dashboard"), {"by": "district"})
    rows = {r[0]: r[1:] for r in cells(body, "city-groups")[2:]}
    # a naive page shows Antwerpen 14, Berchem 5, city 22 -> Deurne = 3: one of them is hidden
    assert rows["Deurne"][:3] == ["&lt;5", "&lt;5", "–"]
    assert "×" in (rows["City"][0], rows["Antwerpen"][0], rows["Berchem"][0])
    # unqualified 6 = 5 (Antwerpen) + 0 (Berchem) + 1 (Deurne): the 5 cannot be printed either
    assert rows["Antwerpen"][1] == "×" and rows["City"][1] == "×"
    pub = next(p for p in got if p.release.name.startswith("outflow"))
    assert pub[flows.key("unqualified", YEAR, "district", "Deurne")].state == SMALL
    assert HIDDEN in {pub[flows.key("leavers", YEAR, "district", d)].state for d in ("Berchem", "Antwerpen")} | {
        pub[flows.key("leavers", YEAR)].state}
    # the trend's current year is the same population: its Deurne rate is suppressed too
    assert pub[flows.key("rate", YEAR, "district", "Deurne")].value is None
    # the trajectories: Latijn (3 leavers) is pooled and never printed; the pooled row is <5
    trajectories = cells(body, "city-trajectories")
    assert "Latijn" not in body and trajectories[-1][1:4] == ["&lt;5", "&lt;5", "&lt;5"]


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.CLB_WORKER])
def test_portrait_outside_the_school_pins_no_suppressed_cell(city, make_user, login, client, role):  # noqa: F811
    login(user_for(role, city, make_user))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html, got = _get(client, f"/ews/portrait/100/?year={city['year']}")
    assert len(got) == 1, "one release for the whole portrait"
    assert_safe(got)
    # School A: 2 of 8 scored pupils in the high band (25%), 3 medium, 3 low: all suppressed
    figures = {r[0]: r[1:] for r in cells(html, "portrait-figures")[1:]}
    assert figures["High risk"][0] == "&lt;5" and figures["Medium risk"][0] == "&lt;5"
    assert figures["Pupils scored"][0] == "8" and "25%" not in html
    assert figures["High risk"][2] == "&lt;5"
    pub = got[0]
    assert pub[("portrait", city["year"], "school", "high")].state == SMALL
    # the city column's high band is a small count too, and so is not printed as a share
    assert pub[("portrait", city["year"], "city", "high")].state == SMALL


def test_portrait_pdf_outside_the_school_is_one_safe_release(city, make_user, login, client):  # noqa: F811
    login(user_for(Role.CITY_ANALYST, city, make_user))
    cache.clear()
    with releases() as got:
        response = client.get(f"/ews/portrait/100/pdf/?year={city['year']}")
    assert response.status_code == 200 and len(got) == 1
    assert_safe(got)


def test_staff_of_the_school_see_their_own_column(city, make_user, login, client):  # noqa: F811
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html, got = _get(client, f"/ews/portrait/100/?year={city['year']}")
    assert_safe(got)
    figures = {r[0]: r[1:] for r in cells(html, "portrait-figures")[1:]}
    assert figures["High risk"][0] == "25%"
    # the city column is the whole city: its high band is A's own 2 and B's 2; 4 is a small count,
    # and the staff, who know their own 2, would read B's 2 from it
    assert figures["Pupils scored"][2] == "16"
    assert figures["High risk"][2] == "&lt;5"
    pub = got[0]
    assert pub.release.known and all(k[2] == "school" for k in pub.release.known)


def test_city_trend_draws_shown_rates(small_city, make_user, login):  # noqa: F811
    school = small_city.schools["100004"]  # Deurne: 3 + 10 leavers, 1 + 5 unqualified
    for i in range(10):
        small_city.pupil(school, track="ASO", programme="Latijn", qualified=i >= 5)
    c = login(make_user(Role.CITY_ANALYST))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body, got = _get(c, reverse("ews:city_dashboard"), {"by": "district"})
    assert_safe(got)
    rows = {r[0]: r[1:] for r in cells(body, "city-groups")[2:]}
    assert rows["Antwerpen"][:3] == ["14", "5", "35.7%"] and rows["Deurne"][:3] == ["13", "6", "46.2%"]
    assert 'id="city-trend-chart"' in body and 'id="city-groups-chart"' in body
    trend = {r[0]: r[1:] for r in cells(body, "city-trend")[1:]}
    assert trend["Antwerpen"] == ["35.7%"] and trend["Deurne"] == ["46.2%"]
