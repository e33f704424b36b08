"""The pattern every app follows for a person's data (see docs/privacy.md).

1. A *scope* function per person-data model returns the queryset of rows the acting user may see;
   nothing reads such a model without it (views, API, commands, tasks call selectors, not the ORM).
2. A *selector* takes ``user`` (keyword-only), applies the scope, and records the read with
   ``audited_read`` before it returns: one audit entry per read, naming every person shown.
3. A row outside the scope answers 404 (not 403), so its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Iterable

from leerloopbaan.kernel.audit.services import audit_record


def audited_read(*, user, subject_type: str, subjects: Iterable[str], purpose: str, object_repr: str = "", detail: dict | None = None):
    """Record that ``user`` read the records of ``subjects`` (pseudonyms or ids) for ``purpose``."""
    return audit_record(
        action="read", subject_type=subject_type, subjects=subjects, purpose=purpose, actor=user, object_repr=object_repr, detail=detail
    )
