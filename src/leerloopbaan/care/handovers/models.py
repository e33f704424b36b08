"""Models of the handovers part of the support network (imported by care/models.py).

A warm handover follows a pupil who changed school, or who disappeared from the records, from the
sending school to the receiving school and its CLB (or to the city's follow-up team when there is no
receiving school). See care/services_handovers.py for detection and the state machine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.access import PersonQuerySet

__all__ = ["Handover"]


class HandoverQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> HandoverQuerySet:
        """The handovers ``actor`` may see (``care.handovers.selectors.handover_scope``)."""
        from leerloopbaan.care.handovers.selectors import handover_scope

        return handover_scope(actor, self)


class Handover(models.Model):
    """One handover of one pupil, opened for one ended enrolment (``from_enrolment``)."""

    class Kind(models.TextChoices):
        SCHOOL_CHANGE = "school_change", _("school change")
        DISAPPEARED = "disappeared", _("disappeared from the records")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        CLOSED = "closed", _("closed")

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="handovers", verbose_name=_("pupil"))
    from_enrolment = models.ForeignKey("registry.Enrolment", null=True, blank=True, on_delete=models.SET_NULL, related_name="handovers")
    from_school = models.ForeignKey("registry.School", on_delete=models.PROTECT, related_name="handovers_out", verbose_name=_("from school"))
    to_school = models.ForeignKey("registry.School", null=True, blank=True, on_delete=models.PROTECT, related_name="handovers_in",
                                  verbose_name=_("to school"))
    to_clb = models.ForeignKey("registry.Clb", null=True, blank=True, on_delete=models.PROTECT, related_name="handovers_in",
                               verbose_name=_("CLB"))
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened on"), default=timezone.now)
    import_run = models.ForeignKey("registry.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="handovers",
                                   verbose_name=_("detected in import"))
    what_helped = models.TextField(_("what helped"), max_length=4000, blank=True)
    # the kinds of support the pupil had (status, kind, offer title), never notes or descriptions
    current_support = models.JSONField(_("current support"), default=list, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    updated_at = models.DateTimeField(_("changed on"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = HandoverQuerySet.as_manager()

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-opened_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["pupil", "from_enrolment"], name="handover_once_per_enrolment")]
        indexes = [models.Index(fields=["status", "opened_at"], name="care_handover_status_opened")]

    def __str__(self) -> str:
        return f"handover {self.pk}"
