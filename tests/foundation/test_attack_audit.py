"""Attacks on the audit log: an entry must not be removable or changeable through the ORM's bulk paths
(QuerySet.delete/update skip the model's delete()/save())."""

from __future__ import annotations

import pytest

from leerloopbaan.kernel.audit.models import AppendOnlyError, AuditEntry
from leerloopbaan.kernel.audit.services import audit_record


@pytest.mark.django_db(databases=["default", "audit"])
def test_queryset_delete_and_update_are_refused():
    entry = audit_record(action="read", subject_type="pupil", subjects=["victim"])
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(purpose="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["purpose"])
    assert AuditEntry.objects.filter(pk=entry.pk, purpose="").exists()

