"""The tutor journey: sign-up, screening, decision, training, profile, pause and leaving, peer review,
and the coordinators' settings of their initiative.

Every write is one transaction and one audit entry (subject ``tutor:<id>``). Writes on a tutor that
two people may make at once (the tutor and a coordinator, two coordinators) carry the ``version`` the
caller loaded and go through the workflow kernel (``TUTOR`` below): the row is only updated while it
still has that version, otherwise ``Conflict``; each status change is a line of the tutor's history.

State machine (``TUTOR``; who: C = a coordinator of the tutor's initiative or the admin, T = the tutor themself)::

    applied   -> screening   C  (also implicitly when the first checklist item is recorded)
    applied   -> rejected    C  (with a reason)
    screening -> rejected    C  (with a reason)
    screening -> training    C  approve: every checklist item in order; creates the account, invites
    screening -> active      C  approve when every required module is already done
    training  -> active      C  automatically when the last required module is recorded
    active    -> paused      C, T (with a reason)
    paused    -> active      C, T (only when every required module is done)
    training | active | paused -> left   C, T (with a reason; ends the active matches, closes the account)
    applied | screening -> left          C (the applicant withdrew; not a rejection)
    rejected, left: final

The certificate of good conduct (model 2) is recorded as seen, with the date on the document; the
document itself is never uploaded or stored.
"""

from __future__ import annotations

import datetime
import decimal
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.models import User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.accounts.services import invitation_send, site_url
from leerloopbaan.kernel import clock, workflow
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import District
from leerloopbaan.tutoring.access import coordinated_initiatives, is_active, is_tutor
from leerloopbaan.tutoring.models import (
    WEIGHT_KEYS,
    AgeGroup,
    Initiative,
    Language,
    Mode,
    PeerReview,
    ScreeningDecision,
    ScreeningItem,
    Subject,
    TrainingCompletion,
    TrainingModule,
    Tutor,
    rules_problems,
    weights_problems,
)

Status = Tutor.Status
Item = ScreeningItem.Item

OPEN_APPLICATION = (Status.APPLIED, Status.SCREENING)
SLOTS = range(0, 21)  # day * 3 + part; day 0 = Monday; part 0 morning, 1 afternoon, 2 evening
MAX_TRAVEL_KM = decimal.Decimal("100")
GOOD_CONDUCT_MAX_AGE_DAYS = 365  # a certificate older than a year is asked again
DEFAULT_WEIGHTS = {"subject": 25, "level": 20, "distance": 20, "language": 15, "quality": 20}  # as engine.model.Weights
POSTCODE = re.compile(r"^[1-9]\d{3}$")
PHONE = re.compile(r"^\+?[\d ()./-]{8,25}$")

PROFILE_FIELDS = ("phone", "languages", "subjects", "min_level", "max_level", "age_groups", "language_support", "slots",
                  "modes", "district", "postcode", "travel_km", "capacity", "motivation")
IDENTITY_FIELDS = ("first_name", "last_name", "email", "kind", "institution")


