"""Models of the cases part of the support network (imported by care/models.py).

A *case* is opened for one pupil in a multi-problem situation: a case manager, the partners involved
(participants), a plan of goals tied to the early-warning predictors with review dates, restricted notes
(only the case's participants read them) and the consents given by the pupil or the parents.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import PersonQuerySet

__all__ = ["Case", "CaseParticipant", "CaseGoal", "CaseNote", "Consent"]


class CaseQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> CaseQuerySet:
        """The cases ``actor`` may see at least the metadata of (``care.cases.selectors.case_overview_scope``);
        ``taken_part_in`` narrows them to the cases the actor takes part in (everything of the case)."""
        from leerloopbaan.care.cases.selectors import case_overview_scope

        return case_overview_scope(actor, self)

    def taken_part_in(self, actor) -> CaseQuerySet:
        from leerloopbaan.care.cases.selectors import case_scope

        return case_scope(actor, self)


class CasePartQuerySet(PersonQuerySet):
    """Participants, goals, restricted notes and consents: only for the case's current participants."""

    subject_path = "case.pupil.pupil_key"

    def visible_to(self, actor) -> CasePartQuerySet:
        return self.filter(case__in=Case.objects.taken_part_in(actor))


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.PROTECT, related_name="cases", verbose_name=_("pupil"))
    school = models.ForeignKey("registry.School", on_delete=models.PROTECT, related_name="cases", verbose_name=_("school"))
    opened_from = models.ForeignKey("care.SupportRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
                                    verbose_name=_("opened from request"))
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_cases", verbose_name=_("case manager"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("opened on"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed on"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"case {self.pk}"


class CaseParticipant(models.Model):
    """A person working on the case. Removal keeps the row (``removed_at``) and ends the access."""

    class CaseRole(models.TextChoices):
        MANAGER = "manager", _("case manager")
        SCHOOL = "school", _("school")
        CLB = "clb", _("CLB")
        PROVIDER = "provider", _("provider")
        SUPPORT_TEAM = "support_team", _("support team")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_participations", verbose_name=_("person"))
    role = models.CharField(_("role in the case"), max_length=14, choices=CaseRole.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(_("added on"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed on"), null=True, blank=True)

    objects = CasePartQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="care_case_participant_once")]


class CaseGoal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACHIEVED = "achieved", _("achieved")
        DROPPED = "dropped", _("dropped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    predictor = models.CharField(_("predictor"), max_length=20)  # a care.models.Predictor value
    description = models.TextField(_("goal"), max_length=2000)
    target = models.CharField(_("target"), max_length=300, blank=True)
    review_date = models.DateField(_("review on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    updated_at = models.DateTimeField(_("changed on"), default=timezone.now)

    objects = CasePartQuerySet.as_manager()

    class Meta:
        ordering = ["review_date", "pk"]

    def predictor_label(self) -> str:
        from leerloopbaan.care.requests.models import Predictor

        return str(dict(Predictor.choices).get(self.predictor, self.predictor))


class CaseNote(models.Model):
    """A note on the case. Always restricted: only the case's current participants read it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(max_length=4000)
    at = models.DateTimeField(default=timezone.now)
    restricted = models.BooleanField(default=True, editable=False)

    objects = CasePartQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(restricted=True), name="care_case_note_always_restricted")]


class Consent(models.Model):
    """Consent of the pupil or a parent: to share what (``categories``), with whom (``recipient_organisation``
    or ``recipient_role``), until when (``valid_until``); withdrawable.

    It is enforced at every read (``care.cases.consent.covers``). The recipient: an organisation (its
    contacts), else a role (every school, CLB, city support team or provider reader), else -- neither set,
    as in the consents recorded before recipients existed -- the school, the CLB and the city support team
    only, never a provider. ``to_whom`` is the recipient in the words of the person who gave it.
    """

    class GivenBy(models.TextChoices):
        PUPIL = "pupil", _("the pupil")
        PARENT = "parent", _("a parent")

    class Category(models.TextChoices):
        ATTENDANCE = "attendance", _("attendance")
        RESULTS = "results", _("results")
        WELLBEING = "wellbeing", _("wellbeing")
        FAMILY = "family", _("family situation")
        CONTACT = "contact", _("contact details")
        CASE_NOTES = "case_notes", _("notes of the case")
        SUPPORT = "support", _("support received")
        WHAT_HELPED = "what_helped", _("what helped")
        RISK_SIGNALS = "risk_signals", _("risk signals (reasons from the early warning)")

    class Recipient(models.TextChoices):
        SCHOOL = "school", _("the school")
        CLB = "clb", _("the CLB")
        SUPPORT_TEAM = "support_team", _("the city support team")
        PROVIDER = "provider", _("providers (organisation contacts)")

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="consents", verbose_name=_("pupil"))
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="consents")
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices)
    what = models.TextField(_("what may be shared"), max_length=2000)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    to_whom = models.CharField(_("with whom"), max_length=300, blank=True)
    recipient_organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="consents", verbose_name=_("shared with the organisation"))
    recipient_role = models.CharField(_("shared with"), max_length=14, choices=Recipient.choices, blank=True)
    valid_until = models.DateField(_("valid until"))
    given_at = models.DateTimeField(_("given on"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)

    objects = CasePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "pk"]

    @property
    def active(self) -> bool:
        return self.active_on(clock.today())

    def active_on(self, on) -> bool:
        return self.withdrawn_at is None and self.valid_until >= on

    def recipient_label(self) -> str:
        if self.recipient_organisation_id:
            return str(self.recipient_organisation)
        if self.recipient_role:
            return str(self.get_recipient_role_display())
        return str(_("the school, the CLB and the city support team"))

    @property
    def state(self) -> str:
        """"active", "withdrawn" or "expired"."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "active" if self.active else "expired"

    def state_label(self) -> str:
        return str({"active": _("active"), "withdrawn": _("withdrawn"), "expired": _("expired")}[self.state])

    def category_labels(self) -> list[str]:
        labels = dict(self.Category.choices)
        return [str(labels.get(c, c)) for c in self.categories]
