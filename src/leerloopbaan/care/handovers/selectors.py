"""Reads of warm handovers and of the follow-up list ("aanklampende aanpak"), scoped and audited.

Who sees which handovers:
- school staff: incoming handovers (their school receives the pupil) and outgoing ones (their school
  sends), pupils by name;
- CLB workers: handovers to their CLB or to a school their CLB serves, pupils by name;
- care coordinators (the city's follow-up team, with 2FA): every handover, pupils by pseudonym; and
  the follow-up list: handovers not acknowledged after ``HANDOVER_FOLLOW_UP_DAYS`` days (default
  10) and possible NEET young people (aged 18 to 24 on the reference date, left secondary education
  without a qualification by the VSV definition in the running school year or one of the two before
  it, and not in any current enrolment), by pseudonym;
- everyone else: none (404).
Every read is one audit entry naming the pupils shown.

A handover's content -- the support the pupil had (``current_support``) and what helped (``what_helped``)
-- is the sending school's: everyone else who sees the handover (the receiving school and CLB, the
follow-up team) reads it only while an active consent names them and the category ("support received",
"what helped"), checked at every read (``care.cases.consent.covers``); otherwise ``handover_get`` returns
the handover with that content left out and ``support_withheld`` / ``what_helped_withheld`` set.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from leerloopbaan.accounts.models import Membership
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.consent import Category, covers
from leerloopbaan.care.models import Handover, SupportRequest
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.kernel.schoolyear import next_school_year, school_year_of
from leerloopbaan.registry.measures import age_on
from leerloopbaan.registry.models import Enrolment, Pupil, School
from leerloopbaan.registry.selectors import schools_of

# the words pages need (views never import the models)
HandoverStatus = Handover.Status

HANDOVER_ROLES = frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR})


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_see_handovers(user) -> bool:
    return _active(user) and user.role in HANDOVER_ROLES


def may_see_follow_up(user) -> bool:
    return _active(user) and user.role == Role.CARE_COORDINATOR


def handover_scope(user, qs: QuerySet[Handover] | None = None) -> QuerySet[Handover]:
    """The rule: every handover (of ``qs``) the user may see. ``Handover.objects.visible_to(user)`` applies
    it; the only way to start a query on Handover for a user."""
    qs = Handover.objects.all() if qs is None else qs
    if not may_see_handovers(user):
        return qs.none()
    if user.role == Role.CARE_COORDINATOR:
        return qs
    if user.role == Role.SCHOOL_STAFF:
        mine = schools_of(user)
        return qs.filter(Q(to_school__in=mine) | Q(from_school__in=mine))
    clbs = Membership.objects.active().filter(user=user, clb__isnull=False).values("clb_id")
    return qs.filter(Q(to_clb_id__in=clbs) | Q(to_school__in=schools_of(user)))


TO_ACKNOWLEDGE = "to_acknowledge"  # the list's filter of the handovers waiting for the user's acknowledgement


def to_acknowledge_q(user) -> Q:
    """Open handovers the user acknowledges (``services.is_receiver``): the receiving school's staff, the
    receiving CLB's workers (a handover with a receiving school), the follow-up team (one without)."""
    open_ = Q(status=Handover.Status.OPEN)
    if user.role == Role.SCHOOL_STAFF:
        return open_ & Q(to_school__in=schools_of(user))
    if user.role == Role.CLB_WORKER:
        clbs = Membership.objects.active().filter(user=user, clb__isnull=False).values("clb_id")
        return open_ & Q(to_school__isnull=False, to_clb_id__in=clbs)
    if user.role == Role.CARE_COORDINATOR:
        return open_ & Q(to_school__isnull=True)
    return Q(pk__in=[])


def to_acknowledge_count(*, user) -> int | None:
    """For the home page: how many handovers wait for the user's acknowledgement (the list's
    ``?status=to_acknowledge``). One query; not a read of a pupil. None for roles without handovers."""
    if not may_see_handovers(user):
        return None
    return Handover.objects.visible_to(user).filter(to_acknowledge_q(user)).count()


