"""One access layer for a person's data: every read is scoped, and audited once per unit of work.

The rules (docs/privacy.md):

1. Every person-data model has a queryset derived from ``PersonQuerySet`` with ``visible_to(actor)``:
   the rows that actor may see, from the app's scope rules. Nothing reads such a model for a user
   without it: views, API endpoints, commands and template tags call selectors and services, never
   the ORM (an import-linter contract keeps person models out of them).
2. A selector reads through an ``Access``: ``access.get(qs, purpose=..., pk=...)`` answers one visible
   row or ``Http404`` (a row outside the scope does not leak its existence),
   ``access.list(qs, purpose=...)`` the visible rows, ``access.filter(qs, ...)`` a scoped queryset
   that is not yet a read (counts, existence, aggregates), and ``access.record(...)`` records a read
   the selector made itself (a special grant, such as the follow-up team's NEET list).
3. One ``Access`` unit per unit of work: an HTTP request (``AccessMiddleware``), a management command
   or a task (``unit_of_work``). Reads recorded while a unit is open are written when it ends, as
   ONE audit entry per subject type and actor, every person named once, the purposes merged
   (an export in the unit makes the entry an export). A page that reads a pupil through three
   selectors writes one entry naming that pupil. A person named by a write entry of the same unit
   (a service's own entry) is not named again by its read entry.
4. Without an open unit (a test or a shell calling a selector directly) every read is written at
   once, as before.
5. Fail closed: when the entries of a request cannot be written, the response is replaced by the
   500 error page, so the data is not sent. A streamed response (``FileResponse``, CSV, ZIP) must
   have made and recorded every read before the view returns it; what a stream reads later is
   outside the unit and written at once.

``audited_read(...)`` and ``audit_record(action="read" | "export")`` (kernel.audit.services) join
the open unit too, so every existing read path takes part.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand
from django.db import models
from django.http import Http404

logger = logging.getLogger("leerloopbaan.kernel.access")

_UNSET = object()

# the largest offset a page may start at: a bigger one (a hostile ``?page=`` or ``?offset=``) is past
# every row, and would overflow the database's 64-bit integer (SQLite raises OverflowError)
MAX_OFFSET = 2**62


# --- the queryset every person-data model derives from -----------------------------------------

class PersonQuerySet(models.QuerySet):
    """The queryset of a model that holds a person's data.

    ``subject_type`` and ``subject_path`` say whom a row is about, for the audit entry: the path of
    attributes from a row to the person's identifier (``"pupil.pupil_key"``; ``"pk"`` with
    ``subject_prefix = "tutor:"`` for a tutor). A row whose path ends in None names nobody (a
    support request about a school, not a pupil).
    """

    subject_type = "pupil"
    subject_path = "pupil.pupil_key"
    subject_prefix = ""

    def visible_to(self, actor) -> PersonQuerySet:  # pragma: no cover - every subclass implements it
        raise NotImplementedError(f"{type(self).__name__} must say which rows an actor may see")

    @classmethod
    def subjects_of(cls, row) -> list[tuple[str, str]]:
        value = row
        for part in cls.subject_path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return []
        return [(cls.subject_type, f"{cls.subject_prefix}{value}")]

    @classmethod
    def subject_related(cls) -> str | None:
        """The ``select_related`` path that loads the person's identifier with a row (None: on the row)."""
        parts = cls.subject_path.split(".")[:-1]
        return "__".join(parts) or None


def _queryset(source) -> models.QuerySet:
    if isinstance(source, models.QuerySet):
        return source
    if isinstance(source, type) and issubclass(source, models.Model):
        return source._default_manager.all()
    if hasattr(source, "all"):  # a manager, or a related manager
        return source.all()
    raise TypeError(f"not a model or a queryset: {source!r}")


def _person_queryset(source) -> PersonQuerySet:
    qs = _queryset(source)
    if not isinstance(qs, PersonQuerySet):
        raise TypeError(f"{qs.model.__name__} is not a person-data model (its queryset has no visible_to)")
    return qs


def subjects_of(row) -> list[tuple[str, str]]:
    """(subject type, identifier) of the people a row of a person-data model is about."""
    qs_class = getattr(type(row)._default_manager, "_queryset_class", None)
    if qs_class is None or not issubclass(qs_class, PersonQuerySet):
        raise TypeError(f"{type(row).__name__} is not a person-data model")
    return qs_class.subjects_of(row)


# --- the unit of work ----------------------------------------------------------------------------

def _actor_key(actor):
    """Who a read is recorded for: the user's id (None for an anonymous visitor or the system)."""
    if actor is None:
        from leerloopbaan.kernel.audit import context

        return context.current().actor_id
    return getattr(actor, "pk", None)


