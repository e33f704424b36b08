"""Who is acting, for which request: carried in context variables so that every audit entry names
its actor and request without each call passing them on."""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    request_id: str = ""
    path: str = ""
    actor_id: int | None = None
    actor_email: str = ""
    role: str = ""


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("leerloopbaan_audit", default=AuditContext())  # noqa: B039 (frozen)


def current() -> AuditContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def acting(*, user=None, request_id: str | None = None, path: str | None = None, role: str | None = None):
    """Run a block as ``user`` (a management command, a task, a test)."""
    base = _current.get()
    ctx = AuditContext(
        request_id=request_id if request_id is not None else (base.request_id or new_request_id()),
        path=path if path is not None else base.path,
        actor_id=getattr(user, "pk", None) if user is not None else base.actor_id,
        actor_email=getattr(user, "email", "") if user is not None else base.actor_email,
        role=role if role is not None else (getattr(user, "role", "") if user is not None else base.role),
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


# The unit of work (``kernel.access``) that collects this context's reads, if one is open: reads
# recorded while it is open join it and are written once when it ends.
_collector: contextvars.ContextVar = contextvars.ContextVar("leerloopbaan_audit_collector", default=None)


def collector():
    """The open unit of work collecting reads, or None."""
    return _collector.get()


def set_collector(value) -> contextvars.Token:
    return _collector.set(value)


def reset_collector(token: contextvars.Token) -> None:
    _collector.reset(token)


def set_context(ctx: AuditContext) -> contextvars.Token:
    return _current.set(ctx)


def reset_context(token: contextvars.Token) -> None:
    _current.reset(token)
