"""The talent portfolio in a real browser: a young person makes a one-time code, an organisation uses
it and attests a competence, the young person shares it with an employer through a link, and the
employer's page shows the credential verified; after the organisation revokes it the page shows it
revoked; after the share expires the link shows nothing.

Selectors use ids and form field names, not the Dutch labels."""

import datetime
import hashlib

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import User
from leerloopbaan.accounts.services import user_create
from leerloopbaan.kernel import clock
from leerloopbaan.portfolio.models import Credential, EscoSkill, ShareGrant
from leerloopbaan.portfolio.youth import services
from leerloopbaan.registry.models import Pupil, PupilAccountLink, PupilName

from .conftest import screenshot
from .test_shell import current_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "een-lang-wachtwoord-voor-de-test"
LAST_NAME = "Vanderlinden"  # must never reach the organisation or the employer


def sign_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=username]) button[type=submit]").click()
    if User.objects.get(email=email).requires_two_factor:  # organisation contacts pass the second factor
        TOTPDevice.objects.filter(user__email=email).update(last_t=-1)
        page.wait_for_url("**/account/2fa/**")
        page.locator("input[name=token]").fill(current_code(email))
        page.locator("form:has(input[name=token]) button[type=submit]").click()
    page.wait_for_url("**/home/")


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def test_attest_share_verify_revoke_expire(page, browser, live_server):
    today = clock.today()
    pupil = Pupil.objects.create(pupil_key=hashlib.sha256(b"e2e-portfolio").hexdigest(),
                                 birth_date=datetime.date(today.year - 16, 2, 1), sex="F")
    PupilName.objects.create(pupil=pupil, first_name="Yara", last_name=LAST_NAME)
    youth = user_create(email="yara@example.test", password=PASSWORD, role="youth")
    PupilAccountLink.objects.create(user=youth, pupil=pupil, relation="self")
    city = user_create(email="stad@example.test", password=PASSWORD, role="city_analyst")
    issuer = services.issuer_register(name="Jeugdhuis Test", kind="youth_work", contact_name="Jan Jeugdwerker",
                                      contact_email="jan@jeugdhuis.example.test")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        services.issuer_decide(user=city, issuer=issuer, verify=True)
    contact = User.objects.get(email="jan@jeugdhuis.example.test")
    contact.set_password(PASSWORD)
    contact.save()
    TOTPDevice.objects.create(user=contact, name="test authenticator", confirmed=True)
    skill = EscoSkill.objects.get(uri="http://data.europa.eu/esco/skill/09e28145-e205-4b7a-8b3b-5c4876396069")
    achievement = services.achievement_create(user=contact, name="Activiteit mee organiseren",
                                              description="Organiseerde een buurtactiviteit mee.",
                                              criteria="Overlegde, verdeelde taken en sprak bezoekers aan.",
                                              esco_skill=skill)

    # 1. the young person makes a one-time code
    sign_in(page, youth.email)
    page.goto(reverse("portfolio:home"))
    page.wait_for_url("**/portfolio/me/*/")
    portfolio_url = page.url
    page.goto(portfolio_url + "settings/")  # organisations see the name the youth chooses, not the real one
    page.locator("input[name=display_name]").fill("Yara")
    submit(page, "#settings-form button[type=submit]")
    submit(page, "#make-code")
    code = page.locator("#consent-code").inner_text().strip()
    assert len(code) == 8
    assert page.locator("svg").count() >= 1  # the QR code
    screenshot(page, "portfolio-code")

    # 2. the organisation uses the code and attests the competence
    sign_in(page, contact.email)
    page.goto(reverse("portfolio:org_redeem"))
    page.locator("#redeem-form input[name=code]").fill(code)
    submit(page, "#redeem-form button[type=submit]")
    assert page.locator("#youth-name").inner_text().strip() == "Yara"
    assert LAST_NAME not in page.content()
    page.locator("#attest-form select[name=achievement]").select_option(str(achievement.pk))
    submit(page, "#attest-form button[type=submit]")
    credential = Credential.objects.get()
    assert credential.achievement == achievement and credential.portfolio.pupil == pupil
    screenshot(page, "portfolio-attested")

    # 3. the young person shares it with an employer
    sign_in(page, youth.email)
    page.goto(reverse("portfolio:grant_new", args=[credential.portfolio.pk]))
    page.locator("select[name=audience]").select_option("employer")
    page.locator("input[name=audience_name]").fill("Bakkerij Test")
    page.locator("input[name=expires_on]").fill((today + datetime.timedelta(days=14)).isoformat())
    page.locator(f"input[name=entries][value='{credential.entry.pk}']").check()
    submit(page, "#grant-form button[type=submit]")
    link = page.locator("#share-link").input_value()
    assert "/portfolio/s/" in link

    # 4. the employer, not logged in, sees it verified
    employer = browser.new_context(locale="nl-BE", base_url=live_server.url)
    view = employer.new_page()
    view.goto(link)
    entry = view.locator(f"[data-entry='{credential.entry.pk}']")
    assert entry.locator(".vc-report").get_attribute("data-verified") == "yes"
    assert entry.locator("[data-check=proof]").get_attribute("data-ok") == "yes"
    assert entry.locator("[data-check=status]").get_attribute("data-ok") == "yes"
    assert "Activiteit mee organiseren" in view.content() and LAST_NAME not in view.content()
    screenshot(view, "portfolio-share-verified")

    # 5. the organisation revokes it; the employer's page shows it revoked
    sign_in(page, contact.email)
    page.goto(reverse("portfolio:org_credential", args=[credential.pk]))
    page.locator("#revoke-reason").fill("Per vergissing uitgereikt.")
    submit(page, "#revoke-form button[type=submit]")
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REVOKED
    view.reload()
    entry = view.locator(f"[data-entry='{credential.entry.pk}']")
    assert entry.locator(".vc-report").get_attribute("data-verified") == "no"
    assert entry.locator("[data-check=status]").get_attribute("data-ok") == "no"
    screenshot(view, "portfolio-share-revoked")

    # 6. the share expires (its end moved into the past): the link shows nothing
    ShareGrant.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = view.goto(link)
    assert response.status == 404
    assert view.locator("[data-entry]").count() == 0 and "Activiteit mee organiseren" not in view.content()
    employer.close()
