"""Case management use cases: open a case, its participants, the plan (goals), notes, consents, close.

Every write: one transaction, one audit entry naming the pupil. Changes to the case itself (summary,
participants, goals, close, reopen) use optimistic locking on ``Case.version``: the caller passes the
version it loaded; the row is updated only while it still has that version, otherwise ``Conflict`` is
raised and nothing is written. Notes and consents are append-only and need no version.

Who may do what:
- open a case: a care coordinator (for the pupil of a support request) or a CLB worker (for a pupil of a
  school their CLB serves, or a request in their scope); the opener becomes the case manager;
- the case manager: summary, participants, goals, consents, close and reopen;
- every current participant: notes, and goal status updates;
- nobody writes to a closed case except to reopen it.

State machine::

    open -> closed -> open (reopened)
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leerloopbaan.accounts.models import Membership, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import (
    Case,
    CaseGoal,
    CaseNote,
    CaseParticipant,
    Consent,
    Predictor,
    SupportRequest,
)
from leerloopbaan.care.requests.services import CareError, Conflict, TransitionNotAllowed
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import Enrolment, Pupil, School
from leerloopbaan.registry.selectors import pupil_scope, schools_of

__all__ = [
    "CareError", "Conflict", "TransitionNotAllowed", "OPENER_ROLES", "PARTICIPANT_ROLES", "is_participant", "is_manager",
    "may_open_case", "eligible_participants", "case_open", "case_update", "case_participant_add", "case_participant_remove",
    "case_goal_add", "case_goal_update", "case_note_add", "consent_record", "consent_withdraw", "case_close", "case_reopen",
]

Status = Case.Status
TRANSITIONS: dict[str, set[str]] = {Status.OPEN: {Status.CLOSED}, Status.CLOSED: {Status.OPEN}}
OPENER_ROLES = frozenset({Role.CARE_COORDINATOR, Role.CLB_WORKER})
PARTICIPANT_ROLES = frozenset({Role.CARE_COORDINATOR, Role.CLB_WORKER, Role.SCHOOL_STAFF, Role.ORGANISATION_CONTACT})
CASE_ROLE_OF = {Role.CARE_COORDINATOR: CaseParticipant.CaseRole.SUPPORT_TEAM, Role.CLB_WORKER: CaseParticipant.CaseRole.CLB,
                Role.SCHOOL_STAFF: CaseParticipant.CaseRole.SCHOOL, Role.ORGANISATION_CONTACT: CaseParticipant.CaseRole.PROVIDER}


def _conflict_message() -> str:
    return _("Someone else changed this case in the meantime. Reload the page to see their change, then try again.")


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_participant(user, case: Case) -> bool:
    return _active(user) and user.role in PARTICIPANT_ROLES and CaseParticipant.objects.filter(
        case_id=case.pk, user_id=user.pk, removed_at__isnull=True).exists()


def is_manager(user, case: Case) -> bool:
    return _active(user) and Case.objects.filter(pk=case.pk, manager_id=user.pk).exists() and is_participant(user, case)


def _require(cond: bool):
    if not cond:
        raise PermissionDenied


def _audit(user, case: Case, action: str, what: str, **detail):
    audit_record(action=action, subject_type="pupil", subjects=[case.pupil.pupil_key], actor=user, purpose="case",
                 object_repr=f"case {case.pk}: {what}", detail=detail or None)


def _bump(case: Case, version: int, **values) -> Case:
    """Lock the case row, check the version, update it to version + 1; Conflict if someone else was first."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.version != version:
        raise Conflict(_conflict_message())
    updated = Case.objects.filter(pk=case.pk, version=version).update(version=F("version") + 1, updated_at=timezone.now(), **values)
    if updated == 0:
        raise Conflict(_conflict_message())
    case.refresh_from_db()
    return case


def _require_open(case: Case):
    if Case.objects.filter(pk=case.pk).values_list("status", flat=True).get() != Status.OPEN:
        raise CareError(_("This case is closed. Reopen it first."))


# --- opening --------------------------------------------------------------------------------

def may_open_case(user, *, request: SupportRequest | None = None, pupil: Pupil | None = None) -> bool:
    """A care coordinator or a CLB worker, for a pupil request in their scope or (CLB) a pupil in their scope."""
    if not (_active(user) and user.role in OPENER_ROLES):
        return False
    from leerloopbaan.care.requests.selectors import support_request_scope

    if request is not None:
        return request.pupil_id is not None and support_request_scope(user).filter(pk=request.pk).exists()
    if pupil is None:
        return True
    if user.role == Role.CLB_WORKER:
        return pupil_scope(user).filter(pk=pupil.pk).exists()
    return support_request_scope(user).filter(pupil_id=pupil.pk).exists()


