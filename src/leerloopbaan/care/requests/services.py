"""Care use cases: keep support offers; raise and move support requests through their states.

Every write: one transaction, one RequestEvent (for requests), one audit entry, mail to the other
parties after the commit. Requests move through the workflow kernel (``REQUEST`` below): the caller
passes the version it loaded, the row is updated only while it still has that version
(``UPDATE ... WHERE id AND version``), otherwise ``Conflict`` is raised and nothing is written.

State machine (``REQUEST``)::

    new -> intake -> assigned -> in_progress -> closed
    new | intake -> closed (withdrawn by the school, or not needed after triage)
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.models import Membership, Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import (
    OfferLevel,
    Predictor,
    RequestComment,
    RequestEvent,
    SupportOffer,
    SupportRequest,
)
from leerloopbaan.kernel import workflow
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import Clb, District, Enrolment, Pupil, School, Track

Status = SupportRequest.Status


class CareError(Exception):
    """A care action that cannot be done; the message is shown to the user."""


class TransitionNotAllowed(CareError, workflow.TransitionNotAllowed):
    pass


class Conflict(CareError, workflow.Conflict):
    pass


# --- helpers --------------------------------------------------------------------------------

def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    out = start
    while days > 0:
        out += datetime.timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


def due_for(status: str, now: datetime.datetime | None = None) -> datetime.datetime | None:
    days = getattr(settings, "CARE_RESPONSE_DAYS", {}).get(status)
    return None if days is None else add_working_days(now or timezone.now(), int(days))


def _orgs_of(user):
    return Membership.objects.active().filter(user=user, organisation__isnull=False).values("organisation_id")


def _clbs_of(user):
    return Membership.objects.active().filter(user=user, clb__isnull=False).values("clb_id")


def _schools_of_staff(user):
    return Membership.objects.active().filter(user=user, school__isnull=False).values("school_id")


def is_school_staff_of(user, school_id: int) -> bool:
    return user.role == Role.SCHOOL_STAFF and School.objects.filter(pk=school_id, pk__in=_schools_of_staff(user)).exists()


def is_assignee(user, req: SupportRequest) -> bool:
    """The party the request is assigned to: a contact of the organisation or a worker of the CLB."""
    if req.organisation_id and user.role == Role.ORGANISATION_CONTACT:
        return Organisation.objects.filter(pk=req.organisation_id, pk__in=_orgs_of(user)).exists()
    if req.clb_id and req.assigned_kind == SupportRequest.AssignedKind.CLB and user.role == Role.CLB_WORKER:
        return Clb.objects.filter(pk=req.clb_id, pk__in=_clbs_of(user)).exists()
    return False


def party_of(user, req: SupportRequest) -> str | None:
    if user.role == Role.CARE_COORDINATOR:
        return RequestComment.Party.SUPPORT_TEAM
    if is_school_staff_of(user, req.school_id):
        return RequestComment.Party.SCHOOL
    if is_assignee(user, req):
        return RequestComment.Party.CLB if user.role == Role.CLB_WORKER else RequestComment.Party.PROVIDER
    if user.role == Role.CLB_WORKER and Clb.objects.filter(pk=req.school.clb_id, pk__in=_clbs_of(user)).exists():
        return RequestComment.Party.CLB
    return None


def _recipients(req: SupportRequest, actor) -> list[str]:
    users = User.objects.filter(is_active=True, role=Role.CARE_COORDINATOR)
    emails = set(users.values_list("email", flat=True))
    if req.created_by_id and req.created_by.is_active:
        emails.add(req.created_by.email)
    if req.organisation_id:
        emails |= set(User.objects.filter(is_active=True, role=Role.ORGANISATION_CONTACT,
                                          pk__in=Membership.objects.active().filter(organisation_id=req.organisation_id).values("user_id"))
                      .values_list("email", flat=True))
    if req.assigned_kind == SupportRequest.AssignedKind.CLB and req.clb_id:
        emails |= set(User.objects.filter(is_active=True, role=Role.CLB_WORKER,
                                          pk__in=Membership.objects.active().filter(clb_id=req.clb_id).values("user_id"))
                      .values_list("email", flat=True))
    emails.discard(getattr(actor, "email", None))
    return sorted(emails)


def _send_mail(req: SupportRequest, actor, what: str) -> None:
    """Mail the other parties. No names in mail: only the number, status and a link."""
    recipients = _recipients(req, actor)
    if not recipients:
        return
    subject = _("Support request #%(n)s: %(what)s") % {"n": req.pk, "what": what}
    body = _("Support request #%(n)s of %(school)s is now: %(status)s.\nSee %(url)s") % {
        "n": req.pk, "school": req.school.name, "status": req.get_status_display(), "url": reverse("care:request_detail", args=[req.pk])}
    send_mail(subject, body, None, recipients, fail_silently=True)


def _notify(req: SupportRequest, actor, what: str) -> None:
    """Mail the other parties after the commit (creation and comments; transitions notify through the kernel)."""
    transaction.on_commit(lambda: _send_mail(req, actor, what))


def _subjects(req: SupportRequest) -> list[str]:
    return [req.pupil.pupil_key] if req.pupil_id else []


def _is_coordinator(user, req=None) -> bool:
    return user.role == Role.CARE_COORDINATOR


def _is_requesting_school(user, req: SupportRequest) -> bool:
    return is_school_staff_of(user, req.school_id)


def _closes(user, req: SupportRequest) -> bool:
    return user.role == Role.CARE_COORDINATOR or is_assignee(user, req)


def _event(req: SupportRequest, change: workflow.Change) -> None:
    RequestEvent.objects.create(request_id=req.pk, at=change.at, actor=change.actor, from_status=change.source, to_status=change.target,
                                note=change.note)


def _audit_entry(req: SupportRequest, change: workflow.Change) -> dict:
    fields = {k: (v.pk if hasattr(v, "pk") else v) for k, v in change.values.items() if k not in ("outcome_note", "due_at")}
    return {"action": "update", "subject_type": "pupil" if req.pupil_id else "support_request", "subjects": _subjects(req),
            "actor": change.actor, "purpose": "support request", "object_repr": f"support request {req.pk}",
            "detail": {"from": change.source, "to": change.target, **fields}}


WHAT = {"intake": gettext_lazy("intake"), "assign": gettext_lazy("assigned"), "start": gettext_lazy("in progress"),
        "close": gettext_lazy("closed"), "withdraw": gettext_lazy("closed")}


def _send(req: SupportRequest, change: workflow.Change) -> None:
    _send_mail(req, change.actor, str(WHAT[change.action]))


REQUEST = workflow.Lifecycle(
    name="care.request", model=SupportRequest, noun=gettext_lazy("request"), states=Status.values, initial=[Status.NEW],
    terminal=[Status.CLOSED], touch_field="updated_at", events=_event, audit=_audit_entry, notify=_send,
    conflict=Conflict, update_caller=True,
    refused_message=gettext_lazy("A request that is %(from)s cannot become %(to)s."), not_allowed=TransitionNotAllowed,
    conflict_message=gettext_lazy("Someone else changed this request in the meantime. Reload the page to see their change, then try again."),
    transitions=[
        workflow.Transition("intake", (Status.NEW,), Status.INTAKE, gettext_lazy("Take in"), _is_coordinator),
        workflow.Transition("assign", (Status.INTAKE,), Status.ASSIGNED, gettext_lazy("Assign"), _is_coordinator),
        workflow.Transition("start", (Status.ASSIGNED,), Status.IN_PROGRESS, gettext_lazy("Start"), is_assignee),
        workflow.Transition("close", (Status.NEW, Status.INTAKE, Status.IN_PROGRESS), Status.CLOSED, gettext_lazy("Close"), _closes),
        workflow.Transition("withdraw", (Status.NEW, Status.INTAKE), Status.CLOSED, gettext_lazy("Withdraw"), _is_requesting_school),
    ],
)


def _move(*, user, req: SupportRequest, version: int, action: str, note: str = "", **fields) -> SupportRequest:
    """Move the request through the kernel: lock, guard, version, from-state, UPDATE, event, audit, mail on commit."""
    target = REQUEST.get(action).target
    return workflow.transition(REQUEST, req, action, actor=user, version=version, note=note,
                               values={"due_at": due_for(target, timezone.now()), **fields})


# --- offers ---------------------------------------------------------------------------------

def may_edit_offer(user, offer: SupportOffer | None = None, provider: Organisation | None = None) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.role == Role.CARE_COORDINATOR:
        return True
    if user.role == Role.ORGANISATION_CONTACT:
        org_id = offer.provider_id if offer is not None else getattr(provider, "pk", None)
        return org_id is None or Organisation.objects.filter(pk=org_id, pk__in=_orgs_of(user)).exists()
    return False


def _check_choices(values, allowed, label):
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise CareError(_("Unknown %(what)s: %(values)s") % {"what": label, "values": ", ".join(map(str, unknown))})
    return values


@transaction.atomic
def support_offer_save(*, user, offer: SupportOffer | None = None, provider: Organisation, title: str, description: str,
                       levels, predictors, tracks=(), districts=(), age_min=None, age_max=None, capacity=None,
                       how_to_request: str = "", evaluation_criteria: str = "", active: bool = True) -> SupportOffer:
    """Create or change a support offer: the city's support team any offer, a provider its own."""
    if not may_edit_offer(user, offer, provider) or not may_edit_offer(user, None, provider):
        raise PermissionDenied
    if age_min is not None and age_max is not None and age_min > age_max:
        raise CareError(_("The minimum age is above the maximum age."))
    values = {
        "provider": provider, "title": title, "description": description,
        "levels": _check_choices(levels, OfferLevel.values, _("level")),
        "predictors": _check_choices(predictors, Predictor.values, _("predictor")),
        "tracks": _check_choices(tracks, Track.values, _("track")),
        "districts": _check_choices(districts, District.values, _("district")),
        "age_min": age_min, "age_max": age_max, "capacity": capacity, "how_to_request": how_to_request,
        "evaluation_criteria": evaluation_criteria, "active": active, "updated_by": user, "updated_at": timezone.now(),
    }
    created = offer is None
    if created:
        offer = SupportOffer.objects.create(**values)
    else:
        for k, v in values.items():
            setattr(offer, k, v)
        offer.save()
    audit_record(action="create" if created else "update", subject_type="support_offer", actor=user, purpose="support offer",
                 object_repr=f"support offer {offer.pk}: {offer.title}")
    return offer


