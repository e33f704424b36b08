"""The append-only audit log of every read and write of a person's data."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """The audit log cannot be changed or deleted (only purged after the retention period)."""


class AppendOnlyQuerySet(models.QuerySet):
    """The ORM's bulk paths skip ``save()`` and ``delete()``: they refuse too. Only the retention purge
    (``kernel.audit.services.audit_purge``) removes entries, through ``_purge_before``."""

    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit entries cannot be changed")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")

    delete.queryset_only = True

    def _purge_before(self, cutoff) -> int:
        """Delete the entries older than ``cutoff`` (the retention purge only)."""
        deleted, _ = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted

    _purge_before.queryset_only = True


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("read")
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        EXPORT = "export", _("export")
        IMPORT = "import", _("import")
        LOGIN = "login", _("login")
        SEARCH = "search", _("search")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_email = models.CharField(_("actor"), max_length=254, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    subject_type = models.CharField(_("subject type"), max_length=60, blank=True)
    # Space-separated identifiers of the people concerned (pupil keys, user ids as "user:12", ...).
    subjects = models.TextField(_("subjects"), blank=True)
    subject_count = models.PositiveIntegerField(_("number of subjects"), default=0)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or '-'} {self.action} {self.subject_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")
