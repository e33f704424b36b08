"""Hostile numbers in URLs, query strings and form fields: a clear 404 or form error, never a 500.

A number larger than the database's integer (SQLite raises OverflowError on a 64-bit overflow) used to
crash the pupil list's page, the API's offset, the credential download and the share form."""

from __future__ import annotations

import pytest

from tests.ews.test_roles_ews import city as ews_city  # noqa: F401 (fixture)
from tests.foundation.test_route_audit import portfolio_world, staff_of  # noqa: F401 (fixtures)
from tests.portfolio.conftest import attested, city_user, make_issuer, make_youth, skill  # noqa: F401 (fixtures)

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("url", [f"/registry/pupils/?page={HUGE}", f"/api/v1/pupils/?offset={HUGE}",
                                 f"/api/v1/pupils/?offset={HUGE}&limit={HUGE}"])
def test_a_huge_page_or_offset_is_an_empty_page(url, ews_city, make_user, login, client):  # noqa: F811
    login(staff_of("A")(ews_city, make_user))
    response = client.get(url)
    assert response.status_code == 200
    assert ews_city["a0"].pupil_key not in response.content.decode()


def test_a_huge_id_in_a_url_is_not_found(portfolio_world, login, client):  # noqa: F811
    login(portfolio_world["contact"])
    assert client.get(f"/portfolio/me/{HUGE}/credentials/{portfolio_world['credential'].pk}.json").status_code == 404
    assert client.get(f"/portfolio/org/credentials/{HUGE}/").status_code == 404
    login(portfolio_world["youth"])
    assert client.get(f"/portfolio/me/{portfolio_world['portfolio'].pk}/entries/{HUGE}/").status_code == 404


def test_a_huge_id_in_a_multiple_choice_is_a_form_error(portfolio_world, login, client):  # noqa: F811
    login(portfolio_world["youth"])
    response = client.post(f"/portfolio/me/{portfolio_world['portfolio'].pk}/shares/new/",
                           {"audience": "employer", "audience_name": "x", "expires_on": "2099-01-01", "entries": [HUGE]})
    assert response.status_code == 200
    assert response.context["form"].errors.get("entries")
