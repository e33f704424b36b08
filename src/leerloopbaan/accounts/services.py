"""Writes for accounts: one function per use case."""

from __future__ import annotations

import datetime

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import Membership, User
from leerloopbaan.audit.services import audit_record


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
