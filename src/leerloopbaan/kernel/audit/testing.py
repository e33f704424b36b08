"""Assert that a piece of code wrote the audit entries it should."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from leerloopbaan.kernel.audit.models import AuditEntry


@dataclass
class AuditCapture:
    entries: list[AuditEntry] = field(default_factory=list)

    def subjects(self) -> set[str]:
        return {s for e in self.entries for s in e.subjects.split()}


@contextlib.contextmanager
def assert_audited(*, count: int | None = 1, action: str | None = "read", subject_type: str | None = None, subjects=None):
    """Run a block and assert it wrote ``count`` new audit entries (of ``action``/``subject_type``).

    ``subjects``: identifiers that must all appear among the new entries' subjects.
    Usage::

        with assert_audited(count=1, subject_type="pupil") as audit:
            client.get(url)
        assert pupil.pupil_key in audit.subjects()
    """
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    capture = AuditCapture()
    yield capture
    qs = AuditEntry.objects.filter(id__gt=last).order_by("id")
    if action is not None:
        qs = qs.filter(action=action)
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    capture.entries = list(qs)
    if count is not None:
        assert len(capture.entries) == count, f"expected {count} audit entries ({action}, {subject_type}), found {len(capture.entries)}: {capture.entries}"
    if subjects is not None:
        missing = set(subjects) - capture.subjects()
        assert not missing, f"audit entries do not name {missing}"
