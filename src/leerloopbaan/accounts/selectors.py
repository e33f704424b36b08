"""Reads of accounts."""

from __future__ import annotations

from leerloopbaan.accounts.models import User


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()
