"""Adversarial tests of disclosure control: what a reader of several pages (or of one page with
relations it does not declare) can work out. Each test failed before its fix."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from tests.ews.test_city_dashboard import YEAR, small_city  # noqa: F401
from tests.kernel.attacker import bounds_of

pytestmark = pytest.mark.django_db


def collect(client, requests):
    from tests.kernel.attacker import releases
    out = []
    for url, params in requests:
        cache.clear()
        with releases() as got:
            response = client.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)
        out.extend(got)
    return out


def union_attack(published, extra_relations=(), threshold=5):
    known, suppressed, relations = {}, {}, []
    for pub in published:
        relations.extend(pub.release.relations)
        for key in pub.release.counts:
            f = pub[key]
            if f.shown:
                known[key] = f.value
    for pub in published:
        for key in pub.release.counts:
            if key in known:
                continue
            f = pub[key]
            lo, hi = (1, threshold - 1) if f.small else (threshold, None)
            old = suppressed.get(key)
            if old is not None:
                lo, hi = max(lo, old[0]), (hi if old[1] is None else old[1] if hi is None else min(hi, old[1]))
            suppressed[key] = (lo, hi)
    relations = list(relations) + list(extra_relations)
    # relations must only name keys somebody declared
    names = set(known) | set(suppressed)
    relations = [(t, p) for t, p in relations if t in names and all(x in names for x in p)]
    return {k: v for k, v in bounds_of(known, suppressed, relations).items() if v[0] >= v[1]}


def _nesting(year):
    """What a reader knows without any page: the district and network of every school (the API
    lists them), so a district's figures are the sum of its schools' on every page."""
    from leerloopbaan.registry.models import School

    schools = list(School.objects.values_list("school_number", "district", "network"))
    out = []
    for dim, idx in (("district", 1), ("network", 2)):
        for value in {s[idx] for s in schools}:
            members = [s[0] for s in schools if s[idx] == value]
            for part in ("n", "u", "q"):
                out.append((("vsv", year, dim, value, part), [("vsv", year, "school", m, part) for m in members]))
            for part in ("scored", "high", "not high"):
                out.append((("risk", dim, value, part), [("risk", "school", m, part) for m in members]))
    return out


def _same_population(published):
    """The outflow page and the dashboard count the same leavers: relate their keys."""
    out = []
    for pub in published:
        for k in pub.release.counts:
            if k[0] == "outflow" and k[1] in ("leavers", "unqualified", "qualified"):
                part = {"leavers": "n", "unqualified": "u", "qualified": "q"}[k[1]]
                out.append((("vsv", k[2], "city", part) if k[3] == "all" else ("vsv", k[2], k[3], k[4], part), [k]))
    return out


def _small(published):
    return {k for p in published for k in p.release.counts if p[k].small}


def test_city_dashboard_grouped_two_ways_pins_nothing(small_city, make_user, login):  # noqa: F811
    """Finding: the dashboard published one release per ``by``; the risk table by district hid the
    city's high band, by network showed it (6): Antwerpen (hidden, >= 5) + Deurne (<5) = 6 pins
    Deurne at 1 from two requests of the same analyst."""
    c = login(make_user(Role.CITY_ANALYST))
    url = reverse("ews:city_dashboard")
    got = collect(c, [(url, {"by": by}) for by in ("district", "network", "track", "school")])
    pinned = union_attack(got, _nesting(YEAR))
    assert {k: v for k, v in pinned.items() if k in _small(got)} == {}


def test_city_dashboard_beside_the_outflow_page_pins_nothing(small_city, make_user, login):  # noqa: F811
    """Finding: the dashboard's group table and the outflow page show the same leavers, published
    twice with different complements; by school, the two pages together pin school 100004 at 3."""
    c = login(make_user(Role.CITY_ANALYST))
    for by in ("district", "network", "school", "track"):
        got = collect(c, [(reverse("ews:city_dashboard"), {"by": by}), (reverse("registry:outflow"), {"by": by})])
        pinned = union_attack(got, _same_population(got) + _nesting(YEAR))
        assert {k: v for k, v in pinned.items() if k in _small(got)} == {}, by
