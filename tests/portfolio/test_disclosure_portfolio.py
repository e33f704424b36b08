"""The city's talent portfolio figures go through one kernel.disclosure release: an attacker who
solves for every suppressed cell from every number on the page pins none, and the district a naive
page would leak through the city total is hidden."""

from __future__ import annotations

import re

from django.core.cache import cache
from django.urls import reverse

from leerloopbaan.portfolio.models import Portfolio
from tests.factories import EnrolmentFactory, PupilFactory, SchoolFactory, pupil_key, this_school_year
from tests.kernel.attacker import assert_safe, releases


def _cells(html, district):
    row = re.search(rf'<th scope="row" class="fw-normal">{district}</th>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="text-end">(.*?)</td>', row)


def test_city_figures_are_safe_and_hide_the_complement(attested, client, make_user):
    from leerloopbaan.kernel import clock

    a = SchoolFactory(school_number="100", name="School A", district="Deurne")
    b = SchoolFactory(school_number="200", name="School B", district="Hoboken")
    start = clock.today().replace(day=1)
    EnrolmentFactory(pupil=attested["pupil"], school=a, school_year=this_school_year(), start_date=start)
    for school, n in ((a, 11), (b, 3)):
        for i in range(n):
            p = PupilFactory(pupil_key=pupil_key(f"{school.school_number}-{i}"))
            EnrolmentFactory(pupil=p, school=school, school_year=this_school_year(), start_date=start)
            Portfolio.objects.create(pupil=p, display_name=f"P{i}")
    client.force_login(make_user("city_analyst"))
    cache.clear()
    with releases() as got:
        response = client.get(reverse("portfolio:city_figures"))
    assert response.status_code == 200
    assert len(got) == 1
    assert_safe(got)
    html = response.content.decode()
    deurne, hoboken = _cells(html, "Deurne"), _cells(html, "Hoboken")
    # Hoboken: 3 portfolios; Deurne 12, one young person with 1 credential
    assert hoboken[0] == "&lt;5" and deurne[1] == "&lt;5" and deurne[2] == "&lt;5"
    total = re.search(r'id="total-portfolios">(.*?)</td>', html).group(1)
    # a naive page prints 12 and the total 15: Hoboken = 3
    assert "×" in (deurne[0], total) and not (deurne[0] == "12" and total == "15")
    assert re.search(r'id="total-credentials">(.*?)</td>', html).group(1) == "&lt;5"