@dataclass
class _Reads:
    """What one actor read of one subject type in a unit of work."""

    actor: Any
    subject_type: str
    action: str = "read"
    subjects: dict[str, None] = field(default_factory=dict)  # ordered set
    purposes: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    details: list[dict] = field(default_factory=list)

    def add(self, *, action, subjects, purpose, object_repr, detail):
        if action == "export":
            self.action = "export"
        for s in subjects:
            self.subjects.setdefault(str(s), None)
        if purpose and purpose not in self.purposes:
            self.purposes.append(purpose)
        if object_repr and object_repr not in self.objects:
            self.objects.append(object_repr)
        self.details.append({"purpose": purpose, **({"object": object_repr} if object_repr else {}), **(detail or {})})

    def detail(self) -> dict:
        if len(self.details) == 1:
            only = dict(self.details[0])
            only.pop("purpose", None)
            only.pop("object", None)
            return only
        return {"reads": self.details}


class Unit:
    """The reads of one unit of work, written as one entry per subject type and actor when it ends."""

    def __init__(self, *, immediate: bool = False, label: str = ""):
        self.immediate = immediate
        self.label = label
        self.closed = False
        self._reads: dict[tuple, _Reads] = {}
        self._named: dict[Any, set[str]] = {}

    # called by kernel.audit.services.audit_record
    def join(self, *, action: str = "read", subject_type: str, subjects: Iterable[str] = (), purpose: str = "",
             object_repr: str = "", actor=None, detail: dict | None = None) -> None:
        subjects = [str(s) for s in subjects]
        if self.immediate or self.closed:
            from leerloopbaan.kernel.audit.services import audit_write

            if self.closed:
                logger.warning("a read after its unit of work ended (%s) is written on its own", self.label or "unit")
            audit_write(action=action, subject_type=subject_type, subjects=subjects, purpose=purpose, object_repr=object_repr,
                        actor=actor, detail=detail)
            return
        key = (_actor_key(actor), subject_type)
        reads = self._reads.get(key)
        if reads is None:
            reads = self._reads[key] = _Reads(actor=actor, subject_type=subject_type)
        elif reads.actor is None and actor is not None:
            reads.actor = actor
        reads.add(action=action, subjects=subjects, purpose=purpose, object_repr=object_repr, detail=detail)

    def named(self, *, actor, subjects: Iterable[str]) -> None:
        """A write entry of this unit named ``subjects``: its reads need not name them again."""
        self._named.setdefault(_actor_key(actor), set()).update(str(s) for s in subjects)

    def pending(self) -> list[_Reads]:
        return list(self._reads.values())

    def close(self) -> None:
        """Write the unit's entries (once). Raises when an entry cannot be written."""
        if self.closed:
            return
        self.closed = True
        from leerloopbaan.kernel.audit.services import audit_write

        reads, self._reads = self._reads, {}
        for (actor_key, subject_type), r in reads.items():
            named = self._named.get(actor_key, set())
            subjects = [s for s in r.subjects if s not in named]
            if r.subjects and not subjects:
                continue  # every person read here is named by a write entry of this unit already
            audit_write(action=r.action, subject_type=subject_type, subjects=subjects, purpose="; ".join(r.purposes)[:200],
                        object_repr="; ".join(r.objects)[:200], actor=r.actor, detail=r.detail())


_unit: contextvars.ContextVar[Unit | None] = contextvars.ContextVar("leerloopbaan_access_unit", default=None)


def current_unit() -> Unit | None:
    return _unit.get()


@contextlib.contextmanager
def _opened(unit: Unit) -> Iterator[Unit]:
    from leerloopbaan.kernel.audit import context

    token = _unit.set(unit)
    collector = context.set_collector(unit)
    try:
        yield unit
    finally:
        context.reset_collector(collector)
        _unit.reset(token)


# --- the access object -------------------------------------------------------------------------------

