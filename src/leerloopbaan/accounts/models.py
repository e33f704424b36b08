from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.roles import Role, requires_two_factor
from leerloopbaan.kernel import clock


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Identified by e-mail; one coarse role."""

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    language = models.CharField(_("language"), max_length=10, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["role"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def requires_two_factor(self) -> bool:
        return requires_two_factor(self.role)

    def active_memberships(self, on: datetime.date | None = None):
        return Membership.objects.active(on).filter(user=self)


class Organisation(models.Model):
    """A company, institution, association or tutoring initiative that works with young people."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        SECTOR = "sector", _("Sector organisation")
        HIGHER_EDUCATION = "higher_education", _("Higher-education institution")
        YOUTH_WORK = "youth_work", _("Youth work or association")
        TUTORING = "tutoring", _("Tutoring initiative")
        CITY_SERVICE = "city_service", _("City service")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    verified_at = models.DateTimeField(_("verified by the city on"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None):
        on = on or clock.today()
        return self.filter(Q(start_date__lte=on), Q(end_date__isnull=True) | Q(end_date__gte=on))


class Membership(models.Model):
    """Ties a user to a school, a CLB or an organisation, for a period."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        CLB = "clb", _("CLB")
        ORGANISATION = "organisation", _("Organisation")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    school = models.ForeignKey("registry.School", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("school"))
    clb = models.ForeignKey("registry.Clb", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("CLB"))
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("organisation"))
    start_date = models.DateField(_("from"), default=timezone.localdate)
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_target_matches_kind",
                condition=(
                    Q(kind="school", school__isnull=False, clb__isnull=True, organisation__isnull=True)
                    | Q(kind="clb", school__isnull=True, clb__isnull=False, organisation__isnull=True)
                    | Q(kind="organisation", school__isnull=True, clb__isnull=True, organisation__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="membership_end_after_start", condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.school or self.clb or self.organisation}"


class EnrolmentInvitation(models.Model):
    """A one-time link with which a user sets up their authenticator app (after logging in with their
    password). Only its SHA-256 is stored; it works once, until ``expires_at``, and a newer invitation
    of the same user replaces it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_invitations", verbose_name=_("user"))
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator invitation")
        verbose_name_plural = _("authenticator invitations")
