"""The pupil page, composed of panels that the apps contribute.

The page (``site``) scopes the pupil once: ``registry.selectors.pupil_subject`` checks that the acting
user may see the pupil, records the read (one audit entry for the page) and works out how far back
the user may look (``visible``: the windows of the pupil's enrolments in the user's schools, and
``visible_until``: the end of the last one when the pupil has left). Every panel gets that one ``PupilSubject``; it never takes a
pupil key, never checks the pupil's scope again and writes no audit entry of its own. It reads its
rows through its app's selectors (their row scopes still apply: a school's scores, the needs entered
for the user's schools, ...), cut to ``visible`` (``subject.visible.q("date")`` for a date field):
nothing of the pupil from before the first day of an enrolment in the user's schools, nor after
the end of the last one.

An app registers its panel in ``AppConfig.ready()`` with ``register_pupil_panel``. The kernel
imports no app; the page imports no panel.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q


@dataclass(frozen=True)
class Windows:
    """The periods of a pupil's records a user may see: the pupil's enrolments in the user's schools,
    each ``(first day, last day or None while open)``. A user with no windows sees no dated record."""

    periods: tuple[tuple[datetime.date, datetime.date | None], ...]

    @property
    def first(self) -> datetime.date | None:
        return min((start for start, _end in self.periods), default=None)

    @property
    def until(self) -> datetime.date | None:
        """The last day of the last window, None while one is open (or there is none)."""
        if not self.periods or any(end is None for _start, end in self.periods):
            return None
        return max(end for _start, end in self.periods)

    def contains(self, day: datetime.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.periods)

    def overlaps(self, start: datetime.date, end: datetime.date | None) -> bool:
        """Whether the period ``start`` .. ``end`` (None: open) meets a window."""
        return any((end is None or w_start <= end) and (w_end is None or start <= w_end) for w_start, w_end in self.periods)

    def q(self, field: str) -> Q:
        """A Q keeping the rows whose date ``field`` lies in a window (a ``__date`` lookup for a datetime)."""
        out = Q(pk__in=[])
        for start, end in self.periods:
            part = Q(**{f"{field}__gte": start})
            if end is not None:
                part &= Q(**{f"{field}__lte": end})
            out |= part
        return out


@dataclass(frozen=True)
class PupilSubject:
    """A pupil the user may see, read once (scoped and audited) for one page view."""

    user: Any
    pupil: Any
    label: str                               # the name, or the pseudonym for users who may not see names
    visible_until: datetime.date | None      # the last date of the pupil's records the user may see (None: all)
    pseudonymised: bool = False              # a city role: show only what registry.pseudonymised releases
                                             # (no date finer than a school year, no exact birth date or postcode)
    visible: Windows | None = None           # the windows of the pupil's records the user may see (None: all)

    def cut(self, qs, field: str):
        """``qs`` kept to the rows whose date ``field`` lies in the user's windows."""
        if self.visible is None:
            return qs if self.visible_until is None else qs.filter(**{f"{field}__lte": self.visible_until})
        return qs.filter(self.visible.q(field))


@dataclass(frozen=True)
class PupilPanel:
    """One app's part of the pupil page.

    ``read(subject)`` returns the panel's template context, or None when the panel has nothing for
    this user (it is then left out). ``template``: the panel's section; ``actions_template``: links
    and buttons under the page title (ask for support, ...); ``summary_template``: the panel's part of
    the summary at the top of the page (the risk and its reasons, what is already under way), shown
    before every panel's section. Panels are shown in ascending ``order``, their summaries too.
    """

    name: str
    order: int
    read: Callable[[PupilSubject], dict | None]
    template: str = ""
    actions_template: str = ""
    summary_template: str = ""


@dataclass(frozen=True)
class ShownPanel:
    panel: PupilPanel
    data: dict


_panels: dict[str, PupilPanel] = {}


def register_pupil_panel(panel: PupilPanel) -> None:
    """Add a panel to the pupil page (registering a name again replaces it)."""
    _panels[panel.name] = panel


def unregister_pupil_panel(name: str) -> None:
    _panels.pop(name, None)


def pupil_panels() -> tuple[PupilPanel, ...]:
    return tuple(sorted(_panels.values(), key=lambda p: (p.order, p.name)))


def compose(subject: PupilSubject) -> list[ShownPanel]:
    """Every registered panel's data for this subject, in order; panels with nothing to show left out."""
    shown = []
    for panel in pupil_panels():
        data = panel.read(subject)
        if data is not None:
            shown.append(ShownPanel(panel, data))
    return shown
