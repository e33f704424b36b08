"""Login by e-mail, the second factor, lockout, password reset, production refusing demo secrets."""

import os
import re
import subprocess
import sys

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.roles import POLICIES, Role


def totp_now(device):
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_every_role_has_a_policy_and_name_roles_require_two_factor():
    assert set(POLICIES) == set(Role.values)
    assert POLICIES[Role.SCHOOL_STAFF].sees_names and POLICIES[Role.CLB_WORKER].sees_names
    assert not POLICIES[Role.CITY_ANALYST].sees_names


@pytest.mark.django_db
def test_login_without_second_factor_role(client, make_user):
    make_user("city_analyst", email="ana@example.test")
    response = client.post("/account/login/", {"username": "ANA@example.test", "password": "a-long-test-password"})
    assert response.status_code == 302
    assert client.get("/home/").status_code == 200


def _login(client, email):
    return client.post("/account/login/", {"username": email, "password": "a-long-test-password"})


@pytest.mark.django_db
def test_name_role_must_set_up_and_pass_totp(client, make_user, settings):
    """The password alone never sets up an authenticator: that takes the one-time invitation link."""
    from leerloopbaan.accounts.services import enrolment_invite

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # throttling after a wrong code is tested by django-otp itself
    user = make_user("school_staff", email="staff@example.test")
    response = _login(client, "staff@example.test")
    assert response.status_code == 302 and "/account/2fa/" in response["Location"]
    # every other page sends the user back to the second step
    assert client.get("/home/")["Location"].startswith("/account/2fa/")
    assert client.get("/api/v1/schools/").status_code == 403
    page = client.get("/account/2fa/")
    assert b"<svg" not in page.content and b'id="enrol-needed"' in page.content  # no QR code for the password alone
    assert not TOTPDevice.objects.filter(user=user).exists()
    link = enrolment_invite(user=user)
    path = link.split("testserver", 1)[-1] if "testserver" in link else link[link.index("/account/"):]
    setup = client.get(path)
    assert setup.status_code == 200 and b"<svg" in setup.content  # QR code to set up an authenticator
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    bad = client.post(path, {"token": "000000" if totp_now(device) != "000000" else "111111"})
    assert bad.status_code == 200 and "niet geldig" in bad.content.decode()
    ok = client.post(path, {"token": totp_now(device)})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/home/").status_code == 200
    # the link worked once
    assert client.get(path).status_code == 410


@pytest.mark.django_db
def test_invitation_link_needs_the_password_and_the_right_account(client, make_user):
    from leerloopbaan.accounts.services import enrolment_invite

    user = make_user("clb_worker", email="clb@example.test")
    make_user("school_staff", email="other@example.test")
    path = enrolment_invite(user=user)
    path = path[path.index("/account/"):]
    # without a login: to the login page, and after the password back to the link
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/account/login/")
    assert not TOTPDevice.objects.exists()
    # another account's password does not open it
    _login(client, "other@example.test")
    assert client.get(path).status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()
    client.logout()
    back = client.post(f"/account/login/?next={path}", {"username": "clb@example.test", "password": "a-long-test-password",
                                                         "next": path})
    assert back.status_code == 302 and back["Location"] == path
    # a wrong or made-up token
    assert client.get("/account/enrol/not-a-token/").status_code == 410


@pytest.mark.django_db
def test_expired_and_replaced_invitations_do_not_work(client, make_user):
    import datetime

    from django.utils import timezone

    from leerloopbaan.accounts.models import EnrolmentInvitation
    from leerloopbaan.accounts.services import enrolment_invite

    user = make_user("tutor", email="tutor@example.test")
    first = enrolment_invite(user=user)
    second = enrolment_invite(user=user)
    _login(client, "tutor@example.test")
    assert client.get(first[first.index("/account/"):]).status_code == 410  # replaced by the newer link
    invitation = EnrolmentInvitation.objects.get(user=user, used_at__isnull=True)
    assert invitation.expires_at > timezone.now() + datetime.timedelta(days=6)
    invitation.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    invitation.save()
    assert client.get(second[second.index("/account/"):]).status_code == 410  # expired after 7 days