# --- requests -------------------------------------------------------------------------------

@transaction.atomic
def support_request_create(*, user, school: School, subject_level: str, description: str, pupil: Pupil | None = None,
                           group_label: str = "", name_attached: bool = False, reasons: list | None = None) -> SupportRequest:
    """A school asks for support. For a pupil, the reasons of the pupil's latest risk score are attached
    (unless ``reasons`` is given)."""
    if not is_school_staff_of(user, school.pk):
        raise PermissionDenied
    if subject_level not in SupportRequest.Subject.values:
        raise CareError(_("Choose what the request is about."))
    if subject_level == SupportRequest.Subject.PUPIL:
        if pupil is None or not Enrolment.objects.filter(pupil=pupil, school=school).exists():
            raise CareError(_("Choose a pupil of your school."))
        if reasons is None:
            from leerloopbaan.ews import selectors as ews_selectors

            score = ews_selectors.latest_score_for(user, pupil)
            reasons = list(score.reasons) if score is not None else []
    else:
        pupil, name_attached, reasons = None, False, reasons or []
    now = timezone.now()
    req = SupportRequest.objects.create(
        school=school, pupil=pupil, subject_level=subject_level, group_label=group_label if subject_level == "group" else "",
        name_attached=name_attached, description=description, reasons=reasons or [], status=Status.NEW, due_at=due_for(Status.NEW, now),
        created_by=user, created_at=now, updated_at=now)
    RequestEvent.objects.create(request=req, at=now, actor=user, from_status="", to_status=Status.NEW, note="")
    audit_record(action="create", subject_type="pupil" if pupil else "support_request", subjects=_subjects(req), actor=user,
                 purpose="support request", object_repr=f"support request {req.pk}", detail={"about": subject_level})
    _notify(req, user, _("new request"))
    return req