class TutorError(Exception):
    """A tutor action that cannot be done; the message is shown to the user. ``errors``: per field."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class TransitionNotAllowed(TutorError, workflow.TransitionNotAllowed):
    pass


class Conflict(TutorError, workflow.Conflict):
    pass


# --- who may do what -----------------------------------------------------------------------

def may_coordinate(user, initiative_id: int) -> bool:
    """A coordinator of this initiative, or the admin."""
    return is_active(user) and coordinated_initiatives(user).filter(pk=initiative_id).exists()


def is_self(user, tutor: Tutor) -> bool:
    return is_tutor(user) and tutor.user_id == user.pk


def _require(cond: bool):
    if not cond:
        raise PermissionDenied


# --- helpers -------------------------------------------------------------------------------

def _subject(tutor: Tutor) -> list[str]:
    return [f"tutor:{tutor.pk}"]


def _audit_entry(tutor: Tutor, change: workflow.Change) -> dict:
    return {"action": "update", "subject_type": "tutor", "subjects": _subject(tutor), "actor": change.actor,
            "purpose": change.context.get("purpose", "tutor status"), "object_repr": f"tutor {tutor.pk}",
            "detail": change.context.get("detail", {"from": change.source, "to": change.target})}


def _coordinates(user, tutor: Tutor) -> bool:
    return may_coordinate(user, tutor.initiative_id)


def _self_or_coordinates(user, tutor: Tutor) -> bool:
    return is_self(user, tutor) or may_coordinate(user, tutor.initiative_id)


ALL = tuple(Status.values)
NOT_ENDED = (Status.APPLIED, Status.SCREENING, Status.TRAINING, Status.ACTIVE, Status.PAUSED)


def _screen_first(state: str) -> str:
    if state == Status.APPLIED:
        return _("Screen the tutor first: record the checklist before admitting.")
    return _("A tutor who is %(from)s cannot become %(to)s.") % {"from": "%(from)s", "to": Status.TRAINING.label}


def _t(action, sources, target, label, guard, refused=None) -> workflow.Transition:
    return workflow.Transition(action, sources, target, label, guard, refused)


TUTOR = workflow.Lifecycle(
    name="tutoring.tutor", model=Tutor, noun=gettext_lazy("tutor"), states=Status.values, initial=[Status.APPLIED],
    terminal=[Status.LEFT, Status.REJECTED], events=None, history_field="history", audit=_audit_entry, conflict=Conflict,
    refused_message=gettext_lazy("A tutor who is %(from)s cannot become %(to)s."),
    not_allowed=TransitionNotAllowed,
    conflict_message=gettext_lazy("Someone else changed this tutor in the meantime. Reload the page to see their change, then try again."),
    transitions=[
        _t("screening", (Status.APPLIED,), Status.SCREENING, gettext_lazy("Start screening"), _coordinates),
        _t("record_screening", OPEN_APPLICATION, None, gettext_lazy("Record the screening"), _coordinates,
           refused=gettext_lazy("The screening of a tutor who is %(status)s can no longer be changed.")),
        _t("admit", (Status.SCREENING,), Status.TRAINING, gettext_lazy("Admit"), _coordinates, refused=_screen_first),
        _t("admit_trained", (Status.SCREENING,), Status.ACTIVE, gettext_lazy("Admit"), _coordinates, refused=_screen_first),
        _t("reject", OPEN_APPLICATION, Status.REJECTED, gettext_lazy("Do not admit"), _coordinates),
        _t("complete_training", (Status.TRAINING,), Status.ACTIVE, gettext_lazy("Training complete"), _coordinates),
        _t("pause", (Status.ACTIVE,), Status.PAUSED, gettext_lazy("Pause"), _self_or_coordinates),
        _t("resume", (Status.PAUSED,), Status.ACTIVE, gettext_lazy("Resume"), _self_or_coordinates,
           refused=gettext_lazy("Only a paused tutor can resume.")),
        _t("leave", (Status.TRAINING, Status.ACTIVE, Status.PAUSED), Status.LEFT, gettext_lazy("Leave"), _self_or_coordinates),
        # before admission only a coordinator records that the applicant withdrew (not a rejection)
        _t("withdraw", OPEN_APPLICATION, Status.LEFT, gettext_lazy("Withdrawn"), _coordinates),
        _t("profile", ALL, None, gettext_lazy("Edit the profile"), _coordinates),
        _t("own_profile", NOT_ENDED, None, gettext_lazy("Edit your profile"), is_self,
           refused=gettext_lazy("This profile can no longer be changed.")),
    ],
)
TRANSITIONS: dict[str, set[str]] = workflow.state_graph(TUTOR)


def _move(user, tutor: Tutor, action: str, version: int | None, *, note: str = "", **kwargs) -> Tutor:
    return workflow.transition(TUTOR, tutor, action, actor=user, version=version, note=note, **kwargs)


def _validation_message(exc: ValidationError) -> tuple[str, dict[str, str]]:
    if hasattr(exc, "error_dict"):
        errors = {field: " ".join(str(m) for e in errs for m in e.messages) for field, errs in exc.error_dict.items()}
        return " ".join(errors.values()), errors
    return " ".join(exc.messages), {}


def _choices(values, allowed, field: str, label: str, errors: dict, required: bool = True, keep_order: bool = False) -> list:
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors[field] = _("Unknown %(what)s: %(values)s.") % {"what": label, "values": ", ".join(map(str, unknown))}
        return values
    if required and not values:
        errors[field] = _("Choose at least one %(what)s.") % {"what": label}
    return values if keep_order else sorted(values, key=list(allowed).index)


def required_modules_done(tutor: Tutor) -> bool:
    required = set(TrainingModule.objects.filter(required=True).values_list("pk", flat=True))
    done = set(TrainingCompletion.objects.filter(tutor=tutor).values_list("module_id", flat=True))
    return required <= done


def clean_profile(values: dict) -> dict:
    """Check and normalise profile values (the same rules for sign-up, the tutor and the coordinator).

    Raises ``TutorError`` with one message per field."""
    errors: dict[str, str] = {}
    out = dict(values)
    if "languages" in values:
        out["languages"] = _choices(values["languages"], Language.values, "languages", _("language"), errors)
    if "subjects" in values:
        out["subjects"] = _choices(values["subjects"], Subject.values, "subjects", _("subject"), errors, keep_order=True)
    if "age_groups" in values:
        out["age_groups"] = _choices(values["age_groups"], AgeGroup.values, "age_groups", _("age group"), errors)
    if "modes" in values:
        out["modes"] = _choices(values["modes"], Mode.values, "modes", _("way of tutoring"), errors)
    if "slots" in values:
        try:
            slots = sorted({int(s) for s in values["slots"] or []})
        except (TypeError, ValueError):
            slots = [-1]
        if any(s not in SLOTS for s in slots):
            errors["slots"] = _("Unknown moment in the weekly availability.")
        elif not slots:
            errors["slots"] = _("Choose at least one moment in the week when you are available.")
        out["slots"] = slots
    if "min_level" in values or "max_level" in values:
        lo, hi = values.get("min_level"), values.get("max_level")
        if not isinstance(lo, int) or not 1 <= lo <= 12:
            errors["min_level"] = _("Choose the lowest level you can tutor (P1 to S6).")
        if not isinstance(hi, int) or not 1 <= hi <= 12:
            errors["max_level"] = _("Choose the highest level you can tutor (P1 to S6).")
        if "min_level" not in errors and "max_level" not in errors and lo > hi:
            errors["max_level"] = _("The highest level is below the lowest level.")
    if "capacity" in values and (not isinstance(values["capacity"], int) or not 1 <= values["capacity"] <= 3):
        errors["capacity"] = _("You can tutor 1, 2 or 3 pupils at a time.")
    if "travel_km" in values:
        try:
            km = decimal.Decimal(str(values["travel_km"])).quantize(decimal.Decimal("0.1"))
        except (decimal.InvalidOperation, TypeError, ValueError):
            km = None
        if km is None or not 0 <= km <= MAX_TRAVEL_KM:
            errors["travel_km"] = _("The travel radius is a distance between 0 and %(max)s km.") % {"max": MAX_TRAVEL_KM}
        out["travel_km"] = km
    if "district" in values:
        out["district"] = (values["district"] or "").strip()
        if out["district"] and out["district"] not in District.values:
            errors["district"] = _("Choose a district of Antwerp, or 'outside Antwerp'.")
    if "postcode" in values:
        out["postcode"] = (values["postcode"] or "").strip()
        if out["postcode"] and not POSTCODE.match(out["postcode"]):
            errors["postcode"] = _("A Belgian postcode has four digits, for example 2060.")
    if Mode.OFFLINE in out.get("modes", []) and "postcode" in out and not out["postcode"] and "postcode" not in errors:
        errors["postcode"] = _("Give your postcode when you want to tutor face to face, so we can find pupils near you.")
    if "phone" in values:
        out["phone"] = (values["phone"] or "").strip()
        if out["phone"] and (not PHONE.match(out["phone"]) or sum(c.isdigit() for c in out["phone"]) < 8):
            errors["phone"] = _("This does not look like a phone number, for example 0470 12 34 56.")
    for field in ("first_name", "last_name"):
        if field in values:
            out[field] = (values[field] or "").strip()
            if not out[field]:
                errors[field] = _("Fill in your first name.") if field == "first_name" else _("Fill in your last name.")
    if "email" in values:
        out["email"] = (values["email"] or "").strip().lower()
    if "kind" in values:
        if values["kind"] not in Tutor.Kind.values:
            errors["kind"] = _("Choose whether you are a volunteer, a student or an employee.")
        out["institution"] = (values.get("institution") or "").strip()
        if values["kind"] in (Tutor.Kind.STUDENT, Tutor.Kind.EMPLOYEE) and not out["institution"]:
            errors["institution"] = (_("Fill in your school or university college.") if values["kind"] == Tutor.Kind.STUDENT
                                     else _("Fill in your company."))
    if "motivation" in values:
        out["motivation"] = (values["motivation"] or "").strip()
    if errors:
        raise TutorError(" ".join(str(m) for m in errors.values()), errors)
    return out


def _full_clean(tutor: Tutor, exclude=("user", "initiative", "history")):
    try:
        tutor.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        message, errors = _validation_message(exc)
        raise TutorError(message, errors) from exc


def _site(base_url: str) -> str:
    return site_url(base_url)


# --- sign-up -------------------------------------------------------------------------------

@transaction.atomic
def tutor_sign_up(*, user=None, initiative: Initiative, first_name: str, last_name: str, email: str, kind: str,
                  institution: str = "", phone: str = "", languages, subjects, min_level: int, max_level: int, age_groups,
                  language_support: bool = False, slots, modes, district: str = "", postcode: str = "",
                  travel_km=5, capacity: int = 1, motivation: str = "", base_url: str = "") -> Tutor:
    """A resident, student or employee signs up (no login needed): a Tutor (applied) with the four
    screening checklist items to do. A second sign-up with the same e-mail address while an application
    for the same initiative is open changes nothing and returns the open application (nothing leaks)."""
    if initiative is None or not Initiative.objects.filter(pk=initiative.pk, active=True).exists():
        raise TutorError(_("Choose a tutoring initiative that takes sign-ups."), {"initiative": _("Choose an initiative.")})
    values = clean_profile({
        "first_name": first_name, "last_name": last_name, "email": email, "kind": kind, "institution": institution, "phone": phone,
        "languages": languages, "subjects": subjects, "min_level": min_level, "max_level": max_level, "age_groups": age_groups,
        "language_support": bool(language_support), "slots": slots, "modes": modes, "district": district, "postcode": postcode,
        "travel_km": travel_km, "capacity": capacity, "motivation": motivation})
    existing = Tutor.objects.filter(initiative=initiative, email__iexact=values["email"], status__in=OPEN_APPLICATION).first()
    if existing is not None:
        audit_record(action="create", subject_type="tutor", subjects=_subject(existing), actor=user if is_active(user) else None,
                     purpose="tutor sign-up", object_repr=f"tutor {existing.pk}", detail={"repeated": True})
        return existing
    now = timezone.now()
    tutor = Tutor(initiative=initiative, status=Status.APPLIED, signed_up_at=now, **values)
    _full_clean(tutor)
    tutor.history = [{"at": now.isoformat(), "by": None, "from": "", "to": Status.APPLIED, "note": ""}]
    tutor.save()
    ScreeningItem.objects.bulk_create([ScreeningItem(tutor=tutor, item=item) for item in Item.values])
    audit_record(action="create", subject_type="tutor", subjects=_subject(tutor), actor=user if is_active(user) else None,
                 purpose="tutor sign-up", object_repr=f"tutor {tutor.pk}", detail={"initiative": initiative.pk})
    _notify_coordinators(initiative, tutor, base_url)
    return tutor


def _notify_coordinators(initiative: Initiative, tutor: Tutor, base_url: str):
    """Tell the initiative's coordinators a new sign-up waits for screening; no name in the mail."""
    emails = sorted(initiative.coordinators.filter(is_active=True).values_list("email", flat=True))
    if not emails:
        return
    link = _site(base_url) + reverse("tutoring:tutor_detail", args=[tutor.pk])
    subject = _("New tutor sign-up for %(initiative)s") % {"initiative": initiative.name}
    body = _("Someone signed up as a tutor for %(initiative)s. Screen the application here:\n%(url)s") % {
        "initiative": initiative.name, "url": link}
    transaction.on_commit(lambda: send_mail(subject, body, None, emails, fail_silently=True))


