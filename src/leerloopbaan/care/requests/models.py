"""Support offers, support requests from schools, their event log and comments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.care.vocabulary import OfferLevel, Predictor
from leerloopbaan.kernel.access import PersonQuerySet

__all__ = ["Predictor", "OfferLevel", "SupportOffer", "SupportRequest", "RequestEvent", "RequestComment"]


class SupportOffer(models.Model):
    """An offer against early school leaving, kept by its provider or the city's support team.
    ``levels``, ``predictors``, ``tracks`` and ``districts`` are JSON lists of choice values."""

    provider = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="support_offers", verbose_name=_("provider"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    levels = models.JSONField(_("target level"), default=list)
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    tracks = models.JSONField(_("tracks"), default=list, blank=True)
    predictors = models.JSONField(_("works on"), default=list)
    districts = models.JSONField(_("districts"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (pupils or groups per school year)"), null=True, blank=True)
    how_to_request = models.TextField(_("how to request it"), max_length=2000, blank=True)
    evaluation_criteria = models.TextField(_("evaluation criteria"), max_length=2000, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated on"), default=timezone.now)

    class Meta:
        verbose_name = _("support offer")
        verbose_name_plural = _("support offers")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def predictor_labels(self) -> list[str]:
        labels = dict(Predictor.choices)
        return [str(labels.get(p, p)) for p in self.predictors]

    def level_labels(self) -> list[str]:
        labels = dict(OfferLevel.choices)
        return [str(labels.get(v, v)) for v in self.levels]


class SupportRequestQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> SupportRequestQuerySet:
        """The requests ``actor`` may see (``care.requests.selectors.support_request_scope``)."""
        from leerloopbaan.care.requests.selectors import support_request_scope

        return support_request_scope(actor, self)


class RequestPartQuerySet(PersonQuerySet):
    """Events and comments: those of the requests the actor may see."""

    subject_path = "request.pupil.pupil_key"

    def visible_to(self, actor) -> RequestPartQuerySet:
        return self.filter(request__in=SupportRequest.objects.visible_to(actor))


class SupportRequest(models.Model):
    """A school's request for support about one pupil, a group or the school."""

    class Subject(models.TextChoices):
        PUPIL = "pupil", _("one pupil")
        GROUP = "group", _("a group or class")
        SCHOOL = "school", _("the school")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        INTAKE = "intake", _("intake")
        ASSIGNED = "assigned", _("assigned")
        IN_PROGRESS = "in_progress", _("in progress")
        CLOSED = "closed", _("closed")

    class AssignedKind(models.TextChoices):
        OFFER = "offer", _("a support offer")
        PROVIDER = "provider", _("a provider")
        LOCAL_TEAM = "local_team", _("the local integrated team")
        CLB = "clb", _("the CLB")
        CMP = "cmp", _("the central reporting point (CMP)")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("resolved")
        PARTLY = "partly", _("partly resolved")
        NOT_RESOLVED = "not_resolved", _("not resolved")
        REFERRED = "referred", _("referred elsewhere")
        WITHDRAWN = "withdrawn", _("withdrawn or not needed")

    school = models.ForeignKey("registry.School", on_delete=models.PROTECT, related_name="support_requests", verbose_name=_("school"))
    pupil = models.ForeignKey("registry.Pupil", null=True, blank=True, on_delete=models.SET_NULL, related_name="support_requests",
                              verbose_name=_("pupil"))
    subject_level = models.CharField(_("about"), max_length=10, choices=Subject.choices)
    group_label = models.CharField(_("group or class"), max_length=100, blank=True)
    name_attached = models.BooleanField(_("the pupil's name is shared with the support team"), default=False)
    description = models.TextField(_("question"), max_length=4000)
    reasons = models.JSONField(_("reasons from the risk list"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    assigned_kind = models.CharField(_("assigned to"), max_length=12, choices=AssignedKind.choices, blank=True)
    offer = models.ForeignKey(SupportOffer, null=True, blank=True, on_delete=models.PROTECT, related_name="requests", verbose_name=_("support offer"))
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="support_requests",
                                     verbose_name=_("organisation"))
    clb = models.ForeignKey("registry.Clb", null=True, blank=True, on_delete=models.PROTECT, related_name="support_requests", verbose_name=_("CLB"))
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), max_length=4000, blank=True)
    due_at = models.DateTimeField(_("respond before"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="support_requests")
    created_at = models.DateTimeField(_("asked on"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed on"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = SupportRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="care_request_status_due")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status != self.Status.CLOSED and self.due_at is not None and self.due_at < timezone.now()


class RequestEvent(models.Model):
    """Who did what when to a support request (a status change or an assignment)."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.TextField(blank=True, max_length=4000)

    objects = RequestPartQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]


class RequestComment(models.Model):
    """A comment on a support request, by one of the parties."""

    class Party(models.TextChoices):
        SCHOOL = "school", _("school")
        SUPPORT_TEAM = "support_team", _("support team")
        PROVIDER = "provider", _("provider")
        CLB = "clb", _("CLB")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    party = models.CharField(max_length=14, choices=Party.choices)
    text = models.TextField(max_length=4000)
    at = models.DateTimeField(default=timezone.now)

    objects = RequestPartQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