@pytest.mark.django_db
def test_session_key_is_renewed_after_the_second_factor(client, make_user, settings):
    from leerloopbaan.accounts.services import totp_device_create

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_user("school_staff", email="cycle@example.test")
    device = totp_device_create(user=user, confirmed=True)
    _login(client, "cycle@example.test")
    before = client.session.session_key
    assert client.post("/account/2fa/", {"token": totp_now(device)}).status_code == 302
    assert client.session.session_key != before
    assert client.get("/home/").status_code == 200


@pytest.mark.django_db
def test_password_reset_mails_are_rate_limited(client, make_user, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PASSWORD_RESET_MAILS_PER_HOUR = 3
    settings.PASSWORD_RESET_MAILS_PER_CLIENT_HOUR = 3
    make_user("parent", email="flood@example.test")
    answers = [client.post("/account/password-reset/", {"email": "flood@example.test"}) for _ in range(6)]
    # the same answer every time (the page never tells whether a mail left), but three mails at most
    assert {a.status_code for a in answers} == {302} and {a["Location"] for a in answers} == {"/account/password-reset/sent/"}
    assert len(mail.outbox) == 3
    # case and spacing variants of the address count as the address
    client.post("/account/password-reset/", {"email": " FLOOD@example.test "})
    assert len(mail.outbox) == 3
    # another address from the same client: the client's limit holds too
    make_user("parent", email="flood2@example.test")
    client.post("/account/password-reset/", {"email": "flood2@example.test"})
    assert len(mail.outbox) == 3
    cache.clear()


@pytest.mark.django_db
def test_behind_the_proxy_the_reset_limit_counts_the_real_client(client, make_user, settings):
    """Behind the TLS proxy every request comes from the proxy's address: the limit per client uses the
    address the proxy appended to X-Forwarded-For, so one flood does not block the whole city."""
    from django.core.cache import cache

    cache.clear()
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PASSWORD_RESET_MAILS_PER_CLIENT_HOUR = 2
    for n in range(4):
        make_user("parent", email=f"p{n}@example.test")
    for n in range(3):  # an attacker at 198.51.100.7, lying in the first X-Forwarded-For entry
        client.post("/account/password-reset/", {"email": f"p{n}@example.test"}, secure=True,
                    HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7")
    assert len(mail.outbox) == 2
    client.post("/account/password-reset/", {"email": "p3@example.test"}, secure=True,
                HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert len(mail.outbox) == 3  # another client behind the same proxy still gets its mail
    cache.clear()


@pytest.mark.django_db
def test_lockout_after_five_wrong_passwords(client, make_user):
    make_user("city_analyst", email="lock@example.test")
    for _ in range(5):
        client.post("/account/login/", {"username": "lock@example.test", "password": "wrong"})
    response = client.post("/account/login/", {"username": "lock@example.test", "password": "a-long-test-password"})
    assert response.status_code == 429
    assert "geblokkeerd" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_by_mail(client, make_user):
    make_user("parent", email="mama@example.test")
    response = client.post("/account/password-reset/", {"email": "mama@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": "Another-long-pass-2026", "new_password2": "Another-long-pass-2026"})
    assert done.status_code == 302
    assert client.post("/account/login/", {"username": "mama@example.test", "password": "Another-long-pass-2026"}).status_code == 302


def _settings_with(env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERLOOPBAAN_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "leerloopbaan.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_demo_secrets(tmp_path):
    result = _settings_with({"LEERLOOPBAAN_ENV": "production", "LEERLOOPBAAN_DATA_DIR": str(tmp_path),
                             "LEERLOOPBAAN_SECRET_KEY": "demo-" + "x" * 50})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "LEERLOOPBAAN_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_the_demo_pseudonym_key(tmp_path):
    from leerloopbaan.settings import DEMO_PSEUDONYM_KEY

    result = _settings_with(
        {
            "LEERLOOPBAAN_ENV": "production",
            "LEERLOOPBAAN_SECRET_KEY": "x" * 50,
            "LEERLOOPBAAN_PSEUDONYM_KEY": DEMO_PSEUDONYM_KEY,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        }
    )
    assert result.returncode != 0 and "not the demo key" in result.stderr