# --- screening -----------------------------------------------------------------------------

@transaction.atomic
def tutor_screening_start(*, user, tutor: Tutor, version: int) -> Tutor:
    """The coordinator starts screening a sign-up."""
    return _move(user, tutor, "screening", version, context={"purpose": "tutor screening"})


def _screening_rows(user, tutor: Tutor, items: dict[str, dict]) -> list[ScreeningItem]:
    """The checklist rows ``items`` changes, checked (``TutorError`` with one message per item)."""
    errors: dict[str, str] = {}
    today = clock.today()
    stored = {i.item: i for i in ScreeningItem.objects.filter(tutor=tutor)}
    changed = []
    for item, data in items.items():
        if item not in Item.values:
            errors[item] = _("Unknown checklist item.")
            continue
        status = data.get("status") or ScreeningItem.Status.PENDING
        evidence = (data.get("evidence") or "").strip()
        doc_date = data.get("document_date") if item == Item.GOOD_CONDUCT else None
        label = Item(item).label
        if status not in ScreeningItem.Status.values:
            errors[item] = _("Choose a status for: %(item)s.") % {"item": label}
        elif status != ScreeningItem.Status.PENDING and not evidence:
            errors[item] = _("Write what you checked for: %(item)s.") % {"item": label}
        elif len(evidence) > 500:
            errors[item] = _("Keep the evidence under 500 characters.")
        elif doc_date is not None and not isinstance(doc_date, datetime.date):
            errors[item] = _("The date on the certificate is not a valid date.")
        elif doc_date is not None and doc_date > today:
            errors[item] = _("The date on the certificate of good conduct cannot be in the future.")
        elif item == Item.GOOD_CONDUCT and status == ScreeningItem.Status.OK and doc_date is None:
            errors[item] = _("Give the date on the certificate of good conduct (model 2).")
        elif (item == Item.GOOD_CONDUCT and status == ScreeningItem.Status.OK
              and (today - doc_date).days > GOOD_CONDUCT_MAX_AGE_DAYS):
            errors[item] = _("The certificate of good conduct is more than a year old: ask for a recent one.")
        if item in errors:
            continue
        row = stored.get(item) or ScreeningItem(tutor=tutor, item=item)
        if row.pk and (row.status, row.evidence, row.document_date) == (status, evidence, doc_date):
            continue
        row.status, row.evidence, row.document_date = status, evidence, doc_date
        row.checked_by, row.checked_at = (user, timezone.now()) if status != ScreeningItem.Status.PENDING else (None, None)
        changed.append(row)
    if errors:
        raise TutorError(" ".join(str(m) for m in errors.values()), errors)
    return changed


