"""Consent enforced, in a real browser (issue 14, item 5): an organisation contact opens a case's notes only
with an active consent naming its organisation for the notes of the case, and only after the second factor.

The case manager (the city's support team) cannot add the provider before a consent names it; records a
consent naming the organisation for attendance only (the provider takes part but does not see the notes);
then one for the notes of the case. The provider, logged in with the password only, is sent to the second
factor before anything else; with both, it reads the notes; a withdrawal hides them at the next read."""

import datetime

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases import services as services_cases
from leerloopbaan.care.models import Case, CaseParticipant, Consent
from leerloopbaan.care.requests import services
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email
from leerloopbaan.kernel import clock
from tests.factories import UserFactory

from ..ews.test_roles_ews import build_city
from .conftest import screenshot
from .test_care_flow import sign_in
from .test_shell import current_code, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = "Vertrouwelijk: de thuissituatie is moeilijk."


def record_consent(page, organisation: Organisation, category: str, what: str) -> None:
    form = page.locator("#consent-form")
    form.locator("#id_given_by").select_option("parent")
    form.locator("#id_what").fill(what)
    form.locator(f"input[name=categories][value={category}]").check()
    form.locator("#id_recipient_organisation").select_option(str(organisation.pk))
    form.locator("#id_valid_until").fill((clock.today() + datetime.timedelta(days=30)).isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#case-consents")


def test_an_organisation_contact_opens_the_notes_only_with_a_consent_and_a_second_factor(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    city = build_city()
    create_demo_accounts()
    provider = Organisation.objects.get(name="Haven Logistiek NV (demo)")  # the demo organisation contact's organisation
    contact = User.objects.get(email=demo_email(Role.ORGANISATION_CONTACT))
    coordinator = User.objects.get(email=demo_email(Role.CARE_COORDINATOR))
    staff = UserFactory(role=Role.SCHOOL_STAFF, school=city["A"])
    req = services.support_request_create(user=staff, school=city["A"], subject_level="pupil", pupil=city["a7"],
                                          description="Vaak afwezig", name_attached=True)
    case = services_cases.case_open(user=coordinator, request=req, summary="Meerdere problemen")
    services_cases.case_note_add(user=coordinator, case=case, text=NOTE)
    url = f"/care/cases/{case.pk}/"

    # the case manager: the provider cannot be added before a consent names it
    sign_in(page, Role.CARE_COORDINATOR)
    page.goto(url)
    page.locator("#participant-form #id_user").select_option(str(contact.pk))
    page.locator("#participant-form button[type=submit]").click()
    page.wait_for_selector(".alert-danger")
    assert "Geen actieve toestemming" in page.locator(".alert-danger").inner_text()
    assert not CaseParticipant.objects.filter(case=case, user=contact).exists()

    # a consent naming the organisation, for attendance only: the provider may take part
    record_consent(page, provider, "attendance", "Afwezigheden, voor de begeleiding.")
    assert "Haven Logistiek NV (demo)" in page.locator("#case-consents").inner_text()
    page.locator("#participant-form #id_user").select_option(str(contact.pk))
    page.locator("#participant-form button[type=submit]").click()
    page.wait_for_selector("#case-participants")
    assert CaseParticipant.objects.filter(case=case, user=contact, removed_at__isnull=True).exists()

    # the provider, with the second factor but no consent naming it for the notes: no notes
    sign_in(page, Role.ORGANISATION_CONTACT)
    page.goto(url)
    assert "Anouk7" in page.locator("#case-pupil").inner_text()
    assert page.locator("#case-notes-withheld").is_visible()
    assert NOTE not in page.content()
    screenshot(page, "consent-notes-withheld")

    # the case manager records a consent naming the organisation for the notes of the case
    sign_in(page, Role.CARE_COORDINATOR)
    page.goto(url)
    record_consent(page, provider, "case_notes", "De notities van het dossier, voor de begeleiding.")
    assert Consent.objects.filter(case=case, categories=["case_notes"], recipient_organisation=provider).exists()

    # the provider with the password only: the login asks for the second factor before anything else
    page.context.clear_cookies()
    log_in(page, contact.email)
    page.wait_for_url("**/account/2fa/**")
    page.goto(url)
    assert "/account/2fa/" in page.url
    assert NOTE not in page.content()

    # with both: the notes
    TOTPDevice.objects.filter(user=contact).update(last_t=-1)  # the code of the first login may be used again here
    page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(contact.email))
    page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")
    page.goto(url)
    assert NOTE in page.locator("#case-notes").inner_text()
    screenshot(page, "consent-notes-shown")

    # a withdrawal takes effect at the next read
    consent = Consent.objects.get(case=case, categories=["case_notes"])
    services_cases.consent_withdraw(user=coordinator, case=Case.objects.get(pk=case.pk), consent=consent)
    page.reload()
    assert page.locator("#case-notes-withheld").is_visible()
    assert NOTE not in page.content()
