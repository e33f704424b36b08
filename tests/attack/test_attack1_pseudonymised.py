"""Attack 1: re-identification by a city analyst over everything the API shows of a pupil (list + detail)."""

from __future__ import annotations

import collections

import pytest

from leerloopbaan.accounts.roles import Role
from tests.registry.conftest import _example_key  # noqa: F401 - the pseudonym key of the registry tests
from tests.registry.test_pseudonymised import api_rows, demo_city, qi  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(databases="__all__")


def test_the_history_a_city_analyst_sees_keeps_every_pupil_in_a_group_of_five(demo_city, make_user, login):  # noqa: F811
    """The released five values are 5-anonymous, but the detail adds the school and grade of every earlier
    school year and each attestation: over what one analyst reads, a pupil must still share it with 4 others."""
    client = login(make_user(Role.CITY_ANALYST))
    rows = api_rows(client)
    seen = {}
    for row in rows:
        data = client.get(f"/api/v1/pupils/{row['pupil_key']}/").json()
        years = tuple((y["school_year"], y["school"], y["grade"]) for y in data["years"])
        atts = tuple((a["school_year"], a["grade"], a["result"], a["qualification"]) for a in data["attestations"])
        seen[row["pupil_key"]] = (qi(row), years, atts)
    groups = collections.Counter(seen.values())
    unique = sum(1 for v in seen.values() if groups[v] == 1)
    small = sum(1 for v in seen.values() if groups[v] < 5)
    assert small == 0, f"{small} of {len(seen)} pupils in a group < 5 over list+detail ({unique} unique)"
