"""The risk list as the care coordinator uses it, in a real browser: search, filter, sort, download the
filtered list as a spreadsheet, record a follow-up from the row's link and see it under way."""

import io

import pytest
from openpyxl import load_workbook

from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email

from ..ews.test_roles_ews import build_city
from .conftest import screenshot
from .test_shell import current_code, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_search_filter_sort_export_and_follow_up(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    build_city()
    create_demo_accounts()
    email = demo_email(Role.SCHOOL_STAFF)
    log_in(page, email)
    page.wait_for_url("**/account/2fa/**")
    page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(email))
    page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")

    page.goto("/ews/risk/")
    rows = page.locator("#risk-table tbody tr")
    assert rows.count() == 8
    page.get_by_label("Zoek op naam").fill("anouk7")
    page.get_by_role("button", name="Filteren").click()
    assert rows.count() == 1 and "Anouk7 Test" in rows.first.inner_text()

    page.goto("/ews/risk/")
    page.get_by_label("Risicoband").select_option("high")
    page.get_by_role("button", name="Filteren").click()
    assert rows.count() == 2
    page.locator("#risk-table thead").get_by_role("link", name="Leerling").click()
    page.wait_for_url("**sort=name**")
    assert "band=high" in page.url and rows.count() == 2
    screenshot(page, "ews-risk-list-filtered")

    with page.expect_download() as download:
        page.locator("#risk-export").get_by_role("link", name="Excel (XLSX)").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["Anouk6 Test", "Anouk7 Test"]

    rows.filter(has_text="Anouk7 Test").get_by_role("link", name="Opvolging registreren").click()
    page.wait_for_url("**/follow-up/**")
    page.get_by_label("Wat werd gedaan").select_option("clb")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url("**/ews/risk/?**")
    assert "band=high" in page.url
    assert "Opvolging genoteerd" in rows.filter(has_text="Anouk7 Test").locator("td.under-way").inner_text()
