"""Writing the audit log. The only write path for AuditEntry."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit import context
from leerloopbaan.kernel.audit.database import retention_in_database
from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.routers import AUDIT_ALIAS

logger = logging.getLogger("leerloopbaan.kernel.audit")

# At most this many subjects in one entry (64-character pupil keys: about 200 kB of text).
SUBJECTS_PER_ENTRY = 3000


# Reads and exports join the open unit of work (``kernel.access``): one entry per subject type
# per unit, written when the unit ends. Every other action is written at once.
JOINED_ACTIONS = frozenset({"read", "export"})


def audit_record(
    *,
    action: str,
    subject_type: str = "",
    subjects: Iterable[str] = (),
    object_repr: str = "",
    purpose: str = "",
    actor=None,
    detail: dict | None = None,
) -> AuditEntry | None:
    """Record one use case in the audit log.

    A read or an export inside an open unit of work (an HTTP request, a command, a task: see
    ``kernel.access``) joins it and is written, merged with the unit's other reads of the same
    subject type, when the unit ends; then None is returned. Otherwise the entry is written at once
    (``audit_write``) and returned; a write (create, update, delete, import, ...) tells the open
    unit which people it named, so the unit does not name them a second time.
    """
    unit = context.collector()
    if unit is not None and action in JOINED_ACTIONS:
        unit.join(action=action, subject_type=subject_type, subjects=subjects, object_repr=object_repr, purpose=purpose,
                  actor=actor, detail=detail)
        return None
    subject_list = [str(s) for s in subjects]
    entry = audit_write(action=action, subject_type=subject_type, subjects=subject_list, object_repr=object_repr,
                        purpose=purpose, actor=actor, detail=detail)
    if unit is not None and subject_list:
        unit.named(actor=actor, subjects=subject_list)
    return entry


def audit_write(
    *,
    action: str,
    subject_type: str = "",
    subjects: Iterable[str] = (),
    object_repr: str = "",
    purpose: str = "",
    actor=None,
    detail: dict | None = None,
) -> AuditEntry:
    """Write one audit entry at once, on the audit connection.

    The entry is committed independently of any transaction the caller is in (the "audit" database
    alias is a connection of its own), so it stays even when the caller's work rolls back. It is
    also logged to the "leerloopbaan.kernel.audit" logger, so an operator can ship it elsewhere.

    Every subject is named. A use case that touches more people than one entry holds (a city-wide
    detection, a large export) is written as consecutive parts with the same request id, each
    saying which part it is; the first part is returned.
    """
    subject_list = [str(s) for s in subjects]
    parts = [subject_list[i : i + SUBJECTS_PER_ENTRY] for i in range(0, len(subject_list), SUBJECTS_PER_ENTRY)] or [[]]
    first = None
    for n, part in enumerate(parts, start=1):
        extra = dict(detail or {})
        if len(parts) > 1:
            extra.update({"part": n, "parts": len(parts), "subjects_in_all": len(subject_list)})
        entry = _write_entry(action=action, subject_type=subject_type, subject_list=part, object_repr=object_repr,
                             purpose=purpose, actor=actor, detail=extra)
        first = first or entry
    return first


def _write_entry(*, action, subject_type, subject_list, object_repr, purpose, actor, detail) -> AuditEntry:
    ctx = context.current()
    entry = AuditEntry(
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None) if actor is not None else ctx.actor_id,
        actor_email=getattr(actor, "email", "") if actor is not None else ctx.actor_email,
        role=getattr(actor, "role", "") if actor is not None else ctx.role,
        action=action,
        subject_type=subject_type,
        subjects=" ".join(subject_list),
        subject_count=len(subject_list),
        object_repr=object_repr[:200],
        purpose=purpose[:200],
        request_id=ctx.request_id,
        path=ctx.path[:300],
        detail=detail or {},
    )
    # Autocommit on the audit connection: never part of the caller's transaction.
    with transaction.atomic(using=AUDIT_ALIAS):
        entry.save(using=AUDIT_ALIAS, force_insert=True)
    logger.info(
        "audit action=%s type=%s count=%d actor=%s role=%s purpose=%s request=%s",
        action, subject_type, len(subject_list), entry.actor_id, entry.role, purpose, entry.request_id,
    )
    return entry


def audit_purge() -> int:
    """Delete entries older than the retention period. The only way entries leave the log.

    PostgreSQL: ``audit_purge_expired()``, a function owned by the migration role, deletes what is
    older than the retention the database holds (kept equal to settings.AUDIT_RETENTION_DAYS by
    ``migrate``), by the database's clock; the application role cannot delete otherwise (migration
    0003, docs/deploy.md). SQLite (the demo): the rows older than settings.AUDIT_RETENTION_DAYS.
    """
    conn = connections[AUDIT_ALIAS]
    with transaction.atomic(using=AUDIT_ALIAS):
        if conn.vendor == "postgresql":
            with conn.cursor() as cur:
                cur.execute("SELECT audit_purge_expired()")
                deleted = cur.fetchone()[0]
            days = retention_in_database(AUDIT_ALIAS)
        else:
            days = settings.AUDIT_RETENTION_DAYS
            deleted = AuditEntry.objects.using(AUDIT_ALIAS)._purge_before(clock.now() - timedelta(days=days))
    if deleted:
        audit_write(action=AuditEntry.Action.DELETE, subject_type="audit_entry",
                    object_repr=f"{deleted} entries older than {days} days", purpose="retention")
    return deleted
