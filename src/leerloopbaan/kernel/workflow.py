"""The workflow kernel: one way for every thing with a lifecycle to change state.

Each use case declares its lifecycle once (``Lifecycle``): the states, the transitions (action
name, from-states, to-state, a label for the page, a guard saying who may), the row's version
field, and three hooks: where the event row goes, what the audit entry says and whom to tell. A
service then moves an object with one call::

    workflow.transition(REQUEST, request, "intake", actor=user, version=version, note=note)

and the kernel does the rest, always in this order, in one transaction (a savepoint when the
caller is already in one):

1. lock the stored row (``select_for_update``);
2. the guard: may ``actor`` take this action on this object? otherwise ``PermissionDenied``;
3. the version the caller loaded must still be the stored one, otherwise ``Conflict``;
4. the stored state must be one of the transition's from-states, otherwise ``TransitionNotAllowed``;
5. ``UPDATE ... SET state, version = version + 1, ... WHERE id AND version`` (a row that changed
   in between matches nothing: ``Conflict``, and the transaction rolls back with nothing written);
6. the event row (the lifecycle's own table or list where it has one, the generic
   ``TransitionEvent`` otherwise), then the service's own side effects (``apply``);
7. exactly one audit entry (written last: it is committed at once on its own connection);
8. the notification, sent by ``transaction.on_commit`` only: never for work that rolls back.

A transition whose to-state is ``None`` keeps the state: an edit that still needs the lock, the
version check, the guard and the from-states (a case's summary, "what helped" on a handover); it
writes no event row, only its audit entry. ``allowed_actions(actor, obj)`` lists what the actor may do now (the buttons a page
shows), and ``transition_view`` is the one view every app routes its action URLs to.

Why not django-fsm-2 (4.2.4, which supports Django 5.2): its optimistic locking
(``ConcurrentTransitionMixin``) compares only the state column, "not that strict as true
optimistic locking": our pages send the ``version`` they loaded, and edits that keep the state
(a case summary, a tutor profile, a handover note) must also make a stale form fail, which a
state-only check lets through. Its transitions are model methods that change the instance and
rely on ``save()``, where our services write with one ``UPDATE ... WHERE version`` and keep logic
out of models; and it has no place for the event rows we already keep (``RequestEvent``, a
tutor's history), the audit entry or on-commit notifications (django-fsm-log would add a
second, generic log beside them). What we need from it, a declared table with guards and the
list of transitions available now, fits in this module. This module imports no app (only
Django and ``kernel.audit``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.kernel.audit.services import audit_record

__all__ = [
    "WorkflowError", "Conflict", "TransitionNotAllowed", "Transition", "Lifecycle", "Change", "transition", "lock",
    "allowed_actions", "may", "lifecycle_of", "lifecycles", "state_graph", "events_of", "transition_view", "Action", "GENERIC_EVENTS",
]


class WorkflowError(Exception):
    """A change the kernel refused; the message is shown to the user."""


class Conflict(WorkflowError):
    """The row changed since the caller loaded it (another version): nothing was written."""


class TransitionNotAllowed(WorkflowError):
    """The stored state does not allow this action."""


GENERIC_EVENTS = "generic"


@dataclasses.dataclass(frozen=True)
class Transition:
    """One line of a transition table.

    ``guard(actor, obj)`` says who may; ``obj`` is the stored row (locked, when moving). ``target``
    ``None``: the action keeps the state. ``refused``: the message when the state does not allow it
    (default: "A <thing> that is <state> cannot become <state>.")."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    label: Any
    guard: Callable[[Any, Any], bool]
    refused: Any = None

    def __post_init__(self):
        object.__setattr__(self, "sources", tuple(self.sources))


@dataclasses.dataclass
class Change:
    """What one transition did, handed to the lifecycle's hooks."""

    lifecycle: Lifecycle
    transition: Transition
    actor: Any
    source: str
    target: str
    at: Any
    note: str = ""
    values: dict = dataclasses.field(default_factory=dict)
    context: dict = dataclasses.field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.transition.action


def _no_hook(*args, **kwargs):
    return None


