"""The norms and growth pages of the learning-gain tests go through one kernel.disclosure release
each: an attacker who solves for every suppressed cell from every number on the page pins none,
small counts (and the estimates over them) are not printed, and the complement a naive page leaks is
hidden."""

from __future__ import annotations

import datetime
import re

from django.core.cache import cache
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.models import Instrument, TestResult
from tests.kernel.attacker import assert_safe, releases

from .conftest import make_results, p4_date, tutoring_match


def _get(client, login, user, name):
    login(user)
    cache.clear()
    with releases() as got:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode(), got


def _band_cells(html, code):
    row = re.search(rf'<th scope="row">{code}<br>.*?</tr>', html, re.S).group(0)
    return re.findall(r'<td class="band-cell">(.*?)</td>', row)


def test_norms_page_is_safe_and_hides_a_second_band(city, make_user, login, client):
    # 30 results: 3 low ones, 27 tied at every cut point: band E holds 3, band A 27, B to D none
    nl6 = Instrument.objects.get(code="LGT-NL-6")
    scores = [1.0, 2.0, 3.0] + [50.0] * 27
    make_results(nl6, [city[f"a{i}"] for i in range(30)], scores, p4_date())
    html, got = _get(client, login, make_user(Role.CITY_ANALYST), "assessments:norms")
    assert len(got) == 1
    assert_safe(got)
    cells = _band_cells(html, "LGT-NL-6")
    # a naive page shows 27, 0, 0, 0 and the total 30, and E = 30 - 27
    assert cells == ["×", "0", "0", "0", "&lt;5"]
    assert re.search(r'<th scope="row">LGT-NL-6<br>.*?<td>30</td>', html, re.S)
    assert _band_cells(html, "LGT-WI-P4") == ["12"] * 5


def _tutor(city, pupils, mode):
    for p in pupils:
        school = city["A"] if p.pupil_key.startswith("a") else city["B"]
        tutoring_match(p, school, subject="maths", started_on=p4_date() + datetime.timedelta(days=100), mode=mode)


def _table(html, name):
    return re.search(rf'<table[^>]*id="{name}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)


def test_growth_page_hides_the_total_that_gives_away_small_mode_counts(city, make_user, login, client):
    tutored = [city[f"a{i}"] for i in range(3, 27, 3)]   # 8 pupils: 4 online, 4 face to face
    for i, p in enumerate(tutored):
        TestResult.objects.filter(pupil=p, instrument=city["p6"]).update(scale_score=250.0 + 3 * i + 10)
    _tutor(city, tutored[:4], "online")
    _tutor(city, tutored[4:], "offline")
    html, got = _get(client, login, make_user(Role.CITY_ANALYST), "assessments:growth")
    assert_safe(got)
    row, modes = _table(html, "growth-table"), _table(html, "mode-table")
    # a naive page prints 8 tutored beside "<5" online and "<5" face to face: both would be 4
    assert re.findall(r"<td>(.*?)</td>", modes)[1:3] == ["&lt;5", "&lt;5"]
    assert "<td>8</td>" not in row and "<td>4</td>" not in modes
    assert 'class="estimate"' not in row and "<svg" not in html


def test_growth_page_with_large_groups_shows_the_estimate_safely(city, make_user, login, client):
    tutored = [city[f"a{i}"] for i in range(0, 30, 3)] + [city[f"b{i}"] for i in range(0, 30, 3)]  # 20 pupils
    for i, p in enumerate(tutored):
        TestResult.objects.filter(pupil=p, instrument=city["p6"]).update(scale_score=250.0 + i + 10)
    _tutor(city, tutored[:10], "online")
    _tutor(city, tutored[10:], "offline")
    html, got = _get(client, login, make_user(Role.PROGRAMME_MANAGER), "assessments:growth")
    assert_safe(got)
    row = _table(html, "growth-table")
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[1] == "20"
    assert re.search(r'class="estimate">[-0-9.]+ \([-0-9.]+ to [-0-9.]+\)', row) and "<svg" in html