@transaction.atomic
def tutor_screening_record(*, user, tutor: Tutor, version: int, items: dict[str, dict]) -> Tutor:
    """Record checklist items: ``items`` maps an item (interview, good_conduct, reference, code_of_conduct) to
    ``{"status": pending|ok|not_ok, "evidence": str, "document_date": date|None}``. Evidence says what was
    seen (never a document); the certificate of good conduct needs the date on the document, at most a
    year old. A sign-up moves to screening with its first recorded item."""
    _require(may_coordinate(user, tutor.initiative_id))
    current = workflow.lock(TUTOR, tutor, version)
    changed = _screening_rows(user, current, items) if current.status in OPEN_APPLICATION else []
    action = "screening" if changed and current.status == Status.APPLIED else "record_screening"

    def apply(obj: Tutor, change):
        for row in changed:
            row.full_clean(exclude=["tutor", "checked_by"])
            row.save()

    return _move(user, tutor, action, version, apply=apply, context={
        "purpose": "tutor screening", "detail": {"items": {r.item: r.status for r in changed}}})


def checklist_problems(tutor: Tutor) -> list[str]:
    """The checklist items not (yet) in order, by label."""
    rows = {i.item: i.status for i in ScreeningItem.objects.filter(tutor=tutor)}
    return [str(Item(item).label) for item in Item.values if rows.get(item) != ScreeningItem.Status.OK]