def _require(cond: bool):
    if not cond:
        raise PermissionDenied


@transaction.atomic
def support_request_intake(*, user, request: SupportRequest, version: int, note: str = "") -> SupportRequest:
    """The support team takes a new request in for triage."""
    return _move(user=user, req=request, version=version, action="intake", note=note)


@transaction.atomic
def support_request_assign(*, user, request: SupportRequest, version: int, kind: str, offer: SupportOffer | None = None,
                           organisation: Organisation | None = None, clb: Clb | None = None, note: str = "") -> SupportRequest:
    """The support team assigns a request (after intake) to an offer, a provider, the local integrated team,
    the CLB or the central reporting point; the first three and the CMP are organisations."""
    Kind = SupportRequest.AssignedKind

    def assignee(current: SupportRequest) -> dict:
        if kind not in Kind.values:
            raise CareError(_("Choose whom to assign the request to."))
        if kind == Kind.OFFER:
            if offer is None or not offer.active:
                raise CareError(_("Choose an active support offer."))
            return {"assigned_kind": kind, "offer": offer, "organisation": offer.provider, "clb": None}
        if kind == Kind.CLB:
            chosen = clb or current.school.clb
            if chosen is None:
                raise CareError(_("Choose a CLB."))
            return {"assigned_kind": kind, "offer": None, "organisation": None, "clb": chosen}
        if organisation is None:
            raise CareError(_("Choose an organisation."))
        return {"assigned_kind": kind, "offer": None, "organisation": organisation, "clb": None}

    return workflow.transition(REQUEST, request, "assign", actor=user, version=version, note=note,
                               values=lambda current: {"due_at": due_for(Status.ASSIGNED), **assignee(current)})


