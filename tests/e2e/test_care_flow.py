"""A support request in a real browser: school staff ask from the risk list, the city's support team
triages and assigns it, the provider closes it with an outcome, the school sees the outcome."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import SupportOffer, SupportRequest
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email

from ..ews.test_roles_ews import build_city
from .conftest import screenshot
from .test_shell import current_code, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, role):
    page.context.clear_cookies()
    email = demo_email(role)
    TOTPDevice.objects.filter(user__email=email).update(last_t=-1)  # the same code may be used again in this test
    log_in(page, email)
    if TOTPDevice.objects.filter(user__email=email, confirmed=True).exists():
        page.wait_for_url("**/account/2fa/**")
        page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(email))
        page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")


def test_support_request_from_risk_list_to_outcome(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    city = build_city()
    create_demo_accounts()
    provider = Organisation.objects.get(name="Haven Logistiek NV (demo)")  # the demo organisation contact's organisation
    offer = SupportOffer.objects.create(provider=provider, title="Spijbelcoaching", description="Coaching", levels=["pupil"],
                                        predictors=["absence"])

    # school staff: from the risk list to a request, with the reasons attached
    sign_in(page, Role.SCHOOL_STAFF)
    page.goto("/ews/risk/")
    row = page.locator("#risk-table tbody tr", has_text="Anouk7 Test")
    row.locator("a.ask-support").click()
    page.wait_for_url("**/care/requests/new/**")
    assert "Anouk7 Test" in page.locator("#request-pupil").inner_text()
    assert "Veel B-afwezigheden" in page.locator("#request-reasons").inner_text()
    page.locator("#id_description").fill("Anouk is vaak afwezig op maandag.")
    page.locator("#id_name_attached").check()
    screenshot(page, "care-request-new")
    page.locator("#request-form button[type=submit]").click()
    page.wait_for_url("**/care/requests/*/")
    req = SupportRequest.objects.get()
    assert req.pupil == city["a7"] and req.status == "new"

    # the support team: intake, then assign to the offer
    sign_in(page, Role.CARE_COORDINATOR)
    page.goto("/care/requests/")
    assert "Anouk7 Test" in page.locator("#request-table").inner_text()
    page.locator("#request-table").get_by_role("link", name=f"#{req.pk}").click()
    page.locator("#intake-form button[type=submit]").click()
    page.wait_for_selector("#assign-form")
    page.locator("#id_kind").select_option("offer")
    page.locator("#id_offer").select_option(str(offer.pk))
    page.locator("#assign-form textarea[name=note]").fill("Past bij spijbelcoaching")
    screenshot(page, "care-request-assign")
    page.locator("#assign-form button[type=submit]").click()
    page.wait_for_selector("#request-assignee")
    assert "Spijbelcoaching" in page.locator("#request-assignee").inner_text()

    # the provider: sees the first name only, starts and closes with an outcome
    sign_in(page, Role.ORGANISATION_CONTACT)
    page.goto("/care/requests/")
    table = page.locator("#request-table").inner_text()
    assert "Anouk7" in table and "Anouk7 Test" not in table
    page.locator("#request-table").get_by_role("link", name=f"#{req.pk}").click()
    page.locator("#start-form button[type=submit]").click()
    page.wait_for_selector("#close-form")
    page.locator("#id_outcome").select_option("resolved")
    page.locator("#close-note").fill("Anouk komt weer elke dag naar school.")
    page.locator("#close-form button[type=submit]").click()
    page.wait_for_selector("#request-outcome")

    # the school sees the outcome
    sign_in(page, Role.SCHOOL_STAFF)
    page.goto("/care/requests/")
    assert "opgelost" in page.locator("#request-table").inner_text()
    page.locator("#request-table").get_by_role("link", name=f"#{req.pk}").click()
    assert "Anouk komt weer elke dag naar school." in page.locator("#request-outcome").inner_text()
    assert page.locator("#request-events li").count() == 5
    screenshot(page, "care-request-outcome")
    req.refresh_from_db()
    assert (req.status, req.outcome, req.version) == ("closed", "resolved", 5)