def _school_for(user, pupil: Pupil) -> School | None:
    enrolments = Enrolment.objects.filter(pupil=pupil).order_by("-start_date", "-pk")
    if user.role == Role.CLB_WORKER:
        enrolments = enrolments.filter(school__in=schools_of(user))
    else:
        from leerloopbaan.care.requests.selectors import support_request_scope

        enrolments = enrolments.filter(school_id__in=support_request_scope(user).filter(pupil=pupil).values("school_id"))
    first = enrolments.select_related("school").first()
    return first.school if first else None


@transaction.atomic
def case_open(*, user, request: SupportRequest | None = None, pupil: Pupil | None = None, summary: str = "") -> Case:
    """Open a case from a pupil's support request or directly for a pupil; the opener is the case manager."""
    if request is None and pupil is None:
        raise CareError(_("Choose a pupil or a support request."))
    _require(may_open_case(user, request=request, pupil=pupil))
    if request is not None:
        pupil, school = request.pupil, request.school
    else:
        school = _school_for(user, pupil)
        if school is None:
            raise CareError(_("This pupil has no school in your scope."))
    now = timezone.now()
    case = Case.objects.create(pupil=pupil, school=school, opened_from=request, manager=user, summary=(summary or "").strip(),
                               created_at=now, updated_at=now)
    CaseParticipant.objects.create(case=case, user=user, role=CaseParticipant.CaseRole.MANAGER, added_by=user, added_at=now)
    _audit(user, case, "create", "opened", request=request.pk if request else None)
    return case


@transaction.atomic
def case_update(*, user, case: Case, version: int, summary: str) -> Case:
    _require(is_manager(user, case))
    _require_open(case)
    case = _bump(case, version, summary=(summary or "").strip())
    _audit(user, case, "update", "summary")
    return case


# --- participants ---------------------------------------------------------------------------

def eligible_participants(case: Case):
    """Who may take part: the support team, CLB workers serving the school, staff of the school, organisation contacts."""
    today = Membership.objects.active()
    school_staff = today.filter(school_id=case.school_id).values("user_id")
    clb_staff = today.filter(clb_id=case.school.clb_id).values("user_id") if case.school.clb_id else Membership.objects.none().values("user_id")
    return User.objects.filter(is_active=True).filter(
        Q(role=Role.CARE_COORDINATOR) | Q(role=Role.ORGANISATION_CONTACT, pk__in=today.filter(organisation__isnull=False).values("user_id"))
        | Q(role=Role.SCHOOL_STAFF, pk__in=school_staff) | Q(role=Role.CLB_WORKER, pk__in=clb_staff)).order_by("last_name", "email")


@transaction.atomic
def case_participant_add(*, user, case: Case, version: int, participant: User, role: str | None = None) -> CaseParticipant:
    _require(is_manager(user, case))
    _require_open(case)
    if not eligible_participants(case).filter(pk=participant.pk).exists():
        raise CareError(_("This person cannot take part in this case."))
    role = role or CASE_ROLE_OF[participant.role]
    if role not in CaseParticipant.CaseRole.values or role == CaseParticipant.CaseRole.MANAGER:
        raise CareError(_("Choose a role in the case."))
    existing = CaseParticipant.objects.filter(case=case, user=participant).first()
    if existing is not None and existing.removed_at is None:
        raise CareError(_("This person already takes part in the case."))
    case = _bump(case, version)
    now = timezone.now()
    if existing is not None:
        existing.role, existing.added_by, existing.added_at, existing.removed_at = role, user, now, None
        existing.save()
        row = existing
    else:
        row = CaseParticipant.objects.create(case=case, user=participant, role=role, added_by=user, added_at=now)
    _audit(user, case, "update", "participant added", participant=participant.pk, role=role)
    return row


@transaction.atomic
def case_participant_remove(*, user, case: Case, version: int, participant: User) -> None:
    _require(is_manager(user, case))
    _require_open(case)
    if participant.pk == case.manager_id:
        raise CareError(_("The case manager cannot be removed."))
    row = CaseParticipant.objects.filter(case=case, user=participant, removed_at__isnull=True).first()
    if row is None:
        raise CareError(_("This person does not take part in the case."))
    case = _bump(case, version)
    row.removed_at = timezone.now()
    row.save(update_fields=["removed_at"])
    _audit(user, case, "update", "participant removed", participant=participant.pk)


# --- plan -----------------------------------------------------------------------------------

def _check_goal(predictor: str, description: str, review_date) -> str:
    if predictor not in Predictor.values:
        raise CareError(_("Choose a predictor."))
    description = (description or "").strip()
    if not description:
        raise CareError(_("Describe the goal."))
    if not isinstance(review_date, datetime.date):
        raise CareError(_("Choose a review date."))
    return description