@transaction.atomic
def tutor_decide(*, user, tutor: Tutor, version: int, decision: str, reason: str = "", base_url: str = "") -> Tutor:
    """Admit (approve) or not (reject, with a reason). Approving needs every checklist item in order; it
    creates the tutor's account (role tutor) and mails an invitation to choose a password; the tutor
    goes to training, or straight to active when every required module is already done."""
    reason = (reason or "").strip()
    if decision not in ScreeningDecision.Decision.values:
        raise TutorError(_("Choose a decision."), {"decision": _("Choose a decision.")})
    now = timezone.now()

    def decided(obj: Tutor, change):
        ScreeningDecision.objects.create(tutor=obj, decision=decision, reason=reason, decided_by=user, decided_at=now)
        change.context["detail"] = {"decision": decision, "to": obj.status}

    context = {"purpose": "tutor screening decision"}
    if decision == ScreeningDecision.Decision.REJECT:
        def rejected(current: Tutor) -> dict:
            if not reason:
                raise TutorError(_("Give the reason why this tutor is not admitted."), {"reason": _("Give a reason.")})
            return {}

        return _move(user, tutor, "reject", version, note=reason, values=rejected, apply=decided, context=context)
    account = {}

    def admitted(current: Tutor) -> dict:
        missing = checklist_problems(current)
        if missing:
            raise TutorError(_("Not every screening item is in order yet: %(items)s.") % {"items": "; ".join(missing)})
        account["user"] = _account_for(current)
        return {"approved_at": now, "user": account["user"]}

    def invited(obj: Tutor, change):
        decided(obj, change)
        _invite(account["user"], base_url)

    action = "admit_trained" if required_modules_done(tutor) else "admit"
    return _move(user, tutor, action, version, note=reason, values=admitted, apply=invited, context=context)


