"""What is already under way for a pupil, contributed by the apps: an open support request, a tutor, an
open case, a follow-up noted.

A list of many pupils (the risk list, its export) asks ``pupil_statuses(user, pupil_ids)`` once for the
whole batch. Every registered provider answers for the batch in a constant number of queries (never one
per pupil), through its own app's scope rules: it returns only what ``user`` may see (another school's
request, a case the user takes no part in, never appear). ``pupil_ids`` is a list of ids or a queryset
of ids (``values("pupil_id")``), already scoped by the caller. Providers record no read of their own:
the list that shows the statuses records the pupils it shows.

An app registers its provider in ``AppConfig.ready()`` with ``register_status_provider``. The kernel
imports no app; a lower layer (ews) shows the statuses of the higher ones (care, tutoring) without
importing them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PupilStatus:
    """One thing under way for a pupil. ``kind``: a value of its provider's ``kinds`` (the status filter);
    ``text``: what the list shows ("Support request #12", "Tutor since 3 Oct 2026"); ``url``: a link to
    it, when the user may open it; ``since``: when it started."""

    kind: str
    text: str
    url: str = ""
    since: datetime.date | None = None


@dataclass(frozen=True)
class StatusProvider:
    """One app's statuses. ``read(user, pupil_ids)`` answers ``{pupil id: [PupilStatus, ...]}`` for the
    pupils of the batch that have something under way the user may see, in a constant number of
    queries. ``kinds``: ``(value, label)`` of the kinds it answers, in the order lists show them."""

    name: str
    order: int
    kinds: tuple[tuple[str, Any], ...]
    read: Callable[[Any, Any], dict[int, list[PupilStatus]]]


_providers: dict[str, StatusProvider] = {}


def register_status_provider(provider: StatusProvider) -> None:
    """Add a provider (registering a name again replaces it)."""
    _providers[provider.name] = provider


def unregister_status_provider(name: str) -> None:
    _providers.pop(name, None)


def status_providers() -> tuple[StatusProvider, ...]:
    return tuple(sorted(_providers.values(), key=lambda p: (p.order, p.name)))


def status_kinds() -> list[tuple[str, Any]]:
    """Every kind of status, ``(value, label)``, in the providers' order (the choices of a status filter)."""
    return [kind for provider in status_providers() for kind in provider.kinds]


def pupil_statuses(user, pupil_ids: Iterable[int] | Any) -> dict[int, list[PupilStatus]]:
    """The statuses of every pupil of the batch that has any, each provider's in its order."""
    if isinstance(pupil_ids, list | tuple | set | frozenset) and not pupil_ids:
        return {}
    out: dict[int, list[PupilStatus]] = {}
    for provider in status_providers():
        for pupil_id, statuses in provider.read(user, pupil_ids).items():
            out.setdefault(int(pupil_id), []).extend(statuses)
    return out
