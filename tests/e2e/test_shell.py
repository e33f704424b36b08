"""Every demo role logs in through a real browser (with its second factor where required) and sees
its own home page in Dutch; English works; five wrong passwords lock the account."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import DEMO_PASSWORD, create_demo_accounts, demo_email

from .conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What each role's home page must show (Dutch), beside the welcome line.
HOME_TEXT = {
    Role.CITY_ANALYST: "Stadsoverzicht",
    Role.PROGRAMME_MANAGER: "Actieprogramma",
    Role.SCHOOL_STAFF: "Risicolijst",
    Role.CLB_WORKER: "Scholen die je begeleidt",
    Role.CARE_COORDINATOR: "Inbox ondersteuningsvragen",
    Role.TUTOR_COORDINATOR: "Matching",
    Role.TUTOR: "Jouw leerlingen",
    Role.ORGANISATION_CONTACT: "Jouw organisatie",
    Role.YOUTH: "Jouw talentenportfolio",
    Role.PARENT: "Jouw kind",
    Role.ADMIN: "Accounts en rollen",
}


def current_code(email: str) -> str:
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/account/login/")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()


@pytest.mark.parametrize("role", list(HOME_TEXT))
def test_role_logs_in_and_sees_its_dutch_home(page, role, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    account = next(a for a in create_demo_accounts() if a.role == role)
    email = demo_email(role)
    log_in(page, email)
    if account.totp_key:
        page.wait_for_url("**/account/2fa/**")
        page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(email))
        page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")
    assert page.locator("html").get_attribute("lang") == "nl-be"
    assert "Welkom" in page.locator("h1").inner_text()
    assert HOME_TEXT[role] in page.locator("#panels").inner_text()
    screenshot(page, f"home-{role}")


def test_switch_to_english(page):
    create_demo_accounts()
    log_in(page, demo_email(Role.CITY_ANALYST))
    page.wait_for_url("**/home/")
    if page.locator("#menu-toggle").is_visible():  # below the laptop width the menu is collapsed
        page.locator("#menu-toggle").click()
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Wijzig").click()
    page.wait_for_load_state()
    assert "Welcome" in page.locator("h1").inner_text()
    assert "City overview" in page.locator("#panels").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    # keyboard: the skip link is the first stop and leads to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"


def test_five_wrong_passwords_lock_the_account(page):
    create_demo_accounts()
    email = demo_email(Role.PARENT)
    for _ in range(5):
        log_in(page, email, password="not-the-password")
    log_in(page, email)  # even the right password is refused now
    assert "Account tijdelijk geblokkeerd" in page.locator("h1").inner_text()
    screenshot(page, "locked-out")