@transaction.atomic
def case_goal_add(*, user, case: Case, version: int, predictor: str, description: str, review_date: datetime.date,
                  target: str = "") -> CaseGoal:
    _require(is_manager(user, case))
    _require_open(case)
    description = _check_goal(predictor, description, review_date)
    case = _bump(case, version)
    goal = CaseGoal.objects.create(case=case, predictor=predictor, description=description, target=(target or "").strip(),
                                   review_date=review_date)
    _audit(user, case, "update", "goal added", goal=goal.pk, predictor=predictor)
    return goal


@transaction.atomic
def case_goal_update(*, user, case: Case, version: int, goal: CaseGoal, status: str | None = None, review_date: datetime.date | None = None,
                     target: str | None = None, description: str | None = None) -> CaseGoal:
    """The manager changes a goal; any participant may mark it achieved or dropped or move its review date."""
    _require(is_participant(user, case))
    if (target is not None or description is not None) and not is_manager(user, case):
        raise PermissionDenied
    _require_open(case)
    if goal.case_id != case.pk:
        raise CareError(_("This goal belongs to another case."))
    if status is not None and status not in CaseGoal.Status.values:
        raise CareError(_("Choose a status."))
    case = _bump(case, version)
    goal = CaseGoal.objects.get(pk=goal.pk)
    changes = {"status": status, "review_date": review_date, "target": target.strip() if target is not None else None,
               "description": description.strip() if description is not None else None}
    for k, v in changes.items():
        if v is not None:
            setattr(goal, k, v)
    goal.updated_at = timezone.now()
    goal.save()
    _audit(user, case, "update", "goal changed", goal=goal.pk, status=goal.status,
           review_date=goal.review_date.isoformat() if goal.review_date else None)
    return goal


# --- notes ----------------------------------------------------------------------------------

@transaction.atomic
def case_note_add(*, user, case: Case, text: str) -> CaseNote:
    """A restricted note, by a current participant only."""
    _require(is_participant(user, case))
    _require_open(case)
    text = (text or "").strip()
    if not text:
        raise CareError(_("Write a note first."))
    note = CaseNote.objects.create(case=case, author=user, text=text, restricted=True)
    _audit(user, case, "create", "note")
    return note


# --- consent --------------------------------------------------------------------------------

@transaction.atomic
def consent_record(*, user, case: Case, given_by: str, what: str, to_whom: str, valid_until: datetime.date,
                   categories=(), given_at: datetime.datetime | None = None) -> Consent:
    """Record the consent of the pupil or a parent for this case's pupil (by the case manager)."""
    _require(is_manager(user, case))
    if given_by not in Consent.GivenBy.values:
        raise CareError(_("Choose who gave the consent."))
    categories = list(dict.fromkeys(categories or []))
    unknown = [c for c in categories if c not in Consent.Category.values]
    if unknown:
        raise CareError(_("Unknown %(what)s: %(values)s") % {"what": _("category"), "values": ", ".join(map(str, unknown))})
    what, to_whom = (what or "").strip(), (to_whom or "").strip()
    if not what or not to_whom:
        raise CareError(_("Say what may be shared and with whom."))
    if valid_until is None or valid_until < timezone.localdate():
        raise CareError(_("The consent must be valid until today or later."))
    consent = Consent.objects.create(pupil=case.pupil, case=case, given_by=given_by, what=what, categories=categories, to_whom=to_whom,
                                     valid_until=valid_until, given_at=given_at or timezone.now(), recorded_by=user)
    _audit(user, case, "create", "consent recorded", consent=consent.pk, given_by=given_by, valid_until=valid_until.isoformat())
    return consent


@transaction.atomic
def consent_withdraw(*, user, case: Case, consent: Consent) -> Consent:
    """The pupil or parent withdrew their consent; recorded by a participant of the case."""
    _require(is_participant(user, case))
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.case_id != case.pk:
        raise CareError(_("This consent belongs to another case."))
    if consent.withdrawn_at is not None:
        raise CareError(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    _audit(user, case, "update", "consent withdrawn", consent=consent.pk)
    return consent


# --- state ----------------------------------------------------------------------------------

def _move(*, user, case: Case, version: int, to: str) -> Case:
    _require(is_manager(user, case))
    current = Case.objects.values_list("status", flat=True).get(pk=case.pk)
    if to not in TRANSITIONS[current]:
        raise TransitionNotAllowed(_("A case that is %(from)s cannot become %(to)s.") % {"from": Status(current).label, "to": Status(to).label})
    case = _bump(case, version, status=to, closed_at=timezone.now() if to == Status.CLOSED else None)
    _audit(user, case, "update", to, **{"from": current, "to": to})
    return case


@transaction.atomic
def case_close(*, user, case: Case, version: int) -> Case:
    return _move(user=user, case=case, version=version, to=Status.CLOSED)


@transaction.atomic
def case_reopen(*, user, case: Case, version: int) -> Case:
    return _move(user=user, case=case, version=version, to=Status.OPEN)
