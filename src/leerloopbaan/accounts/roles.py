"""Roles: few and coarse, a product feature rather than permission checkboxes.

Every user has exactly one role. What a role may see is decided in the selectors of each app,
from the role and the user's memberships (school, CLB, organisation) that are active today.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ANALYST = "city_analyst", _("City analyst")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    SCHOOL_STAFF = "school_staff", _("School staff")
    CLB_WORKER = "clb_worker", _("CLB worker")
    CARE_COORDINATOR = "care_coordinator", _("Care coordinator (city support team)")
    TUTOR_COORDINATOR = "tutor_coordinator", _("Tutor coordinator")
    TUTOR = "tutor", _("Tutor")
    ORGANISATION_CONTACT = "organisation_contact", _("Organisation contact")
    YOUTH = "youth", _("Young person")
    PARENT = "parent", _("Parent")
    ADMIN = "admin", _("Administrator")


@dataclass(frozen=True)
class RolePolicy:
    """What a role is, in terms the privacy rules use.

    ``sees_names``: the role can see pupils other than the user's own child or self by name (or
    first name), so the login requires a second factor (TOTP).
    ``city_wide``: sees pseudonymised, aggregated city data; never names.
    ``membership``: the kind of membership the role works through, if any.
    ``person_data``: the role reads person data of pupils other than the user's own child or self
    (first names, case notes, support requests) without seeing full names; it too logs in with the
    second factor.
    """

    sees_names: bool
    city_wide: bool = False
    membership: str | None = None
    person_data: bool = False


POLICIES: dict[str, RolePolicy] = {
    Role.CITY_ANALYST: RolePolicy(sees_names=False, city_wide=True),
    Role.PROGRAMME_MANAGER: RolePolicy(sees_names=False, city_wide=True),
    Role.SCHOOL_STAFF: RolePolicy(sees_names=True, membership="school"),
    Role.CLB_WORKER: RolePolicy(sees_names=True, membership="clb"),
    Role.CARE_COORDINATOR: RolePolicy(sees_names=True),
    Role.TUTOR_COORDINATOR: RolePolicy(sees_names=True, membership="organisation"),
    Role.TUTOR: RolePolicy(sees_names=True),
    # providers read the requests assigned to them and, as case participants, case notes: second factor
    Role.ORGANISATION_CONTACT: RolePolicy(sees_names=False, membership="organisation", person_data=True),
    Role.YOUTH: RolePolicy(sees_names=False),
    Role.PARENT: RolePolicy(sees_names=False),
    Role.ADMIN: RolePolicy(sees_names=True),
}


def requires_two_factor(role: str) -> bool:
    return POLICIES[role].sees_names or POLICIES[role].person_data