def _account_for(tutor: Tutor) -> User:
    """The tutor's account: a new one (role tutor, no password yet), or the account of a tutor who left
    and comes back. Another account with the same e-mail address is refused."""
    if tutor.user_id:
        return tutor.user
    existing = User.objects.filter(email__iexact=tutor.email).first()
    if existing is None:
        from leerloopbaan.accounts.services import user_create

        return user_create(email=tutor.email, password=None, role=Role.TUTOR, first_name=tutor.first_name, last_name=tutor.last_name)
    if existing.role == Role.TUTOR and not Tutor.objects.filter(user=existing).exclude(status__in=[Status.LEFT, Status.REJECTED]).exists():
        Tutor.objects.filter(user=existing).update(user=None)  # the record of the earlier, ended journey
        existing.is_active = True
        existing.first_name, existing.last_name = tutor.first_name, tutor.last_name
        existing.save(update_fields=["is_active", "first_name", "last_name"])
        audit_record(action="update", subject_type="user", subjects=[f"user:{existing.pk}"], object_repr=existing.email,
                     purpose="account", detail={"reactivated": "tutor admitted again"})
        return existing
    raise TutorError(_("Another account already uses this e-mail address. Change the tutor's e-mail address first, or ask "
                       "the administrator."), {"email": _("Another account already uses this e-mail address.")})


def _invite(account: User, base_url: str = ""):
    """Mail a link to choose a password (the password-reset link of accounts), after the commit."""
    invitation_send(account=account, base_url=base_url, subject_template="tutoring/tutors/invitation_subject.txt",
                    body_template="tutoring/tutors/invitation_email.txt")


@transaction.atomic
def tutor_invite_resend(*, user, tutor: Tutor, base_url: str = "") -> None:
    """Send the invitation again (the link expires after a few days)."""
    _require(may_coordinate(user, tutor.initiative_id))
    if not tutor.user_id or tutor.status in (Status.LEFT, Status.REJECTED):
        raise TutorError(_("This tutor has no account to invite to."))
    _invite(tutor.user, base_url)
    audit_record(action="update", subject_type="tutor", subjects=_subject(tutor), actor=user, purpose="tutor invitation",
                 object_repr=f"tutor {tutor.pk}")


# --- training ------------------------------------------------------------------------------

@transaction.atomic
def tutor_training_record(*, user, tutor: Tutor, module: TrainingModule, completed_on: datetime.date | None = None) -> TrainingCompletion:
    """The coordinator records a completed module. When the tutor is admitted (training) and every
    required module is done, the tutor becomes active."""
    _require(may_coordinate(user, tutor.initiative_id))
    completed_on = completed_on or clock.today()
    if completed_on > clock.today():
        raise TutorError(_("The completion date cannot be in the future."), {"completed_on": _("This date is in the future.")})
    current = workflow.lock(TUTOR, tutor)
    if current.status in (Status.LEFT, Status.REJECTED):
        raise TransitionNotAllowed(_("Training cannot be recorded for a tutor who is %(status)s.") % {
            "status": current.get_status_display()})
    completion, created = TrainingCompletion.objects.update_or_create(
        tutor=current, module=module, defaults={"completed_on": completed_on, "recorded_by": user})
    detail = {"module": module.code}
    if current.status == Status.TRAINING and required_modules_done(current):
        # the last required module: the tutor becomes active (this use case's one audit entry below says so)
        current = _move(user, current, "complete_training", None, audit=False)
        detail["to"] = Status.ACTIVE
    audit_record(action="create" if created else "update", subject_type="tutor", subjects=_subject(current), actor=user,
                 purpose="tutor training", object_repr=f"tutor {current.pk}", detail=detail)
    return completion


# --- status: pause, resume, leave ----------------------------------------------------------

@transaction.atomic
def tutor_pause(*, user, tutor: Tutor, version: int, reason: str) -> Tutor:
    """An active tutor pauses (no new matches), with a reason; the tutor or a coordinator."""
    reason = (reason or "").strip()

    def values(current: Tutor) -> dict:
        if not reason:
            raise TutorError(_("Give a reason for the pause."), {"reason": _("Give a reason.")})
        return {}

    return _move(user, tutor, "pause", version, note=reason, values=values)


