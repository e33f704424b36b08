"""The one read-time consent check of the support network.

``covers(pupil, reader, category)`` answers, at the moment of the read, whether ``reader`` may see data of
``category`` about ``pupil``:

- the data's own holders read it without a consent: by default the school, the CLB and the city support
  team (roles school staff, CLB worker, care coordinator); a selector may say who holds the data instead
  (``holder=``: for a handover only the sending school holds what helped and the support it gave);
- everyone else needs an active consent (not withdrawn, ``valid_until`` on or after today's Brussels
  date) of the pupil or a parent that names the category and the reader: the reader's organisation
  (``recipient_organisation``, through a membership active today), else the reader's role
  (``recipient_role``); a consent naming neither covers the school, the CLB and the city support team
  only;
- a reader outside the school, the CLB and the city support team must in addition have passed the second
  factor in this session (``user.is_verified()``, set by django-otp's middleware); without it, or
  without a session (a shell, a command), the answer is no: fail closed.

Selectors call it at every read (case notes, a handover's support and what helped, the risk reasons of
a support request), so a withdrawal or an expiry takes effect at the next read.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from leerloopbaan.accounts.models import Membership
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.models import Consent
from leerloopbaan.kernel import clock

__all__ = ["INSIDE_ROLES", "Category", "Recipient", "covers", "consents_naming", "names_reader", "second_factor_passed"]

Category = Consent.Category
Recipient = Consent.Recipient

# the school, the CLB and the city support team
INSIDE_ROLES = frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR})
RECIPIENT_OF_ROLE = {Role.SCHOOL_STAFF: Recipient.SCHOOL, Role.CLB_WORKER: Recipient.CLB, Role.CARE_COORDINATOR: Recipient.SUPPORT_TEAM,
                     Role.ORGANISATION_CONTACT: Recipient.PROVIDER}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def second_factor_passed(user) -> bool:
    """The user passed the second factor in this session (django-otp); False without a session."""
    verified = getattr(user, "is_verified", None)
    return bool(callable(verified) and verified())


def _naming(reader, on: datetime.date) -> Q:
    orgs = Membership.objects.active(on).filter(user_id=reader.pk, organisation__isnull=False).values("organisation_id")
    q = Q(recipient_organisation_id__in=orgs)
    role = RECIPIENT_OF_ROLE.get(reader.role)
    if role:
        q |= Q(recipient_organisation__isnull=True, recipient_role=role)
    if reader.role in INSIDE_ROLES:
        q |= Q(recipient_organisation__isnull=True, recipient_role="")
    return q


def consents_naming(pupil, reader, *, on: datetime.date | None = None):
    """The consents of ``pupil`` active on ``on`` (today) that name ``reader`` (any category)."""
    on = on or clock.today()
    if not _active(reader):
        return Consent.objects.none()
    pupil_id = getattr(pupil, "pk", pupil)
    return Consent.objects.filter(_naming(reader, on), pupil_id=pupil_id, withdrawn_at__isnull=True, valid_until__gte=on)


def names_reader(pupil, reader, *, on: datetime.date | None = None) -> bool:
    """An active consent of ``pupil`` names ``reader`` (for adding a participant from outside)."""
    return consents_naming(pupil, reader, on=on).exists()


def covers(pupil, reader, category: str, *, on: datetime.date | None = None, holder: bool | None = None) -> bool:
    """May ``reader`` see ``category`` data about ``pupil`` now? (See the module docstring.)"""
    if not _active(reader) or pupil is None:
        return False
    if holder is None:
        holder = reader.role in INSIDE_ROLES
    if holder:
        return True
    if reader.role not in INSIDE_ROLES and not second_factor_passed(reader):
        return False
    # the categories are a JSON list: checked in Python (JSON containment differs per database)
    return any(category in (cats or []) for cats in consents_naming(pupil, reader, on=on).values_list("categories", flat=True))
