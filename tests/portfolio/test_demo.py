"""The demo portfolios: built through the services, every credential verifies, ages spread."""

from __future__ import annotations

import pytest

from leerloopbaan.demo.portfolio import create_demo_portfolio
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import Credential, Issuer, Portfolio, ShareGrant
from leerloopbaan.portfolio.youth import selectors

from ..ews.test_roles_ews import build_city

pytestmark = pytest.mark.django_db


def test_demo_portfolios():
    from leerloopbaan.demo.accounts import create_demo_accounts

    build_city()
    create_demo_accounts()
    summary = create_demo_portfolio(seed=3, youths=12)
    assert summary["issuers"] == 4 and summary["places"] == 3
    assert Issuer.objects.filter(status="pending").count() == 1
    assert summary["portfolios"] == Portfolio.objects.count() >= 5
    assert summary["credentials"] == Credential.objects.count() >= 3
    ages = {access.youth_age(p) for p in Portfolio.objects.select_related("pupil")}
    assert len(ages) >= 2, ages  # the test city has secondary pupils only; the demo city spreads 6 to 18
    statuses = {}
    for credential in Credential.objects.all():
        report = selectors.verify(credential.document)
        statuses[credential.status] = statuses.get(credential.status, 0) + 1
        assert report.ok == (credential.status == "active"), report.to_dict()
    assert statuses.get("suspended") == 1
    assert ShareGrant.objects.count() == 1
    assert create_demo_portfolio(seed=3, youths=12)["portfolios"] == 0  # idempotent: a second run adds nothing