@dataclasses.dataclass
class Lifecycle:
    """The declared lifecycle of one model.

    - ``states``: every state of the model's state field; ``initial``: the states a new object starts in;
      ``terminal``: the states nothing leaves (checked against the table by the tests).
    - ``version_field``: the optimistic-locking counter (``None``: the model has none; the stored
      state is then the token of the ``UPDATE ... WHERE``).
    - ``events``: ``GENERIC_EVENTS`` (the kernel's ``TransitionEvent``), a callable ``(obj, change)``
      that writes the lifecycle's own event row, or ``None`` with ``history_field`` (a JSON list on
      the row itself, appended in the same UPDATE).
    - ``audit(obj, change) -> dict``: the keyword arguments of the one audit entry.
    - ``notify(obj, change)``: tells the other parties; called after the commit only.
    - ``conflict``/``not_allowed``: the exception classes raised (an app's own subclasses of ours);
      ``refused_message``: "A <noun> that is <from> cannot become <to>." in the lifecycle's own words.
    - ``update_caller``: ``transition`` also refreshes the instance the caller passed (and returns it).
    - ``register``: known to ``lifecycles()`` and ``lifecycle_of`` (off for a lifecycle a test declares).
    """

    name: str
    model: type[Model]
    states: Sequence[str]
    initial: Sequence[str]
    transitions: Sequence[Transition]
    noun: Any
    conflict_message: Any
    audit: Callable[[Any, Change], dict]
    terminal: Sequence[str] = ()
    state_field: str = "status"
    version_field: str | None = "version"
    touch_field: str | None = None
    events: Any = GENERIC_EVENTS
    history_field: str | None = None
    notify: Callable[[Any, Change], None] | None = None
    conflict: type[Exception] = Conflict
    not_allowed: type[Exception] = TransitionNotAllowed
    forbidden_message: Any = gettext_lazy("You may not do this.")
    refused_message: Any = gettext_lazy("A %(thing)s that is %(from)s cannot become %(to)s.")
    update_caller: bool = False
    register: bool = True

    def __post_init__(self):
        self.by_action: dict[str, Transition] = {}
        for t in self.transitions:
            if t.action in self.by_action:
                raise ValueError(f"{self.name}: action {t.action!r} declared twice")
            self.by_action[t.action] = t
        if self.register:
            _REGISTRY[self.name] = self
            _BY_MODEL[self.model] = self

    def __hash__(self):
        return hash(self.name)

    def get(self, action: str) -> Transition:
        try:
            return self.by_action[action]
        except KeyError:
            raise ValueError(f"{self.name}: no action {action!r}") from None

    def state_of(self, obj) -> str:
        return getattr(obj, self.state_field)

    def label_of(self, state: str) -> str:
        field = self.model._meta.get_field(self.state_field)
        return str(dict(field.choices or ()).get(state, state))

    def refused(self, t: Transition, state: str) -> str:
        if t.refused is not None:
            label = self.label_of(state)
            return str(t.refused(state) if callable(t.refused) else t.refused) % {"from": label, "status": label}
        if t.target is None:
            return _("This cannot be done while the %(thing)s is %(from)s.") % {"thing": self.noun, "from": self.label_of(state)}
        return str(self.refused_message) % {"thing": self.noun, "from": self.label_of(state), "to": self.label_of(t.target)}


_REGISTRY: dict[str, Lifecycle] = {}
_BY_MODEL: dict[type, Lifecycle] = {}


def state_graph(lifecycle: Lifecycle) -> dict[str, set[str]]:
    """Per state, the states its transitions lead to (edits that keep the state left out)."""
    graph: dict[str, set[str]] = {state: set() for state in lifecycle.states}
    for t in lifecycle.transitions:
        if t.target is not None:
            for source in t.sources:
                graph.setdefault(source, set()).add(t.target)
    return graph


def lifecycles() -> dict[str, Lifecycle]:
    """Every declared lifecycle by name (those whose modules were imported)."""
    return dict(_REGISTRY)


def lifecycle_of(obj_or_model) -> Lifecycle:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for klass in model.__mro__:
        if klass in _BY_MODEL:
            return _BY_MODEL[klass]
    raise LookupError(f"no lifecycle declared for {model.__name__}")


# --- reading: what may the actor do now -----------------------------------------------------------