@transaction.atomic
def support_request_start(*, user, request: SupportRequest, version: int, note: str = "") -> SupportRequest:
    """The assignee starts working on the request."""
    return _move(user=user, req=request, version=version, action="start", note=note)


@transaction.atomic
def support_request_close(*, user, request: SupportRequest, version: int, outcome: str, note: str = "") -> SupportRequest:
    """Close with an outcome: the assignee once in progress; the support team after intake (not needed,
    referred); the requesting school while new or in intake (withdrawn)."""
    if outcome not in SupportRequest.Outcome.values:
        raise CareError(_("Choose an outcome."))
    status = SupportRequest.objects.values_list("status", flat=True).get(pk=request.pk)
    if status in (Status.NEW, Status.INTAKE) and is_school_staff_of(user, request.school_id):
        return support_request_withdraw(user=user, request=request, version=version, note=note)
    return _move(user=user, req=request, version=version, action="close", note=note, outcome=outcome, outcome_note=note)


@transaction.atomic
def support_request_withdraw(*, user, request: SupportRequest, version: int, note: str = "") -> SupportRequest:
    """The requesting school withdraws its request while it is new or in intake."""
    return _move(user=user, req=request, version=version, action="withdraw", note=note, outcome=SupportRequest.Outcome.WITHDRAWN,
                 outcome_note=note)


def _require(cond: bool):
    if not cond:
        raise PermissionDenied


@transaction.atomic
def support_request_comment(*, user, request: SupportRequest, text: str) -> RequestComment:
    party = party_of(user, request)
    _require(party is not None)
    text = (text or "").strip()
    if not text:
        raise CareError(_("Write a comment first."))
    comment = RequestComment.objects.create(request=request, author=user, party=party, text=text)
    audit_record(action="create", subject_type="pupil" if request.pupil_id else "support_request", subjects=_subjects(request), actor=user,
                 purpose="support request comment", object_repr=f"support request {request.pk}")
    _notify(request, user, _("new comment"))
    return comment