@transaction.atomic
def tutor_resume(*, user, tutor: Tutor, version: int, reason: str = "") -> Tutor:
    """A paused tutor becomes active again, when every required module is done."""
    def values(current: Tutor) -> dict:
        if not required_modules_done(current):
            raise TutorError(_("Finish the required training first: a coordinator records it."))
        return {}

    return _move(user, tutor, "resume", version, note=(reason or "").strip(), values=values)


@transaction.atomic
def tutor_leave(*, user, tutor: Tutor, version: int, reason: str) -> Tutor:
    """The tutor leaves, with a reason: their active matches end (reason tutor_left) and their account
    is closed (a tutor who left keeps no access to pupils). Before admission only a coordinator records
    a withdrawal."""
    reason = (reason or "").strip()
    status = Tutor.objects.values_list("status", flat=True).get(pk=tutor.pk)
    action = "withdraw" if status in OPEN_APPLICATION else "leave"

    def values(current: Tutor) -> dict:
        if not reason:
            raise TutorError(_("Give a reason for leaving."), {"reason": _("Give a reason.")})
        return {"left_at": timezone.now(), "left_reason": reason[:300]}

    def apply(current: Tutor, change):
        _end_matches(user, current)
        if current.user_id and current.user.is_active:
            User.objects.filter(pk=current.user_id).update(is_active=False)
            audit_record(action="update", subject_type="user", subjects=[f"user:{current.user_id}"], actor=user,
                         object_repr=current.user.email, purpose="account", detail={"deactivated": "tutor left"})

    return _move(user, tutor, action, version, note=reason[:300], values=values, apply=apply)


def _end_matches(user, tutor: Tutor):
    """End the tutor's active matches (the matching use case owns them; imported here to avoid a cycle)."""
    from leerloopbaan.tutoring.matching import services as matching_services

    matching_services.matches_end_for_tutor(user=user, tutor=tutor, reason="tutor_left")


STATUS_ACTIONS = ("screening", "pause", "resume", "leave", "invite")


def tutor_status_change(*, user, tutor: Tutor, version: int, action: str, reason: str = "", base_url: str = "") -> Tutor:
    """One entry for the status form: start screening, pause, resume, leave, or send the invitation again."""
    if action == "screening":
        return tutor_screening_start(user=user, tutor=tutor, version=version)
    if action == "pause":
        return tutor_pause(user=user, tutor=tutor, version=version, reason=reason)
    if action == "resume":
        return tutor_resume(user=user, tutor=tutor, version=version, reason=reason)
    if action == "leave":
        return tutor_leave(user=user, tutor=tutor, version=version, reason=reason)
    if action == "invite":
        tutor_invite_resend(user=user, tutor=tutor, base_url=base_url)
        return tutor
    raise TutorError(_("Choose what to do."))


# --- profile -------------------------------------------------------------------------------

@transaction.atomic
def tutor_profile_update(*, user, tutor: Tutor, version: int, **values) -> Tutor:
    """The tutor edits their own profile (not after leaving); a coordinator of the initiative edits any
    profile, and also the name, kind and institution (and the e-mail address until an account exists)."""
    coordinator = may_coordinate(user, tutor.initiative_id)
    _require(coordinator or is_self(user, tutor))
    allowed = set(PROFILE_FIELDS) | (set(IDENTITY_FIELDS) if coordinator else set())
    unknown = set(values) - allowed
    if unknown:
        raise PermissionDenied

    def cleaned(current: Tutor) -> dict:
        if "email" in values and current.user_id and (values["email"] or "").strip().lower() != current.email.lower():
            raise TutorError(_("The e-mail address is the tutor's login: the administrator changes it in the account."),
                             {"email": _("This tutor already has an account.")})
        if "kind" in values:
            values.setdefault("institution", current.institution)
        out = clean_profile(values)
        for k, v in out.items():
            setattr(current, k, v)
        _full_clean(current)
        context["detail"]["fields"] = sorted(values)
        return out

    context = {"purpose": "tutor profile", "detail": {}}
    return _move(user, tutor, "profile" if coordinator else "own_profile", version, values=cleaned, context=context)