def pupil_label(user, h: Handover) -> str:
    if user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER):
        name = getattr(h.pupil, "name", None)
        full = f"{name.first_name} {name.last_name}".strip() if name is not None else ""
        return full or h.pupil.short_key
    return h.pupil.short_key


def support_labels(h: Handover) -> list[str]:
    """The current support of a handover in words (the kinds only)."""
    kinds = dict(SupportRequest.AssignedKind.choices)
    statuses = {"open": SupportRequest.Status.IN_PROGRESS.label, "closed": SupportRequest.Status.CLOSED.label}
    out = []
    for item in h.current_support or []:
        words = [str(kinds.get(item.get("kind"), "")) or str(SupportRequest.Status.NEW.label)]
        if item.get("offer"):
            words.append(f"“{item['offer']}”")
        out.append(f"{' '.join(words)} ({statuses.get(item.get('status'), '')}, {item.get('since', '')})")
    return out


@dataclass
class HandoverRow:
    handover: Handover
    pupil: str
    direction: str = ""


def _related(qs=None):
    qs = Handover.objects.all() if qs is None else qs
    return qs.select_related("pupil", "pupil__name", "from_school", "to_school", "to_clb", "acknowledged_by")


def handover_list(*, user, status: str | None = None, limit: int = 500) -> list[HandoverRow]:
    """The handovers the user may see (open ones first, newest first), audited as one read."""
    if not may_see_handovers(user):
        raise Http404("no handovers")
    qs = _related()
    if status in Handover.Status.values:
        qs = qs.filter(status=status)
    elif status == "unacknowledged":
        qs = qs.filter(status=Handover.Status.OPEN)
    elif status == TO_ACKNOWLEDGE:
        qs = qs.filter(to_acknowledge_q(user))
    handovers = access_for(user).list(qs.order_by("-opened_at", "-pk"), purpose="handovers", limit=limit, detail={"status": status})
    own = set(schools_of(user).values_list("pk", flat=True)) if user.role == Role.SCHOOL_STAFF else set()
    rows = []
    for h in handovers:
        d = ("out" if h.from_school_id in own else "in") if user.role == Role.SCHOOL_STAFF else ("in" if user.role == Role.CLB_WORKER else "")
        rows.append(HandoverRow(h, pupil_label(user, h), d))
    return rows


def _sends(user, h: Handover) -> bool:
    return user.role == Role.SCHOOL_STAFF and schools_of(user).filter(pk=h.from_school_id).exists()


def _withhold_content(user, h: Handover) -> Handover:
    """Leave out (in memory, never saved) the content no consent lets ``user`` read today."""
    sender = _sends(user, h)
    h.support_withheld = not covers(h.pupil, user, Category.SUPPORT, holder=sender)
    h.what_helped_withheld = not covers(h.pupil, user, Category.WHAT_HELPED, holder=sender)
    if h.support_withheld:
        h.current_support = []
    if h.what_helped_withheld:
        h.what_helped = ""
    return h


def handover_get(*, user, pk: int, purpose: str = "handover") -> Handover:
    """One handover the user may see, or 404; audited. Its content only as far as consent allows (module docstring)."""
    return _withhold_content(user, access_for(user).get(_related(), purpose=purpose, pk=pk))


def handover_for_update(*, user, pk: int) -> Handover:
    """A handover in the user's scope for a write (the service audits the write), or 404."""
    h = Handover.objects.visible_to(user).select_related("pupil").filter(pk=pk).first()
    if h is None:
        raise Http404("no such handover")
    return h


# --- the follow-up list ---------------------------------------------------------------------

NEET_AGES = (18, 24)  # a NEET young person's age on the reference date (inclusive)
NEET_YEARS = 2  # left in the running school year or one of the NEET_YEARS school years before it


