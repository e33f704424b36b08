"""School staff walk from the risk list to a pupil page to the school portrait PDF, in a real browser."""

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email

from ..ews.test_roles_ews import build_city
from .conftest import screenshot
from .test_shell import current_code, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_school_staff_risk_list_to_pupil_to_portrait_pdf(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    city = build_city()
    create_demo_accounts()
    email = demo_email(Role.SCHOOL_STAFF)
    log_in(page, email)
    page.wait_for_url("**/account/2fa/**")
    page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(email))
    page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")

    page.goto("/ews/risk/")
    assert "Risicolijst" in page.locator("h1").inner_text()
    table = page.locator("#risk-table")
    assert "Anouk7" in table.inner_text() and "Bilal" not in table.inner_text()
    screenshot(page, "ews-risk-list")
    table.get_by_role("link", name="Anouk7 Test").click()
    page.wait_for_url(f"**/registry/pupils/{city['a7'].pupil_key}/")
    assert "School A" in page.locator("#pupil-timeline").inner_text()
    assert page.locator("#absence-chart svg[role=img]").count() == 1
    assert "Veel B-afwezigheden" in page.locator("#risk-history").inner_text()
    screenshot(page, "ews-pupil")

    page.goto("/ews/portrait/")
    page.wait_for_url("**/ews/portrait/100/**")
    assert "School A" in page.locator("h1").inner_text()
    screenshot(page, "ews-portrait")
    with page.expect_download() as info:
        page.locator("#portrait-pdf").click()
    path = info.value.path()
    content = open(path, "rb").read()
    assert content.startswith(b"%PDF-")
    assert info.value.suggested_filename.startswith("portrait-100-")
