"""Reads of cases (scoped to the acting user, audited).

Who sees which cases:
- the case's current participants (the case manager is one): the whole case — pupil by name (an
  organisation contact: first name only), participants, plan, restricted notes, consents; a participant
  from outside the school, the CLB and the city support team reads the notes only while an active consent
  names them and the category "notes of the case", after a second factor (``care.cases.consent.covers``,
  checked at every read; the case's summary likewise);
- care coordinators (the city's support team): every case in the list, but only its metadata (pupil
  pseudonym, school, manager, status, dates) unless they take part in it — never its notes;
- everyone else, and a participant once removed: none (404).
Every read is one audit entry naming the pupils of the cases shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.consent import Category, covers
from leerloopbaan.care.cases.services import PARTICIPANT_ROLES
from leerloopbaan.care.models import Case, CaseGoal, CaseNote, CaseParticipant, Consent
from leerloopbaan.kernel.access import access_for
from leerloopbaan.kernel.panels import PupilSubject

LIST_ROLES = PARTICIPANT_ROLES

# the words pages and forms need (they never import the models)
CaseStatus = Case.Status
CaseRole = CaseParticipant.CaseRole
GoalStatus = CaseGoal.Status
ConsentGivenBy = Consent.GivenBy
ConsentCategory = Consent.Category
ConsentRecipient = Consent.Recipient


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_see_cases(user) -> bool:
    return _active(user) and user.role in LIST_ROLES


def case_scope(user, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The rule for full access: the cases (of ``qs``) the user takes part in (``Case.objects.taken_part_in``).
    The only way to start a query on Case for a write."""
    qs = Case.objects.all() if qs is None else qs
    if not may_see_cases(user):
        return qs.none()
    return qs.filter(pk__in=CaseParticipant.objects.filter(user_id=user.pk, removed_at__isnull=True).values("case_id"))


def case_overview_scope(user, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The rule for seeing a case at all (``Case.objects.visible_to``): the cases the user takes part in,
    and for care coordinators every case (its metadata)."""
    qs = Case.objects.all() if qs is None else qs
    if not may_see_cases(user):
        return qs.none()
    if user.role == Role.CARE_COORDINATOR:
        return qs
    return case_scope(user, qs)


def pupil_label(user, case: Case, participant: bool) -> str:
    pupil = case.pupil
    if not participant:
        return pupil.short_key
    name = getattr(pupil, "name", None)
    if name is None:
        return pupil.short_key
    if user.role == Role.ORGANISATION_CONTACT:
        return name.first_name or pupil.short_key
    return f"{name.first_name} {name.last_name}".strip() or pupil.short_key


@dataclass
class CaseRow:
    case: Case
    pupil: str
    participant: bool


@dataclass
class CaseView:
    case: Case
    pupil: str
    participant: bool
    manager: bool
    participants: list[CaseParticipant] = field(default_factory=list)
    goals: list[CaseGoal] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    notes_withheld: bool = False  # a participant no active consent covers: the notes are not shown
    predictors_withheld: bool = False  # ... nor, without consent for risk signals, what the goals work on


def case_list(*, user, status: str | None = None, limit: int = 500) -> list[CaseRow]:
    """The cases the user may see (metadata only), audited as one read."""
    if not may_see_cases(user):
        raise Http404("no cases")
    qs = Case.objects.select_related("pupil", "pupil__name", "school", "manager")
    if status in Case.Status.values:
        qs = qs.filter(status=status)
    cases = access_for(user).list(qs.order_by("status", "-created_at"), purpose="case list", limit=limit, detail={"status": status})
    mine = set(Case.objects.taken_part_in(user).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
    return [CaseRow(c, pupil_label(user, c, c.pk in mine), c.pk in mine) for c in cases]


def case_get(*, user, pk: int) -> CaseView:
    """One case: everything for a participant, metadata only for a care coordinator who does not take part; else 404.
    One audit entry naming the pupil (``detail.notes`` says whether the restricted notes were shown)."""
    access = access_for(user)
    case = access.filter(Case.objects.select_related("pupil", "pupil__name", "school", "manager", "opened_from"), pk=pk).first()
    if case is None:
        raise Http404("no such case")
    participant = Case.objects.taken_part_in(user).filter(pk=pk).exists()
    view = CaseView(case=case, pupil=pupil_label(user, case, participant), participant=participant,
                    manager=participant and case.manager_id == user.pk)
    if participant:
        view.participants = list(case.participants.filter(removed_at__isnull=True).select_related("user"))
        view.goals = list(case.goals.all())
        # what a goal works on is an early-warning predictor: a risk signal, shown outside the school,
        # CLB and city team only under a consent covering risk signals (left out in memory)
        risk = covers(case.pupil, user, Category.RISK_SIGNALS)
        for goal in view.goals:
            goal.shown_predictor = goal.predictor_label if risk else ""
        view.predictors_withheld = bool(view.goals) and not risk
        if covers(case.pupil, user, Category.CASE_NOTES):
            view.notes = list(case.notes.select_related("author"))
        else:
            view.notes_withheld = True
            case.summary = ""  # the summary is a note too (left out in memory, never saved)
        view.consents = list(case.consents.select_related("recipient_organisation"))
    access.record(case, purpose="case", detail={"case": case.pk, "notes": participant and not view.notes_withheld})
    return view


def case_for_update(*, user, pk: int) -> Case:
    """A case the user takes part in, for a write (the service audits the write; no read entry), or 404."""
    case = Case.objects.taken_part_in(user).select_related("pupil", "school").filter(pk=pk).first()
    if case is None:
        raise Http404("no such case")
    return case


def goal_of(*, case: Case, pk: int) -> CaseGoal:
    """A goal of a case obtained through ``case_for_update`` (the write's own entry names the pupil), or 404."""
    goal = CaseGoal.objects.filter(pk=pk, case=case).first()
    if goal is None:
        raise Http404("no such goal")
    return goal


def consent_of(*, case: Case, pk: int) -> Consent:
    """A consent of a case obtained through ``case_for_update``, or 404."""
    consent = Consent.objects.filter(pk=pk, case=case).first()
    if consent is None:
        raise Http404("no such consent")
    return consent


def cases_of_request(*, user, request_id: int) -> list[Case]:
    """Cases opened from a request that the user may see (not a read of names: only numbers are shown)."""
    return list(Case.objects.visible_to(user).filter(opened_from_id=request_id).order_by("pk"))


def cases_under_way(subject: PupilSubject) -> list[Case]:
    """The open cases of the page's pupil the user takes part in, opened inside the subject's
    windows (``visible``: not before the pupil came to the user's schools, not after they left) (for the pupil page, which scoped and audited the pupil: no entry of its own)."""
    qs = case_scope(subject.user).filter(pupil=subject.pupil, status=Case.Status.OPEN)
    qs = subject.cut(qs, "created_at__date")
    return list(qs.select_related("manager").order_by("created_at", "pk"))


def open_cases_by_pupil(user, pupil_ids) -> dict[int, list[Case]]:
    """The open cases of the pupils of a batch that the user may see (``Case.objects.visible_to``), oldest
    first (one query; no entry: the caller shows the pupils and records them)."""
    out: dict[int, list[Case]] = {}
    qs = Case.objects.visible_to(user).filter(pupil_id__in=pupil_ids, status=Case.Status.OPEN).order_by("created_at", "pk")
    for case in qs.only("pk", "pupil_id", "created_at"):
        out.setdefault(case.pupil_id, []).append(case)
    return out
