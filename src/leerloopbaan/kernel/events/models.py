"""The event rows of the lifecycles that have no event table of their own (see ``kernel/workflow.py``).

One row per transition: which lifecycle and object, the action, from which state to which, who and
when, and the note given with it. The object is named by its id only (no foreign key: the kernel
knows no app), and the actor by the user id, as in the audit log.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TransitionEvent(models.Model):
    lifecycle = models.CharField(_("lifecycle"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    note = models.TextField(_("note"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["lifecycle", "object_id"], name="events_lifecycle_object")]

    def __str__(self) -> str:
        return f"{self.lifecycle} {self.object_id}: {self.from_state} -> {self.to_state}"