@dataclass
class NeetRow:
    pupil: Pupil
    leaving_year: str
    last_school: School | None
    left_on: datetime.date | None
    handover: Handover | None = None


@dataclass
class FollowUp:
    days: int
    unacknowledged: list[HandoverRow] = field(default_factory=list)
    neet: list[NeetRow] = field(default_factory=list)


def follow_up_list(*, user, days: int | None = None, today: datetime.date | None = None, limit: int = 1000) -> FollowUp:
    """For the city's follow-up team: handovers still not acknowledged after ``days`` days, and young
    people aged 18 to 24 on ``today`` (Brussels) who left without a qualification in the running school
    year or the two before it and are in no current enrolment (possible NEET). One audit entry naming
    every pupil shown."""
    if not may_see_follow_up(user):
        raise Http404("no follow-up list")
    from leerloopbaan.registry.outflow.report import pupil_outcomes

    days = days if days is not None else getattr(settings, "HANDOVER_FOLLOW_UP_DAYS", 10)
    today = today or clock.today()
    cutoff = timezone.now() - datetime.timedelta(days=days)
    access = access_for(user)
    stale = list(access.filter(_related(), status=Handover.Status.OPEN, opened_at__lt=cutoff).order_by("opened_at")[:limit])
    enrolled_now = Enrolment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today).values("pupil_id")
    # young people (NEET: 18 to 24 on ``today``) who left recently: in the running school year or
    # one of the two before it
    since = next_school_year(school_year_of(today), -NEET_YEARS)
    unqualified = {pid: year for pid, (outcome, year) in pupil_outcomes().items() if outcome == "unqualified" and year and year >= since}
    candidates = {pid for pid, birth in Pupil.objects.filter(pk__in=list(unqualified)).exclude(pk__in=enrolled_now)
                  .values_list("pk", "birth_date") if NEET_AGES[0] <= age_on(birth, today) <= NEET_AGES[1]} if unqualified else set()
    last: dict[int, tuple] = {}
    for pid, school_id, _start, end in (Enrolment.objects.filter(pupil_id__in=candidates).order_by("start_date")
                                       .values_list("pupil_id", "school_id", "start_date", "end_date")):
        last[pid] = (school_id, end)
    schools = School.objects.in_bulk({s for s, _e in last.values()})
    pupils = Pupil.objects.in_bulk(candidates)
    open_handovers = {h.pupil_id: h for h in Handover.objects.filter(pupil_id__in=candidates).exclude(status=Handover.Status.CLOSED)
                      .order_by("opened_at")}
    neet = sorted((NeetRow(pupils[pid], unqualified[pid] or "", schools.get(last.get(pid, (None, None))[0]), last.get(pid, (None, None))[1],
                           open_handovers.get(pid)) for pid in candidates),
                  key=lambda r: (r.leaving_year, r.left_on or datetime.date.min), reverse=True)[:limit]
    # the NEET rows are a grant of the follow-up team's own (no registry scope): recorded all the same
    access.record([*stale, *(r.pupil for r in neet)], subject_type="pupil", purpose="follow-up list", detail={"days": days})
    return FollowUp(days, [HandoverRow(h, h.pupil.short_key) for h in stale], neet)


def handovers_under_way(subject: PupilSubject) -> list[Handover]:
    """The handovers of the page's pupil, not yet closed, that the user may see, opened up to the
    subject's ``visible_until`` (a school the pupil left finds a handover after the leaving date in
    its handover list, not on the pupil page, which shows nothing of the new school). For the pupil
    page, which scoped and audited the pupil: no entry of its own."""
    qs = handover_scope(subject.user).filter(pupil=subject.pupil).exclude(status=Handover.Status.CLOSED)
    if subject.visible_until is not None:
        qs = qs.filter(opened_at__date__lte=subject.visible_until)
    return list(qs.select_related("from_school", "to_school", "to_clb").order_by("opened_at", "pk"))
