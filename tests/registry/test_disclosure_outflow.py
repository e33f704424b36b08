"""The outflow figures (page, command) and the home page's city figure go through kernel.disclosure:
no count from 1 to 4 (numerators too) or rate derived from one is shown, and no suppressed count can
be worked out from the figures of a page, or of the outflow pages of one year taken together."""

from __future__ import annotations

import datetime
import html
import io
import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry.models import Enrolment
from leerloopbaan.registry.outflow import report as flows
from tests.ews.test_city_dashboard import NEXT, SCHOOLS, YEAR, City, cells
from tests.factories import AttestationFactory, EnrolmentFactory, PupilFactory
from tests.kernel.attacker import assert_safe, attack, releases

pytestmark = pytest.mark.django_db

EARLIER = "2020-2021"


def earlier_leaver(world: City, school, *, qualified: bool) -> None:
    """A leaver of the school year before YEAR (S6, left in June 2021)."""
    world.counter += 1
    p = PupilFactory(pupil_key=f"{world.counter:04d}feedface{world.counter:04d}", birth_date=datetime.date(2002, 3, 1), sex="M")
    EnrolmentFactory(pupil=p, school=school, school_year=EARLIER, end_date=datetime.date(2021, 6, 30), grade="S6", track="TSO",
                     programme="Handel", end_reason="qualified" if qualified else "left")
    if qualified:
        AttestationFactory(pupil=p, school=school, school_year=EARLIER, grade="S6", result="A", qualification="secondary_diploma")


@pytest.fixture
def world():
    """The city dashboard's small city (YEAR: Antwerpen 14 leavers of whom 5 unqualified, Berchem 5/0,
    Deurne 3/1; school 100001 8/2) and an earlier year with 3 leavers (1 unqualified)."""
    c = City()
    for number, _d, _n, track, programme, n, unqualified in SCHOOLS:
        for i in range(n):
            c.pupil(c.schools[number], track=track, programme=programme, qualified=i >= unqualified)
    for _i in range(2):  # still at school: enrolled in NEXT, not leavers
        c.pupil(c.schools["100001"], track="TSO", programme="Handel", leaves=False)
    for qualified in (False, True, True):
        earlier_leaver(c, c.schools["100001"], qualified=qualified)
    cache.clear()
    return c


def page(client, **params):
    cache.clear()  # a cached page publishes nothing
    return client.get(reverse("registry:outflow"), params).content.decode()


def table(body, table_id):
    return {r[0]: [html.unescape(c) for c in r[1:]] for r in cells(body, table_id)[1:]}


def test_raw_figures_of_the_world(world):
    # what a naive page showed: every group of 5 and more, and the totals
    assert [(r.group, r.leavers, r.unqualified) for r in flows.outflow(YEAR, by="district")] == [
        ("Antwerpen", 14, 5), ("Berchem", 5, 0), ("Deurne", 3, 1)]
    assert flows.outflow(YEAR)[0].leavers == 22
    assert (flows.outflow(EARLIER)[0].leavers, flows.outflow(EARLIER)[0].unqualified) == (3, 1)


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER])
@pytest.mark.parametrize("by", flows.DIMENSIONS)
def test_every_outflow_page_is_safe(world, make_user, login, role, by):
    client = login(make_user(role))
    with releases() as got:
        body = page(client, school_year=YEAR, by=by)
    assert_safe(got)
    assert 'id="outflow-groups"' in body and 'id="outflow-years"' in body


def test_district_page_hides_small_counts_their_rates_and_a_complement(world, make_user, login):
    body = page(login(make_user(Role.CITY_ANALYST)), school_year=YEAR, by="district")
    groups, years = table(body, "outflow-groups"), table(body, "outflow-years")
    assert groups["Deurne"] == ["<5", "<5", "<5"]  # 3 leavers, 1 unqualified
    # Antwerpen's 5 unqualified are 2 + 3 of two schools: hidden, or a reader of the school page pins them
    assert groups["Antwerpen"][1:] == ["×", "×"]
    # the naive page showed the year total 22 and Berchem 5: Deurne = 22 - 14 - 5 = 3
    shown = [years[YEAR][0], groups["Berchem"][0], groups["Antwerpen"][0]]
    assert "×" in shown, (years[YEAR], groups["Berchem"])
    # the earlier year: 3 leavers, 1 unqualified, and its rate (33 %) are not shown, nor drawn
    assert years[EARLIER] == ["<5", "<5", "<5"]
    assert "33%" not in body and f"<title>{EARLIER}" not in body


def test_school_page_hides_a_small_numerator_beside_a_large_group(world, make_user, login):
    body = page(login(make_user(Role.CITY_ANALYST)), school_year=YEAR, by="school")
    groups = table(body, "outflow-groups")
    assert groups["100001"][1:] == ["<5", "<5"]  # 2 unqualified of 8: neither 2 nor 25 % shown
    assert "25%" not in body
    assert groups["100004"] == ["<5", "<5", "<5"]


def test_the_pages_of_one_year_together_are_safe(world, make_user, login):
    """Asked by school, district, network and track in turn, the pages publish one table: a reader
    who puts them side by side (a school lies in one district and one network) pins nothing."""
    client = login(make_user(Role.CITY_ANALYST))
    with releases() as got:
        bodies = {by: page(client, school_year=YEAR, by=by) for by in flows.DIMENSIONS}
    assert_safe(got)
    seen: dict = {}
    for published in got:  # every request publishes a figure in one state
        for k in published.release.counts:
            assert seen.setdefault(k, published[k].state) == published[k].state, k
    assert all(table(b, "outflow-years") == table(bodies["school"], "outflow-years") for b in bodies.values())


def test_attacker_pins_the_old_page(world):
    """The check is not vacuous: the old page's rule (hide groups under 5, nothing else) is pinned."""
    from leerloopbaan.kernel.disclosure import SHOWN, SMALL, Published, Release, is_small

    release = Release("old outflow page")
    flows.declare(release, YEAR, flows.leavers(YEAR))
    old = Published(release, {k: SMALL if is_small(v) else SHOWN for k, v in release.counts.items()})
    pinned = [k for k, (low, high) in attack(old).items() if low == high]
    assert flows.key("leavers", YEAR, "district", "Deurne") in pinned


def test_command_keeps_the_cli_contract(world):
    """The command is the operator's interface (the CLI contract): groups under 5 leavers show <5,
    the others their numbers; it is not a publication and does not use the page's release."""
    out = io.StringIO()
    call_command("outflow", "--school-year", YEAR, "--by", "district", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "group,leavers,unqualified,rate"
    rows = {line.split(",")[0]: line.split(",")[1:] for line in lines[1:]}
    raw = {r.group: r for r in flows.outflow(YEAR, by="district")}
    assert rows["Deurne"] == ["<5", "<5", "<5"]
    for group, row in raw.items():
        if row.leavers >= 5:
            assert rows[group][:2] == [str(row.leavers), str(row.unqualified)], group


def test_home_page_city_figure(world, make_user, login):
    client = login(make_user(Role.CITY_ANALYST))
    with time_machine.travel(datetime.datetime(2022, 10, 3, 12, 0), tick=False):
        with releases() as got:
            cache.clear()
            body = client.get("/").content.decode()
    assert_safe(got)
    assert Enrolment.objects.filter(school_year=NEXT, end_date__isnull=True).count() == 2
    city = body[body.index('id="city-summary"'):]
    figures = re.findall(r'<div class="figure-big">(.*?)</div>', city)
    assert figures[1] == "&lt;5"
