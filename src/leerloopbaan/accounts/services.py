"""Writes for accounts: one function per use case."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import Membership, User
from leerloopbaan.kernel.audit.services import audit_record


@transaction.atomic
def user_create(*, email: str, password: str | None, role: str, first_name: str = "", last_name: str = "") -> User:
    user = User.objects.create_user(email=email, password=password, role=role, first_name=first_name, last_name=last_name)
    audit_record(action="create", subject_type="user", subjects=[f"user:{user.pk}"], object_repr=user.email, purpose="account")
    return user


@transaction.atomic
def membership_add(*, user: User, school=None, clb=None, organisation=None, start_date: datetime.date | None = None) -> Membership:
    kind = "school" if school else "clb" if clb else "organisation"
    membership = Membership(user=user, kind=kind, school=school, clb=clb, organisation=organisation)
    if start_date:
        membership.start_date = start_date
    membership.full_clean()
    membership.save()
    # a membership opens the records of every pupil of the school or CLB (or an organisation's cases):
    # who was given access to what, from when, is on record
    audit_record(action="create", subject_type="user", subjects=[f"user:{user.pk}"], object_repr=f"membership {membership.pk}",
                 purpose="access granted", detail={"kind": kind, "school": getattr(school, "pk", None), "clb": getattr(clb, "pk", None),
                                                   "organisation": getattr(organisation, "pk", None),
                                                   "start_date": membership.start_date.isoformat() if membership.start_date else None,
                                                   "role": user.role})
    return membership


def totp_device_create(*, user: User, confirmed: bool = False, key: str | None = None) -> TOTPDevice:
    """A TOTP device for the user; unconfirmed until the user types a first valid code."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    kwargs = {"user": user, "name": "authenticator", "confirmed": confirmed}
    if key:
        kwargs["key"] = key
    return TOTPDevice.objects.create(**kwargs)


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    if device.verify_token(token):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(action="update", subject_type="user", subjects=[f"user:{device.user_id}"], object_repr="second factor set up", purpose="account")
        return True
    return False


def site_url(base_url: str = "") -> str:
    """The site's address for links in mails: the request's, else SITE_URL."""
    return (base_url or getattr(settings, "SITE_URL", "") or "").rstrip("/")


def invitation_send(*, account: User, base_url: str = "", subject_template: str, body_template: str,
                    context: dict | None = None) -> None:
    """Mail a link to choose a password (the password-reset link), after the commit.

    The templates get ``link``, ``first_name``, ``email``, ``days`` (how long the link works) and
    ``login``, plus ``context``.
    """
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    site = site_url(base_url)
    link = site + reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    with translation.override(account.language or settings.LANGUAGE_CODE):
        values = {"link": link, "first_name": account.first_name, "email": account.email,
                  "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400), "login": site + reverse("accounts:login"),
                  **(context or {})}
        subject = render_to_string(subject_template, values).strip()
        body = render_to_string(body_template, values)
    email = account.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [email], fail_silently=True))