class Access:
    """Scoped, audited reads of person data for one actor, in the current unit of work."""

    def __init__(self, actor=None, *, unit: Unit | None = None):
        self.actor = actor
        self.unit = unit if unit is not None else (current_unit() or Unit(immediate=True))

    def __repr__(self) -> str:
        return f"<Access actor={_actor_key(self.actor)} unit={'immediate' if self.unit.immediate else self.unit.label or 'open'}>"

    # scoping, no read yet
    def scope(self, source) -> PersonQuerySet:
        """Every row of ``source`` (a model, manager or queryset of person data) the actor may see."""
        return _person_queryset(source).visible_to(self.actor)

    def filter(self, source, *args, **lookup) -> PersonQuerySet:
        """``scope(source).filter(...)``: for counts, existence checks and aggregates (not a read)."""
        return self.scope(source).filter(*args, **lookup)

    def visible(self, row) -> bool:
        """Whether the actor may see ``row`` (already loaded): no query for a row this actor's Access read."""
        key = _actor_key(self.actor)
        if getattr(row, "_access_checked_for", _UNSET) == key:
            return True
        if self.scope(type(row)).filter(pk=row.pk).exists():
            row._access_checked_for = key
            return True
        return False

    def require(self, row) -> None:
        """``Http404`` unless the actor may see ``row``: for a selector that receives a row another selector read."""
        if row is None or not self.visible(row):
            raise Http404("not visible")

    # reads
    def get(self, source, *args, purpose: str, object_repr: str = "", detail: dict | None = None, **lookup):
        """The one row matching ``lookup`` the actor may see, recorded; ``Http404`` when there is none."""
        qs = self.scope(source)
        related = qs.subject_related()
        if related:
            qs = qs.select_related(related)
        row = qs.filter(*args, **lookup).first()
        if row is None:
            raise Http404(f"no such {qs.model._meta.verbose_name}")
        row._access_checked_for = _actor_key(self.actor)
        self.record(row, purpose=purpose, object_repr=object_repr, detail=detail)
        return row

    def list(self, source, *args, purpose: str, limit: int | None = None, offset: int = 0, object_repr: str = "",
             detail: dict | None = None, **lookup) -> list:
        """The rows matching ``lookup`` the actor may see (``offset``/``limit``: a page), recorded as one read."""
        qs = self.scope(source).filter(*args, **lookup)
        related = qs.subject_related()
        if related:
            qs = qs.select_related(related)
        offset = max(offset, 0)
        if limit is not None:
            limit = max(min(limit, MAX_OFFSET), 0)
        if offset >= MAX_OFFSET:
            rows = []  # past every row
        else:
            rows = list(qs[offset: offset + limit] if limit is not None else qs[offset:] if offset else qs)
        key = _actor_key(self.actor)
        for row in rows:
            row._access_checked_for = key
        self.record(rows, purpose=purpose, subject_type=qs.subject_type, object_repr=object_repr, detail=detail)
        return rows

    def record(self, rows: Any = (), *, purpose: str, subject_type: str | None = None, subjects: Iterable[str] | None = None,
               object_repr: str = "", detail: dict | None = None, action: str = "read", actor: Any = _UNSET) -> None:
        """Record that the actor read ``rows`` (rows of person-data models) or ``subjects`` (identifiers of
        ``subject_type``). An empty read of ``subject_type`` is recorded too (an empty list was shown)."""
        if isinstance(rows, models.Model):
            rows = [rows]
        by_type: dict[str, list[str]] = {}
        if subject_type:
            by_type[subject_type] = []
        for row in rows or ():
            for kind, ident in subjects_of(row):
                by_type.setdefault(kind, []).append(ident)
        if subjects is not None:
            if not subject_type:
                raise ValueError("subjects need a subject_type")
            by_type[subject_type].extend(str(s) for s in subjects)
        who = self.actor if actor is _UNSET else actor
        for kind, idents in by_type.items():
            self.unit.join(action=action, subject_type=kind, subjects=list(dict.fromkeys(idents)), purpose=purpose,
                           object_repr=object_repr, actor=who, detail=detail)


def access_for(user) -> Access:
    """The access of ``user`` in the open unit of work, or one that writes each read at once."""
    return Access(user)


def audited_read(*, user, subject_type: str, subjects: Iterable[str], purpose: str, object_repr: str = "", detail: dict | None = None):
    """Record that ``user`` read the records of ``subjects`` (pseudonyms or ids) for ``purpose``.

    Joins the open unit of work (one entry per subject type when it ends), else writes at once."""
    access_for(user).record(subject_type=subject_type, subjects=list(subjects), purpose=purpose, object_repr=object_repr,
                            detail=detail)


# --- opening a unit: commands, tasks, scripts ----------------------------------------------------------

@contextlib.contextmanager
def unit_of_work(actor=None, *, label: str = "") -> Iterator[Access]:
    """Run a block as one unit of work (a management command, a task, a script) and yield the actor's Access.

    Inside an open unit this joins it. Otherwise it opens one, runs the block as ``actor`` (the audit
    context names them), and writes the unit's entries when the block ends, also when it fails."""
    outer = current_unit()
    if outer is not None:
        yield Access(actor, unit=outer)
        return
    from leerloopbaan.kernel.audit.context import acting

    unit = Unit(label=label)
    with acting(user=actor) if actor is not None else contextlib.nullcontext(), _opened(unit):
        try:
            yield Access(actor, unit=unit)
        except BaseException:
            try:
                unit.close()
            except Exception:
                logger.exception("the audit entries of a failed unit of work (%s) could not be written", label or "unit")
            raise
        unit.close()


def in_unit_of_work(label: str):
    """Decorator: run a task (or any function) as one unit of work of the system."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with unit_of_work(label=label):
                return fn(*args, **kwargs)
        return wrapper
    return decorate


class UnitOfWorkCommand(BaseCommand):
    """A management command run as one unit of work: its reads of person data are audited once, when it ends."""

    def execute(self, *args, **options):
        with unit_of_work(label=f"command {type(self).__module__.rsplit('.', 1)[-1]}"):
            return super().execute(*args, **options)


# --- one unit per HTTP request ------------------------------------------------------------------------

class AccessMiddleware:
    """One unit of work per request: its reads are written when the response is ready, before it is sent.

    Fail closed: if the entries cannot be written, the response is replaced by the 500 error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        unit = Unit(label=request.path)
        with _opened(unit):
            try:
                response = self.get_response(request)
            except BaseException:
                try:
                    unit.close()
                except Exception:
                    logger.exception("the audit entries of a failed request could not be written")
                raise
        try:
            unit.close()
        except Exception:
            logger.exception("the audit entries of request %s could not be written: the response is withheld",
                             getattr(request, "request_id", ""))
            from django.views.defaults import server_error

            return server_error(request)
        return response
