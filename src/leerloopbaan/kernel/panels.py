"""The pupil page, composed of panels that the apps contribute.

The page (``site``) scopes the pupil once: ``registry.selectors.pupil_subject`` checks that the acting
user may see the pupil, records the read (one audit entry for the page) and works out how far back
the user may look (``visible_until``). Every panel gets that one ``PupilSubject``; it never takes a
pupil key, never checks the pupil's scope again and writes no audit entry of its own. It reads its
rows through its app's selectors (their row scopes still apply: a school's scores, the needs entered
for the user's schools, ...), cut at ``visible_until``.

An app registers its panel in ``AppConfig.ready()`` with ``register_pupil_panel``. The kernel
imports no app; the page imports no panel.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PupilSubject:
    """A pupil the user may see, read once (scoped and audited) for one page view."""

    user: Any
    pupil: Any
    label: str                               # the name, or the pseudonym for users who may not see names
    visible_until: datetime.date | None      # the last date of the pupil's records the user may see (None: all)
    pseudonymised: bool = False              # a city role: show only what registry.pseudonymised releases
                                             # (no date finer than a school year, no exact birth date or postcode)


@dataclass(frozen=True)
class PupilPanel:
    """One app's part of the pupil page.

    ``read(subject)`` returns the panel's template context, or None when the panel has nothing for
    this user (it is then left out). ``template``: the panel's section; ``actions_template``: links
    and buttons under the page title (ask for support, ...). Panels are shown in ascending ``order``.
    """

    name: str
    order: int
    read: Callable[[PupilSubject], dict | None]
    template: str = ""
    actions_template: str = ""


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
