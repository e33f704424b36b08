"""Warm handovers: detection after an import, and the receiving side's acknowledgement.

Detection (``handovers_detect``) is set-based: a few queries for the whole population, never one per
pupil. It opens one handover per pupil and ended enrolment (idempotent: a second run opens nothing):

(a) school change: an enrolment ended with end reason ``school_change`` and the pupil has a later
    enrolment in another school -> from the old school to the new school and the new school's CLB;
(b) disappeared: the pupil's last enrolment ended (``left``, ``other``, or ``school_change`` without
    a new school), the pupil has no qualification and no later enrolment -> to the city's follow-up
    team (care coordinators; no receiving school). When a later import brings the pupil's enrolment
    in another school (the old school's file came before the new school's), the handover, while
    still open, is routed to the receiving school and its CLB (kind school change).

Only enrolments that ended in the last ``HANDOVER_LOOKBACK_DAYS`` days (default 365) up to today are
looked at, so that loading years of history does not open handovers for long-past school changes.

The handover carries ``current_support``: the kinds of support the pupil had from the sending school
(status, kind of assignee, offer title), and only from support requests in which the school shared
the pupil's name with the support team (``name_attached``) -- never the question or notes.
``what_helped`` is written by the sending school. The receiving side reads either only while a consent
covers it, checked at every read (``care.handovers.selectors``).

State machine (``HANDOVER``, through the workflow kernel)::

    open -> open (route)                (the system: a disappeared pupil turned up in another school)
    open -> acknowledged -> closed      (the receiving side acknowledges; closes when done)
    open | acknowledged -> closed       (the follow-up team closes any handover)

Every write: one transaction, one audit entry, mail to the other side after the commit (no names in
mail). Updates use optimistic locking on ``version`` (``Conflict``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.models import Membership, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import Handover, SupportRequest
from leerloopbaan.care.requests.services import CareError, Conflict, TransitionNotAllowed
from leerloopbaan.kernel import clock, workflow
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import Attestation, EndReason, Enrolment, Pupil, School

Status = Handover.Status
Kind = Handover.Kind

DISAPPEAR_REASONS = [EndReason.LEFT, EndReason.OTHER, EndReason.SCHOOL_CHANGE]

__all__ = ["CareError", "Conflict", "TransitionNotAllowed", "handovers_detect", "handover_acknowledge", "handover_note_what_helped",
           "handover_close", "is_sender", "is_receiver", "may_acknowledge", "may_close", "support_summary"]


# --- who is who -----------------------------------------------------------------------------

def _school_ids(user) -> set[int]:
    return set(Membership.objects.active().filter(user=user, school__isnull=False).values_list("school_id", flat=True))


def _clb_ids(user) -> set[int]:
    return set(Membership.objects.active().filter(user=user, clb__isnull=False).values_list("clb_id", flat=True))


def is_sender(user, h: Handover) -> bool:
    return user.role == Role.SCHOOL_STAFF and h.from_school_id in _school_ids(user)


def is_receiver(user, h: Handover) -> bool:
    """Staff of the receiving school, or a worker of the receiving CLB (the follow-up team for a
    handover without a receiving school)."""
    if h.to_school_id is None:
        return user.role == Role.CARE_COORDINATOR
    if user.role == Role.SCHOOL_STAFF:
        return h.to_school_id in _school_ids(user)
    if user.role == Role.CLB_WORKER:
        return h.to_clb_id is not None and h.to_clb_id in _clb_ids(user)
    return False


def may_acknowledge(user, h: Handover) -> bool:
    return workflow.may(user, h, "acknowledge", HANDOVER)


def may_close(user, h: Handover) -> bool:
    return workflow.may(user, h, "close", HANDOVER) or workflow.may(user, h, "close_received", HANDOVER)


# --- detection ------------------------------------------------------------------------------

def support_summary(pupil_school_pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[dict]]:
    """Per (pupil id, school id): the kinds of support of the school's requests about the pupil --
    status, kind of assignee, offer title, since -- only of requests on which the school shared the
    pupil's name. Never the question or notes. One query. Whether the receiving side may read it is
    decided at every read by the consent then in force (``care.handovers.selectors.handover_get``), not
    here, once, when the handover opens."""
    pupils = {p for p, _s in pupil_school_pairs}
    out: dict[tuple[int, int], list[dict]] = defaultdict(list)
    if not pupils:
        return out
    rows = (SupportRequest.objects.filter(pupil_id__in=pupils, subject_level=SupportRequest.Subject.PUPIL, name_attached=True)
            .values_list("pupil_id", "school_id", "status", "assigned_kind", "offer__title", "created_at").order_by("created_at"))
    for pid, sid, status, kind, offer, created in rows:
        if (pid, sid) in pupil_school_pairs:
            out[(pid, sid)].append({"status": "closed" if status == SupportRequest.Status.CLOSED else "open", "kind": kind or "",
                                    "offer": offer or "", "since": clock.date_of(created).isoformat()})
    return out


def handovers_detect(*, import_run=None, today: datetime.date | None = None, lookback_days: int | None = None) -> dict:
    """Open the handovers the registry calls for, and route the open handovers of disappeared pupils
    who since turned up in another school to that school; returns ``{"school_change": n,
    "disappeared": m}`` (the handovers opened)."""
    today = today or clock.today()
    days = lookback_days if lookback_days is not None else getattr(settings, "HANDOVER_LOOKBACK_DAYS", 365)
    since = today - datetime.timedelta(days=days)
    ended = Enrolment.objects.filter(end_date__isnull=False, end_date__lte=today, end_date__gte=since)
    known = Handover.objects.filter(from_enrolment=OuterRef("pk"))
    later = Enrolment.objects.filter(pupil=OuterRef("pupil"), start_date__gt=OuterRef("start_date"))
    next_school = later.exclude(school=OuterRef("school")).order_by("start_date", "pk").values("school_id")[:1]
    qualified = Attestation.objects.filter(pupil=OuterRef("pupil")).exclude(qualification="")
    changes = list(ended.filter(end_reason=EndReason.SCHOOL_CHANGE).exclude(Exists(known)).annotate(next_school=Subquery(next_school))
                   .filter(next_school__isnull=False).values_list("pk", "pupil_id", "school_id", "end_date", "next_school"))
    gone = list(ended.filter(end_reason__in=DISAPPEAR_REASONS).exclude(Exists(known)).exclude(Exists(later)).exclude(Exists(qualified))
                .values_list("pk", "pupil_id", "school_id", "end_date"))
    # a pupil first seen to disappear (the old school's file came first) whose new school's enrolment
    # arrived since: the open handover goes to the receiving school and its CLB after all
    since_left = Enrolment.objects.filter(pupil=OuterRef("pupil"), start_date__gt=OuterRef("from_enrolment__start_date"))
    routed = list(Handover.objects.filter(status=Status.OPEN, kind=Kind.DISAPPEARED, to_school__isnull=True, from_enrolment__isnull=False)
                  .annotate(next_school=Subquery(since_left.exclude(school=OuterRef("from_school")).order_by("start_date", "pk")
                                                 .values("school_id")[:1]))
                  .filter(next_school__isnull=False).values_list("pk", "pupil_id", "next_school"))
    if not changes and not gone and not routed:
        return {"school_change": 0, "disappeared": 0}
    with transaction.atomic():
        _route(routed, import_run)  # counted in its audit entry
        return _open(changes, gone, import_run) if changes or gone else {"school_change": 0, "disappeared": 0}


def _route(routed, import_run) -> int:
    """Send open handovers of disappeared pupils to the school where they turned up (and its CLB)."""
    if not routed:
        return 0
    clb_of = dict(School.objects.filter(pk__in={r[2] for r in routed}).values_list("pk", "clb_id"))
    now = timezone.now()
    per_school: dict[int, int] = defaultdict(int)
    for h in Handover.objects.filter(pk__in=[r[0] for r in routed]):
        to = next(r[2] for r in routed if r[0] == h.pk)

        def values(current, to=to):
            # only while still unrouted (a concurrent routing wins; a closed one is refused by the state)
            if current.to_school_id is not None:
                raise TransitionNotAllowed(str(_("This handover already went to a school.")))
            return {"kind": Kind.SCHOOL_CHANGE, "to_school_id": to, "to_clb_id": clb_of.get(to), "updated_at": now}

        try:
            # one workflow: the route is a transition (its event row says when and why); the batch's
            # audit entry and mail below cover every routed handover at once
            workflow.transition(HANDOVER, h, "route", actor=getattr(import_run, "user", None), version=None, guard=False,
                                values=values, audit=False, notify=False,
                                note=f"import {getattr(import_run, 'pk', '')}".strip())
        except TransitionNotAllowed:
            continue
        per_school[to] += 1
    keys = list(Pupil.objects.filter(pk__in={r[1] for r in routed}).values_list("pupil_key", flat=True))
    audit_record(action="update", subject_type="pupil", subjects=keys, actor=getattr(import_run, "user", None), purpose="handover routing",
                 object_repr=f"{len(routed)} handovers", detail={"run": getattr(import_run, "pk", None), "handovers": [r[0] for r in routed]})
    per_clb: dict[int, int] = defaultdict(int)
    for sid, n in per_school.items():
        if clb_of.get(sid):
            per_clb[clb_of[sid]] += n
    mail = _receiving_staff(per_school, per_clb)
    _mail_on_commit({e: _("%(n)s new handover(s) of pupils are waiting for you.") % {"n": n} for e, n in mail.items()},
                    _("New handovers"))
    return sum(per_school.values())


def _open(changes, gone, import_run) -> dict:
    clb_of = dict(School.objects.filter(pk__in={c[4] for c in changes}).values_list("pk", "clb_id"))
    support = support_summary({(c[1], c[2]) for c in changes} | {(g[1], g[2]) for g in gone})
    now = timezone.now()
    rows = [Handover(pupil_id=pid, from_enrolment_id=eid, from_school_id=sid, to_school_id=to, to_clb_id=clb_of.get(to), kind=Kind.SCHOOL_CHANGE,
                     left_on=end, opened_at=now, updated_at=now, import_run=import_run, current_support=support.get((pid, sid), []))
            for eid, pid, sid, end, to in changes]
    rows += [Handover(pupil_id=pid, from_enrolment_id=eid, from_school_id=sid, kind=Kind.DISAPPEARED, left_on=end, opened_at=now,
                      updated_at=now, import_run=import_run, current_support=support.get((pid, sid), []))
             for eid, pid, sid, end in gone]
    Handover.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    keys = list(Pupil.objects.filter(pk__in={h.pupil_id for h in rows}).values_list("pupil_key", flat=True))
    counts = {"school_change": len(changes), "disappeared": len(gone)}
    audit_record(action="create", subject_type="pupil", subjects=keys, actor=getattr(import_run, "user", None), purpose="handover detection",
                 object_repr=f"{len(rows)} handovers", detail={"run": getattr(import_run, "pk", None), **counts})
    # mail: receiving school staff and CLB workers per new handover; the follow-up team for the disappeared
    per_school: dict[int, int] = defaultdict(int)
    per_clb: dict[int, int] = defaultdict(int)
    for h in rows:
        if h.to_school_id:
            per_school[h.to_school_id] += 1
        if h.to_clb_id:
            per_clb[h.to_clb_id] += 1
    mail = _receiving_staff(per_school, per_clb)
    if gone:
        for email in User.objects.filter(is_active=True, role=Role.CARE_COORDINATOR).values_list("email", flat=True):
            mail[email] += len(gone)
    _mail_on_commit({e: _("%(n)s new handover(s) of pupils are waiting for you.") % {"n": n} for e, n in mail.items()},
                    _("New handovers"))
    return counts


def _receiving_staff(per_school: dict[int, int], per_clb: dict[int, int]) -> dict[str, int]:
    """E-mail address -> new handovers, for the staff of the receiving schools and their CLB workers."""
    mail: dict[str, int] = defaultdict(int)
    members = Membership.objects.active().filter(user__is_active=True)
    for email, sid in members.filter(school_id__in=per_school, user__role=Role.SCHOOL_STAFF).values_list("user__email", "school_id"):
        mail[email] += per_school[sid]
    for email, cid in members.filter(clb_id__in=per_clb, user__role=Role.CLB_WORKER).values_list("user__email", "clb_id"):
        mail[email] += per_clb[cid]
    return mail


def _mail(bodies: dict[str, str], subject: str, url: str | None = None) -> None:
    url = url or reverse("care:handover_list")
    for email, body in sorted(bodies.items()):
        send_mail(subject, f"{body}\n{url}", None, [email], fail_silently=True)


def _mail_on_commit(bodies: dict[str, str], subject: str, url: str | None = None) -> None:
    if bodies:
        transaction.on_commit(lambda: _mail(bodies, subject, url))


# --- the state machine ----------------------------------------------------------------------

WHAT = {"route": "routed", "acknowledge": "acknowledged", "what_helped": "what_helped", "close": "closed", "close_received": "closed"}


def _audit_entry(h: Handover, change: workflow.Change) -> dict:
    return {"action": "update", "subject_type": "pupil", "subjects": [h.pupil.pupil_key], "actor": change.actor, "purpose": "handover",
            "object_repr": f"handover {h.pk}", "detail": {"from": change.source, "to": change.target, "what": WHAT[change.action]}}


def _notify(h: Handover, change: workflow.Change) -> None:
    """Mail the other side: the sending school on acknowledgement and close, the receiving side when the
    sending school adds what helped. No names: the number, the status and a link."""
    what, actor = WHAT[change.action], change.actor
    members = Membership.objects.active().filter(user__is_active=True)
    if what == "what_helped":
        emails = set(members.filter(school_id=h.to_school_id, user__role=Role.SCHOOL_STAFF).values_list("user__email", flat=True)) if h.to_school_id else set()
        if h.to_clb_id:
            emails |= set(members.filter(clb_id=h.to_clb_id, user__role=Role.CLB_WORKER).values_list("user__email", flat=True))
        if h.to_school_id is None:
            emails |= set(User.objects.filter(is_active=True, role=Role.CARE_COORDINATOR).values_list("email", flat=True))
    else:
        emails = set(members.filter(school_id=h.from_school_id, user__role=Role.SCHOOL_STAFF).values_list("user__email", flat=True))
    emails.discard(getattr(actor, "email", None))
    url = reverse("care:handover_detail", args=[h.pk])
    body = _("Handover #%(n)s is now: %(status)s.") % {"n": h.pk, "status": h.get_status_display()}
    _mail({e: body for e in emails}, _("Handover #%(n)s") % {"n": h.pk}, url)


def _is_coordinator(user, h: Handover) -> bool:
    return user.role == Role.CARE_COORDINATOR


HANDOVER = workflow.Lifecycle(
    name="care.handover", model=Handover, noun=gettext_lazy("handover"), states=Status.values, initial=[Status.OPEN],
    terminal=[Status.CLOSED], touch_field="updated_at", audit=_audit_entry, notify=_notify, conflict=Conflict, update_caller=True,
    refused_message=gettext_lazy("A handover that is %(from)s cannot become %(to)s."),
    not_allowed=TransitionNotAllowed,
    conflict_message=gettext_lazy("Someone else changed this handover in the meantime. Reload the page to see their change, then try again."),
    transitions=[
        # the system sends a disappeared pupil's open handover to the school where the pupil turned up
        workflow.Transition("route", (Status.OPEN,), Status.OPEN, gettext_lazy("Send to the receiving school"), lambda user, h: False),
        workflow.Transition("acknowledge", (Status.OPEN,), Status.ACKNOWLEDGED, gettext_lazy("Acknowledge"), is_receiver),
        workflow.Transition("what_helped", (Status.OPEN, Status.ACKNOWLEDGED), None, gettext_lazy("Save what helped"), is_sender,
                            refused=gettext_lazy("This handover is closed.")),
        # the follow-up team closes any handover; the receiving side one it acknowledged
        workflow.Transition("close", (Status.OPEN, Status.ACKNOWLEDGED), Status.CLOSED, gettext_lazy("Close"), _is_coordinator),
        workflow.Transition("close_received", (Status.ACKNOWLEDGED,), Status.CLOSED, gettext_lazy("Close"), is_receiver,
                            refused=gettext_lazy("Acknowledge the handover before you close it.")),
    ],
)


@transaction.atomic
def handover_acknowledge(*, user, handover: Handover, version: int) -> Handover:
    """The receiving school or CLB (the follow-up team for a disappeared pupil) acknowledges."""
    return workflow.transition(HANDOVER, handover, "acknowledge", actor=user, version=version,
                               values={"acknowledged_by": user, "acknowledged_at": timezone.now()})


@transaction.atomic
def handover_note_what_helped(*, user, handover: Handover, version: int, text: str) -> Handover:
    """The sending school writes what helped the pupil (while the handover is not closed)."""
    def values(current):
        cleaned = (text or "").strip()
        if not cleaned:
            raise CareError(_("Write what helped first."))
        return {"what_helped": cleaned[:4000]}

    return workflow.transition(HANDOVER, handover, "what_helped", actor=user, version=version, values=values)


@transaction.atomic
def handover_close(*, user, handover: Handover, version: int) -> Handover:
    """The follow-up team closes any handover; the receiving side one it acknowledged."""
    action = "close" if user.role == Role.CARE_COORDINATOR else "close_received"
    return workflow.transition(HANDOVER, handover, action, actor=user, version=version, values={"closed_at": timezone.now()})
