"""Case management use cases: open a case, its participants, the plan (goals), notes, consents, close.

Every write: one transaction, one audit entry naming the pupil. Changes to the case itself (summary,
participants, goals, close, reopen) go through the workflow kernel (``CASE`` below) and its optimistic
locking on ``Case.version``: the caller passes the version it loaded; the row is updated only while it
still has that version, otherwise ``Conflict`` is raised and nothing is written. Notes and consents are
append-only and need no version.

Who may do what:
- open a case: a care coordinator (for the pupil of a support request) or a CLB worker (for a pupil of a
  school their CLB serves, or a request in their scope); the opener becomes the case manager;
- the case manager: summary, participants, goals, consents, close and reopen;
- every current participant: notes, and goal status updates;
- nobody writes to a closed case except to reopen it.

State machine (``CASE``; the edits keep the state and are only allowed while the case is open)::

    open -> closed -> open (reopened)
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.models import Membership, Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.consent import INSIDE_ROLES, names_reader
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
from leerloopbaan.kernel import clock, workflow
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import Enrolment, Pupil, School
from leerloopbaan.registry.selectors import pupil_scope, schools_of

__all__ = [
    "CareError", "Conflict", "TransitionNotAllowed", "OPENER_ROLES", "PARTICIPANT_ROLES", "is_participant", "is_manager",
    "may_open_case", "needs_consent_to_take_part", "no_consent_message", "eligible_participants", "case_open", "case_update", "case_participant_add", "case_participant_remove",
    "case_goal_add", "case_goal_update", "case_note_add", "consent_record", "consent_withdraw", "case_close", "case_reopen",
]

Status = Case.Status
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


def _audit_entry(case: Case, change: workflow.Change) -> dict:
    what = change.context.get("what", change.target)
    detail = change.context.get("detail", {"from": change.source, "to": change.target})
    return {"action": "update", "subject_type": "pupil", "subjects": [case.pupil.pupil_key], "actor": change.actor, "purpose": "case",
            "object_repr": f"case {case.pk}: {what}", "detail": detail or None}


def _manages(user, case: Case) -> bool:
    return is_manager(user, case)


_CLOSED = gettext_lazy("This case is closed. Reopen it first.")


def _edit(action: str, label, guard=_manages) -> workflow.Transition:
    return workflow.Transition(action, (Status.OPEN,), None, label, guard, refused=_CLOSED)


CASE = workflow.Lifecycle(
    name="care.case", model=Case, noun=gettext_lazy("case"), states=Status.values, initial=[Status.OPEN], touch_field="updated_at",
    audit=_audit_entry, conflict=Conflict, update_caller=True,
    refused_message=gettext_lazy("A case that is %(from)s cannot become %(to)s."), not_allowed=TransitionNotAllowed,
    conflict_message=gettext_lazy("Someone else changed this case in the meantime. Reload the page to see their change, then try again."),
    transitions=[
        workflow.Transition("close", (Status.OPEN,), Status.CLOSED, gettext_lazy("Close the case"), _manages),
        workflow.Transition("reopen", (Status.CLOSED,), Status.OPEN, gettext_lazy("Reopen the case"), _manages),
        _edit("update", gettext_lazy("Save the summary")),
        _edit("participant_add", gettext_lazy("Add a participant")),
        _edit("participant_remove", gettext_lazy("Remove a participant")),
        _edit("goal_add", gettext_lazy("Add a goal")),
        _edit("goal_update", gettext_lazy("Update a goal"), guard=lambda user, case: is_participant(user, case)),
    ],
)


def _bump(user, case: Case, version: int, action: str, what: str, *, check=None, apply=None, values=None, **detail) -> Case:
    """An edit of the open case through the kernel: lock, guard, version, open, UPDATE version + 1, event,
    ``apply`` (the edit's own rows), one audit entry."""
    def checked(current):
        if check is not None:
            check(current)
        return values or {}

    return workflow.transition(CASE, case, action, actor=user, version=version, values=checked, apply=apply,
                               context={"what": what, "detail": detail})


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
    return _bump(user, case, version, "update", "summary", values={"summary": (summary or "").strip()})


# --- participants ---------------------------------------------------------------------------

def needs_consent_to_take_part(case: Case, participant: User) -> bool:
    """A participant from outside the school, the CLB and the city support team takes part only while an
    active consent of the pupil or a parent names them (their organisation or their role)."""
    return participant.role not in INSIDE_ROLES and not names_reader(case.pupil_id, participant)


def no_consent_message() -> str:
    return _("No active consent of the pupil or a parent names this person's organisation or role. "
             "Record a consent that names them first, then add them to the case.")


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
    role = role or CASE_ROLE_OF.get(participant.role)
    out = {}

    def check(current: Case):
        if not eligible_participants(current).filter(pk=participant.pk).exists():
            raise CareError(_("This person cannot take part in this case."))
        if role not in CaseParticipant.CaseRole.values or role == CaseParticipant.CaseRole.MANAGER:
            raise CareError(_("Choose a role in the case."))
        if needs_consent_to_take_part(current, participant):
            raise CareError(no_consent_message())
        out["existing"] = CaseParticipant.objects.filter(case=current, user=participant).first()
        if out["existing"] is not None and out["existing"].removed_at is None:
            raise CareError(_("This person already takes part in the case."))

    def apply(current: Case, change):
        existing = out["existing"]
        if existing is not None:
            existing.role, existing.added_by, existing.added_at, existing.removed_at = role, user, change.at, None
            existing.save()
            out["row"] = existing
        else:
            out["row"] = CaseParticipant.objects.create(case=current, user=participant, role=role, added_by=user, added_at=change.at)

    _bump(user, case, version, "participant_add", "participant added", check=check, apply=apply, participant=participant.pk, role=role)
    return out["row"]


@transaction.atomic
def case_participant_remove(*, user, case: Case, version: int, participant: User) -> None:
    out = {}

    def check(current: Case):
        if participant.pk == current.manager_id:
            raise CareError(_("The case manager cannot be removed."))
        out["row"] = CaseParticipant.objects.filter(case=current, user=participant, removed_at__isnull=True).first()
        if out["row"] is None:
            raise CareError(_("This person does not take part in the case."))

    def apply(current: Case, change):
        out["row"].removed_at = change.at
        out["row"].save(update_fields=["removed_at"])

    _bump(user, case, version, "participant_remove", "participant removed", check=check, apply=apply, participant=participant.pk)


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
    out = {}

    def check(current: Case):
        out["description"] = _check_goal(predictor, description, review_date)

    def apply(current: Case, change):
        out["goal"] = CaseGoal.objects.create(case=current, predictor=predictor, description=out["description"],
                                              target=(target or "").strip(), review_date=review_date)
        change.context["detail"]["goal"] = out["goal"].pk

    _bump(user, case, version, "goal_add", "goal added", check=check, apply=apply, predictor=predictor)
    return out["goal"]


@transaction.atomic
def case_goal_update(*, user, case: Case, version: int, goal: CaseGoal, status: str | None = None, review_date: datetime.date | None = None,
                     target: str | None = None, description: str | None = None) -> CaseGoal:
    """The manager changes a goal; any participant may mark it achieved or dropped or move its review date."""
    if (target is not None or description is not None) and is_participant(user, case) and not is_manager(user, case):
        raise PermissionDenied
    out = {}

    def check(current: Case):
        if goal.case_id != current.pk:
            raise CareError(_("This goal belongs to another case."))
        if status is not None and status not in CaseGoal.Status.values:
            raise CareError(_("Choose a status."))

    def apply(current: Case, change):
        row = CaseGoal.objects.get(pk=goal.pk)
        changes = {"status": status, "review_date": review_date, "target": target.strip() if target is not None else None,
                   "description": description.strip() if description is not None else None}
        for k, v in changes.items():
            if v is not None:
                setattr(row, k, v)
        row.updated_at = change.at
        row.save()
        change.context["detail"].update({"goal": row.pk, "status": row.status,
                                         "review_date": row.review_date.isoformat() if row.review_date else None})
        out["goal"] = row

    _bump(user, case, version, "goal_update", "goal changed", check=check, apply=apply)
    return out["goal"]


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
def consent_record(*, user, case: Case, given_by: str, what: str, valid_until: datetime.date, to_whom: str = "",
                   categories=(), recipient_organisation: Organisation | None = None, recipient_role: str = "",
                   given_at: datetime.datetime | None = None) -> Consent:
    """Record the consent of the pupil or a parent for this case's pupil (by the case manager): what
    (``categories``), to whom (an organisation, else a role; neither: the school, the CLB and the city
    support team only) and until when."""
    _require(is_manager(user, case))
    if given_by not in Consent.GivenBy.values:
        raise CareError(_("Choose who gave the consent."))
    categories = list(dict.fromkeys(categories or []))
    unknown = [c for c in categories if c not in Consent.Category.values]
    if unknown:
        raise CareError(_("Unknown %(what)s: %(values)s") % {"what": _("category"), "values": ", ".join(map(str, unknown))})
    if valid_until is None or valid_until < clock.today():
        raise CareError(_("The consent must be valid until today or later."))
    if not categories:
        raise CareError(_("Choose at least one category that may be shared."))
    recipient_role = recipient_role or ""
    if recipient_role and recipient_role not in Consent.Recipient.values:
        raise CareError(_("Unknown %(what)s: %(values)s") % {"what": _("recipient"), "values": recipient_role})
    if recipient_organisation is not None and recipient_role not in ("", Consent.Recipient.PROVIDER):
        raise CareError(_("A consent names an organisation or a role, not both: leave the role empty when you choose an organisation."))
    what, to_whom = (what or "").strip(), (to_whom or "").strip()
    if not what:
        raise CareError(_("Say what may be shared."))
    consent = Consent.objects.create(pupil=case.pupil, case=case, given_by=given_by, what=what, categories=categories, to_whom=to_whom,
                                     recipient_organisation=recipient_organisation,
                                     recipient_role="" if recipient_organisation is not None else recipient_role,
                                     valid_until=valid_until, given_at=given_at or timezone.now(), recorded_by=user)
    _audit(user, case, "create", "consent recorded", consent=consent.pk, given_by=given_by, valid_until=valid_until.isoformat(),
           categories=categories, organisation=getattr(recipient_organisation, "pk", None), role=consent.recipient_role)
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

def _move(*, user, case: Case, version: int, action: str) -> Case:
    to = CASE.get(action).target
    return workflow.transition(CASE, case, action, actor=user, version=version,
                               values={"closed_at": timezone.now() if to == Status.CLOSED else None})


@transaction.atomic
def case_close(*, user, case: Case, version: int) -> Case:
    return _move(user=user, case=case, version=version, action="close")


@transaction.atomic
def case_reopen(*, user, case: Case, version: int) -> Case:
    return _move(user=user, case=case, version=version, action="reopen")