def _active(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def may(actor, obj, action: str, lifecycle: Lifecycle | None = None) -> bool:
    """May ``actor`` take ``action`` on ``obj`` in its current state?"""
    lc = lifecycle or lifecycle_of(obj)
    t = lc.by_action.get(action)
    return t is not None and lc.state_of(obj) in t.sources and _active(actor) and bool(t.guard(actor, obj))


def allowed_actions(actor, obj, lifecycle: Lifecycle | None = None) -> list[Transition]:
    """The transitions ``actor`` may take on ``obj`` now, in the table's order: the buttons to show."""
    lc = lifecycle or lifecycle_of(obj)
    if not _active(actor):
        return []
    state = lc.state_of(obj)
    return [t for t in lc.transitions if state in t.sources and t.guard(actor, obj)]


# --- writing -------------------------------------------------------------------------------------

def lock(lifecycle: Lifecycle, obj, version: int | None = None):
    """The stored row, locked until the transaction ends; ``Conflict`` when it no longer has ``version``."""
    current = lifecycle.model.objects.select_for_update().get(pk=obj.pk)
    if version is not None and lifecycle.version_field and getattr(current, lifecycle.version_field) != version:
        raise lifecycle.conflict(str(lifecycle.conflict_message))
    return current


def transition(lifecycle: Lifecycle, obj, action: str, *, actor, version: int | None, note: str = "",
               values: Mapping | Callable[[Any], Mapping] | None = None, apply: Callable[[Any, Change], None] | None = None,
               context: Mapping | None = None, audit: bool | Mapping = True, notify: bool = True, guard: bool = True):
    """Take ``action`` on ``obj`` for ``actor`` (see the module's docstring for the steps).

    ``version``: the version the caller loaded (``None``: only the lock and the state check, for a
    change the system makes inside a use case that already checked). ``values``: other fields to
    write in the same UPDATE, or a callable ``(stored row) -> values`` run after every check (it may
    refuse with the app's own error). ``apply(obj, change)``: side effects after the row and the
    event are written. ``audit``: ``False`` when the calling use case writes the one entry that
    covers this change (a cascade), or a mapping that overrides parts of the lifecycle's entry.
    ``guard=False``: a change the system makes as part of a use case whose own guard already passed
    (a need matched when its run is published).

    Returns the stored row as it is now: a new instance (the caller's ``obj`` keeps what the caller
    loaded), or ``obj`` itself, refreshed, for a lifecycle with ``update_caller``."""
    t = lifecycle.get(action)
    with transaction.atomic():
        current = lifecycle.model.objects.select_for_update().get(pk=obj.pk)
        if guard and not (_active(actor) and t.guard(actor, current)):
            raise PermissionDenied(str(lifecycle.forbidden_message))
        vf = lifecycle.version_field
        if version is not None and vf and getattr(current, vf) != version:
            raise lifecycle.conflict(str(lifecycle.conflict_message))
        source = lifecycle.state_of(current)
        if source not in t.sources:
            raise lifecycle.not_allowed(lifecycle.refused(t, source))
        extra = dict((values(current) if callable(values) else values) or {})
        now = timezone.now()
        target = t.target if t.target is not None else source
        change = Change(lifecycle=lifecycle, transition=t, actor=actor, source=source, target=target, at=now, note=note or "",
                        values=extra, context=dict(context or {}))
        update = {lifecycle.state_field: target, **extra}
        if lifecycle.touch_field:
            update.setdefault(lifecycle.touch_field, now)
        if lifecycle.history_field and t.target is not None:
            update[lifecycle.history_field] = [*getattr(current, lifecycle.history_field), _history_item(change)]
        rows = lifecycle.model.objects.filter(pk=current.pk)
        if vf:
            rows = rows.filter(**{vf: getattr(current, vf)})
            update[vf] = F(vf) + 1
        else:
            rows = rows.filter(**{lifecycle.state_field: source})
        if rows.update(**update) == 0:
            raise lifecycle.conflict(str(lifecycle.conflict_message))
        if t.target is not None:  # an edit that keeps the state leaves no event row (the audit entry records it)
            _record_event(lifecycle, current, change)
        current.refresh_from_db()
        if apply is not None:
            apply(current, change)
        if audit:
            entry = dict(lifecycle.audit(current, change))
            if isinstance(audit, Mapping):
                entry.update(audit)
            audit_record(**entry)
        if notify and lifecycle.notify is not None:
            hook = lifecycle.notify
            transaction.on_commit(lambda: hook(current, change))
    if lifecycle.update_caller and obj is not current:
        obj.refresh_from_db()
        return obj
    return current


def _history_item(change: Change) -> dict:
    return {"at": change.at.isoformat(), "by": getattr(change.actor, "pk", None), "from": change.source, "to": change.target,
            "note": change.note}


def _record_event(lifecycle: Lifecycle, obj, change: Change) -> None:
    if lifecycle.events is None:
        return
    if callable(lifecycle.events):
        lifecycle.events(obj, change)
        return
    from leerloopbaan.kernel.events.models import TransitionEvent

    TransitionEvent.objects.create(lifecycle=lifecycle.name, object_id=obj.pk, action=change.action, from_state=change.source,
                                   to_state=change.target, actor_id=getattr(change.actor, "pk", None), at=change.at,
                                   note=change.note[:4000])


def events_of(lifecycle: Lifecycle, obj) -> Iterable:
    """The generic event rows of ``obj``, oldest first."""
    from leerloopbaan.kernel.events.models import TransitionEvent

    return TransitionEvent.objects.filter(lifecycle=lifecycle.name, object_id=obj.pk).order_by("at", "pk")


# --- the one transition view ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Action:
    """One action a ``transition_view`` accepts: its form and the service call.

    ``run(request, obj, data)`` calls the service and returns the success message (or an
    ``HttpResponse`` to answer with). ``form_kwargs(request, obj)``: extra arguments of the form."""

    form: Any
    run: Callable[[Any, Any, dict], Any]
    form_kwargs: Callable[[Any, Any], dict] | None = None
    invalid: Any = gettext_lazy("Please fill in the form completely.")


def transition_view(*, load: Callable[[Any, int], Any], actions: Mapping[str, Action], back: Callable[[Any, Any], str],
                    errors: tuple[type[Exception], ...] = (), action_field: str | None = None, fixed: str | None = None):
    """The one view behind every action URL of a lifecycle (POST only).

    - ``load(request, pk)``: the object, scoped to the user (``Http404`` outside the scope);
    - the action comes from the URL (``action``), a form field (``action_field``) or is ``fixed``;
      an unknown action answers 404;
    - the action's form is checked; an invalid form goes back with a message;
    - ``Conflict`` (a stale version) answers 409 and ``TransitionNotAllowed`` or a refusing guard
      403, each with a clear message and a link back; an app error (``errors``) goes back with
      its message; success goes back with the action's message.
    """
    from django.contrib import messages
    from django.contrib.auth.decorators import login_required
    from django.http import Http404, HttpResponse
    from django.shortcuts import redirect, render
    from django.views.decorators.http import require_POST

    @login_required
    @require_POST
    def view(request, pk: int, action: str | None = None):
        name = fixed or action or (request.POST.get(action_field) if action_field else None)
        if name not in actions:
            raise Http404("no such action")
        obj = load(request, pk)
        spec = actions[name]
        form = spec.form(request.POST, **(spec.form_kwargs(request, obj) if spec.form_kwargs else {}))
        if not form.is_valid():
            messages.error(request, _invalid_message(spec, form))
            return redirect(back(request, obj))
        try:
            result = spec.run(request, obj, form.cleaned_data)
        except Conflict as exc:
            return _refused(request, obj, back, exc, 409, render)
        except TransitionNotAllowed as exc:
            return _refused(request, obj, back, exc, 403, render)
        except PermissionDenied as exc:
            return _refused(request, obj, back, exc, 403, render)
        except errors as exc:
            messages.error(request, str(exc))
            return redirect(back(request, obj))
        if isinstance(result, HttpResponse):
            return result
        if result:
            messages.success(request, str(result))
        return redirect(back(request, obj))

    return view


def _invalid_message(spec: Action, form) -> str:
    if callable(spec.invalid):
        return str(spec.invalid(form))
    return str(spec.invalid)


def _refused(request, obj, back, exc, status: int, render):
    message = str(exc) or (_("Someone else changed this in the meantime. Reload the page and try again.") if status == 409
                           else _("You may not do this."))
    return render(request, "workflow/refused.html", {"message": message, "back": back(request, obj), "conflict": status == 409},
                  status=status)