def tutor_conflicts_set(*, user, tutor: Tutor, schools) -> Tutor:
    """The schools where the tutor has a conflict of interest (works there, has children there):
    the engine never proposes their pupils. Only the initiative's coordinator sets them."""
    _require(may_coordinate(user, tutor.initiative_id))
    schools = list(schools)
    before = set(tutor.conflict_schools.values_list("school_number", flat=True))
    after = {s.school_number for s in schools}
    if before != after:
        tutor.conflict_schools.set(schools)
        audit_record(action="update", subject_type="tutor", subjects=_subject(tutor), actor=user, purpose="tutor conflicts of interest",
                     object_repr=f"tutor {tutor.pk}", detail={"schools": sorted(after)})
    return tutor


# --- peer review ---------------------------------------------------------------------------

REVIEWABLE_BY_COORDINATOR = (Status.TRAINING, Status.ACTIVE, Status.PAUSED, Status.LEFT)


def review_role(user, tutor: Tutor) -> str | None:
    """As what ``user`` may review ``tutor``: coordinator, fellow tutor, or None (not at all)."""
    if not is_active(user):
        return None
    if may_coordinate(user, tutor.initiative_id) and tutor.status in REVIEWABLE_BY_COORDINATOR:
        return PeerReview.By.COORDINATOR
    if is_tutor(user) and tutor.user_id != user.pk and tutor.status == Status.ACTIVE:
        if Tutor.objects.filter(user=user, status=Status.ACTIVE, initiative_id=tutor.initiative_id).exists():
            return PeerReview.By.TUTOR
    return None


@transaction.atomic
def peer_review_save(*, user, tutor: Tutor, score: int, comment: str = "") -> PeerReview:
    """A coordinator of the initiative, or an active fellow tutor of the same initiative (never the tutor
    themself), reviews a tutor: a score of 1 to 5 and a comment. A reviewer's new review of the same
    tutor replaces their earlier one."""
    if tutor.user_id is not None and tutor.user_id == getattr(user, "pk", None):
        raise PermissionDenied  # nobody reviews themself
    kind = review_role(user, tutor)
    _require(kind is not None)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise TutorError(_("Give a score from 1 to 5."), {"score": _("Give a score from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise TutorError(_("Keep the comment under 2000 characters."), {"comment": _("Too long.")})
    review = PeerReview.objects.filter(tutor=tutor, reviewer=user).order_by("-created_at", "-pk").first()
    created = review is None
    review = review or PeerReview(tutor=tutor, reviewer=user)
    review.reviewer_kind, review.score, review.comment, review.created_at = kind, score, comment, timezone.now()
    review.full_clean(exclude=["tutor", "reviewer"])
    review.save()
    audit_record(action="create" if created else "update", subject_type="tutor", subjects=_subject(tutor), actor=user,
                 purpose="tutor peer review", object_repr=f"tutor {tutor.pk}", detail={"by": kind})
    return review


# --- initiatives ---------------------------------------------------------------------------

@transaction.atomic
def initiative_settings_update(*, user, initiative: Initiative, version: int, weights: dict, capacity: int | None,
                               rules: dict | None = None) -> Initiative:
    """A coordinator of the initiative (or the admin) sets its criteria weights, capacity and (unless ``rules`` is
    None) its rules: which pupils its tutors take in the city-wide matching (``Initiative.rules``)."""
    _require(may_coordinate(user, initiative.pk))
    weights = {k: weights.get(k, 0) for k in WEIGHT_KEYS} if isinstance(weights, dict) else weights
    problems = weights_problems(weights)
    if problems:
        raise TutorError(" ".join(problems), {"weights": " ".join(problems)})
    problems = rules_problems(rules)
    if problems:
        raise TutorError(" ".join(problems), {"rules": " ".join(problems)})
    rules = initiative.rules if rules is None else rules
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0):
        raise TutorError(_("The capacity is a whole number of 0 or more, or empty for no limit."),
                         {"capacity": _("A whole number of 0 or more.")})
    updated = Initiative.objects.filter(pk=initiative.pk, version=version).update(
        weights=weights, capacity=capacity, rules=rules, version=F("version") + 1)
    if updated == 0:
        raise Conflict(_("Someone else changed this initiative in the meantime. Reload the page to see their change, then try again."))
    initiative.refresh_from_db()
    audit_record(action="update", subject_type="initiative", actor=user, purpose="tutoring initiative",
                 object_repr=f"initiative {initiative.pk}: {initiative.name}", detail={"weights": weights, "capacity": capacity, "rules": rules})
    return initiative


def initiative_weights(initiative: Initiative) -> dict[str, int]:
    """The initiative's criteria weights, the defaults when none are set."""
    return {k: int((initiative.weights or DEFAULT_WEIGHTS).get(k, 0)) for k in WEIGHT_KEYS}

