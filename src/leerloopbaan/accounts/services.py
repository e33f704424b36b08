"""Writes for accounts: one function per use case."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import EnrolmentInvitation, Membership, User
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
        enrol = enrolment_invite(user=account, base_url=base_url) if account.requires_two_factor else ""
        values = {"link": link, "enrol_link": enrol, "enrol_days": settings.ENROLMENT_LINK_DAYS, "first_name": account.first_name, "email": account.email,
                  "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400), "login": site + reverse("accounts:login"),
                  **(context or {})}
        subject = render_to_string(subject_template, values).strip()
        body = render_to_string(body_template, values)
        if enrol:
            body += "\n" + render_to_string("accounts/enrolment_paragraph.txt", values)
    email = account.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [email], fail_silently=True))


# --- the second factor: set up only through a one-time invitation link --------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@transaction.atomic
def enrolment_invite(*, user: User, base_url: str = "", by=None) -> str:
    """A new one-time link for ``user`` to set up an authenticator (earlier unused links stop working)."""
    EnrolmentInvitation.objects.filter(user=user, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    EnrolmentInvitation.objects.create(user=user, token_hash=_token_hash(token),
                                       expires_at=timezone.now() + datetime.timedelta(days=settings.ENROLMENT_LINK_DAYS))
    audit_record(action="create", subject_type="user", subjects=[f"user:{user.pk}"], actor=by,
                 object_repr="authenticator invitation created", purpose="account")
    return site_url(base_url) + reverse("accounts:enrol", kwargs={"token": token})


def enrolment_invitation(*, token: str) -> EnrolmentInvitation | None:
    """The open invitation of ``token`` (unused, not expired), or None."""
    return (EnrolmentInvitation.objects.select_related("user")
            .filter(token_hash=_token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()).first())


@transaction.atomic
def enrolment_complete(*, invitation: EnrolmentInvitation, device: TOTPDevice, token: str) -> bool:
    """Confirm the new authenticator with its first code and use up the invitation; earlier
    authenticators of the user are removed (a lost phone no longer works)."""
    invitation = EnrolmentInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at is not None or invitation.expires_at <= timezone.now() or device.user_id != invitation.user_id:
        return False
    if not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_record(action="update", subject_type="user", subjects=[f"user:{device.user_id}"],
                 object_repr="second factor set up with an invitation link", purpose="account")
    return True


def password_reset_allowed(*, email: str, client: str) -> bool:
    """Whether another password-reset mail may go out: at most PASSWORD_RESET_MAILS_PER_HOUR an hour
    for one address (whatever its case or spacing) and PASSWORD_RESET_MAILS_PER_CLIENT_HOUR for one
    client address; counts the attempt."""
    from django.core.cache import cache

    hour = int(timezone.now().timestamp() // 3600)
    allowed = True
    for kind, value, limit in (("email", email.strip().lower(), settings.PASSWORD_RESET_MAILS_PER_HOUR),
                               ("client", client, settings.PASSWORD_RESET_MAILS_PER_CLIENT_HOUR)):
        key = f"ll:reset:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}:{hour}"
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=3600)
            count = 1
        allowed = allowed and count <= limit
    return allowed


def client_address(request) -> str:
    """The client's address: behind the TLS proxy (LEERLOOPBAAN_PROXY_SSL_HEADER set) the last entry of
    X-Forwarded-For, the one our proxy appended (earlier entries are whatever the client sent)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")
