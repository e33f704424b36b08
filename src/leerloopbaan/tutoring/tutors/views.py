"""Pages of the tutor journey: the public sign-up, the coordinator's tutor pages (list by stage, detail,
screening, decision, training, status, profile, peer review, initiative settings) and the tutor's own
pages (profile, training, fellow tutors to review).

Reads go through ``selectors_tutors`` (scoped, audited); writes through ``services_tutors``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leerloopbaan.kernel import workflow
from leerloopbaan.tutoring.access import is_tutor
from leerloopbaan.tutoring.tutors import selectors, services
from leerloopbaan.tutoring.tutors.forms import (
    CoordinatorProfileForm,
    DecisionForm,
    InitiativeForm,
    ProfileForm,
    ReviewForm,
    ScreeningForm,
    SignUpForm,
    StatusForm,
    TrainingForm,
    level_label,
    slot_label,
)

Status = selectors.Status


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _coordinator_only(request):
    if not selectors.may_coordinate_tutors(request.user):
        raise PermissionDenied


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _profile_facts(tutor) -> dict:
    """Readable profile values for the pages."""
    from leerloopbaan.tutoring.vocabulary import AgeGroup, Language, Mode, Subject

    return {
        "languages": [Language(v).label for v in tutor.languages if v in Language.values],
        "subjects": [Subject(v).label for v in tutor.subjects if v in Subject.values],
        "levels": f"{level_label(tutor.min_level)} – {level_label(tutor.max_level)}",
        "age_groups": [AgeGroup(v).label for v in tutor.age_groups if v in AgeGroup.values],
        "slots": [slot_label(s) for s in tutor.slots if isinstance(s, int) and 0 <= s <= 20],
        "modes": [Mode(v).label for v in tutor.modes if v in Mode.values],
    }


# --- public sign-up ------------------------------------------------------------------------

def signup(request):
    """Anyone signs up as a tutor (no login)."""
    initiatives = selectors.open_initiatives()
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_spam:
            return redirect("tutoring:signup_done")  # a robot: look the same, store nothing
        if form.is_valid():
            try:
                services.tutor_sign_up(user=request.user, base_url=_base_url(request), **form.sign_up_values())
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("tutoring:signup_done")
    else:
        initial = {}
        chosen = request.GET.get("initiative", "")
        if chosen.isdigit() and initiatives.filter(pk=int(chosen)).exists():
            initial["initiative"] = int(chosen)
        form = SignUpForm(initial=initial)
    return render(request, "tutoring/signup.html", {"form": form, "initiatives": initiatives})


def signup_done(request):
    return render(request, "tutoring/signup_done.html")


# --- coordinator pages ---------------------------------------------------------------------

@login_required
def tutor_list(request):
    _coordinator_only(request)
    user = request.user
    initiatives = selectors.initiative_list(user=user)
    status = request.GET.get("status") or None
    status = status if status in Status.values or status == selectors.TO_SCREEN else None
    chosen = request.GET.get("initiative", "")
    initiative = int(chosen) if chosen.isdigit() and any(i.pk == int(chosen) for i in initiatives) else None
    q = request.GET.get("q", "").strip()[:100]
    tutors = selectors.tutor_list(user=user, status=status, initiative=initiative, q=q)
    counts = selectors.status_counts(user=user, initiative=initiative)
    return render(request, "tutoring/tutors/list.html", {
        "tutors": tutors, "initiatives": initiatives, "status": status, "initiative": initiative, "q": q,
        "stages": [(selectors.TO_SCREEN, _("to screen"), sum(counts[s] for s in selectors.SCREENING_TO_DO)),
                   *((value, label, counts[value]) for value, label in Status.choices)], "total": sum(counts.values()),
        "checklist_size": len(selectors.ScreeningItemName.values),
    })


@login_required
def tutor_detail(request, pk: int):
    _coordinator_only(request)
    user = request.user
    tutor = selectors.tutor_get(user=user, pk=pk)
    detail = selectors.tutor_detail(user=user, tutor=tutor)
    version = {"version": tutor.version}
    allowed = {t.action for t in workflow.allowed_actions(user, tutor, services.TUTOR)}
    return render(request, "tutoring/tutors/detail.html", {
        "tutor": tutor, **detail, "facts": _profile_facts(tutor),
        "decision_form": DecisionForm(initial=version),
        "can_start_screening": "screening" in allowed,
        "can_screen": "record_screening" in allowed,
        "can_decide": "reject" in allowed,
        "checklist_open": services.checklist_problems(tutor),
        "can_pause": "pause" in allowed, "can_resume": "resume" in allowed,
        "can_leave": "leave" in allowed or "withdraw" in allowed,
        "can_invite": bool(tutor.user_id) and tutor.status not in (Status.LEFT, Status.REJECTED),
        "can_review": services.review_role(user, tutor) is not None,
        "can_train": tutor.status not in (Status.LEFT, Status.REJECTED),
    })


@login_required
def tutor_profile(request, pk: int):
    """A coordinator edits a tutor's profile."""
    _coordinator_only(request)
    tutor = selectors.tutor_get(user=request.user, pk=pk, purpose="tutor profile")
    has_account = bool(tutor.user_id)
    if request.method == "POST":
        form = CoordinatorProfileForm(request.POST, has_account=has_account, initial={"email": tutor.email})
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.tutor_profile_update(user=request.user, tutor=tutor, version=form.cleaned_data["version"],
                                                  **form.profile_values())
                    services.tutor_conflicts_set(user=request.user, tutor=tutor, schools=form.cleaned_data["conflict_schools"])
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Profile saved."))
                return redirect("tutoring:tutor_detail", pk=pk)
    else:
        form = CoordinatorProfileForm(initial=CoordinatorProfileForm.initial_from(tutor), has_account=has_account)
    return render(request, "tutoring/tutors/profile_form.html", {"form": form, "tutor": tutor, "coordinator": True})


@login_required
def tutor_screening(request, pk: int):
    _coordinator_only(request)
    tutor = selectors.tutor_get(user=request.user, pk=pk, purpose="tutor screening")
    items = selectors.checklist(tutor)
    editable = tutor.status in services.OPEN_APPLICATION
    if request.method == "POST":
        if not editable:
            messages.error(request, _("The screening of a tutor who is %(status)s can no longer be changed.") % {
                "status": tutor.get_status_display()})
            return redirect("tutoring:tutor_detail", pk=pk)
        form = ScreeningForm(request.POST)
        if form.is_valid():
            try:
                services.tutor_screening_record(user=request.user, tutor=tutor, version=form.cleaned_data["version"],
                                                items=form.items())
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Screening saved."))
                return redirect("tutoring:tutor_detail", pk=pk)
    else:
        form = ScreeningForm(initial=ScreeningForm.initial_from(tutor, items))
    return render(request, "tutoring/tutors/screening.html", {"form": form, "tutor": tutor, "items": items, "editable": editable})


def _coordinated_tutor(request, pk: int):
    _coordinator_only(request)
    return selectors.tutor_for_update(user=request.user, pk=pk)


def _tutor_page(request, tutor) -> str:
    return reverse("tutoring:tutor_detail", args=[tutor.pk])


def _decide(request, tutor, d):
    tutor = services.tutor_decide(user=request.user, tutor=tutor, version=d["version"], decision=d["decision"], reason=d["reason"],
                                  base_url=_base_url(request))
    if tutor.status == Status.REJECTED:
        return _("Decision saved: not admitted.")
    return _("Admitted. The tutor's account was created and an invitation to choose a password was sent.")


# POST /tutoring/tutors/<pk>/decision/: the kernel's transition view
tutor_decide = workflow.transition_view(load=_coordinated_tutor, back=_tutor_page, errors=(services.TutorError,), fixed="decide",
                                        actions={"decide": workflow.Action(DecisionForm, _decide, invalid=_form_errors)})


@login_required
def tutor_training(request, pk: int):
    _coordinator_only(request)
    tutor = selectors.tutor_get(user=request.user, pk=pk, purpose="tutor training")
    training = selectors.training_status(tutor)
    modules = selectors.training_modules()
    if request.method == "POST":
        form = TrainingForm(request.POST, modules=modules)
        if form.is_valid():
            try:
                services.tutor_training_record(user=request.user, tutor=tutor, module=form.cleaned_data["module"],
                                               completed_on=form.cleaned_data["completed_on"])
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Training recorded."))
                return redirect("tutoring:tutor_training", pk=pk)
    else:
        undone = [r.module.pk for r in training["modules"] if not r.done]
        form = TrainingForm(modules=modules, initial={"module": undone[0] if undone else None})
    return render(request, "tutoring/tutors/training.html", {
        "form": form, "tutor": tutor, "training": training, "can_train": tutor.status not in (Status.LEFT, Status.REJECTED)})


DONE = {"screening": gettext_lazy("Screening started."), "pause": gettext_lazy("The tutor is paused."),
        "resume": gettext_lazy("The tutor is active again."), "leave": gettext_lazy("The tutor has left."),
        "invite": gettext_lazy("The invitation was sent again.")}


def _status_change(request, tutor, d):
    services.tutor_status_change(user=request.user, tutor=tutor, version=d["version"], action=d["action"], reason=d["reason"],
                                 base_url=_base_url(request))
    return DONE[d["action"]]


# POST /tutoring/tutors/<pk>/status/ (the form's ``action``): the kernel's transition view
tutor_status = workflow.transition_view(
    load=_coordinated_tutor, back=_tutor_page, errors=(services.TutorError,), action_field="action",
    actions={name: workflow.Action(StatusForm, _status_change, invalid=_form_errors) for name in DONE})


@login_required
def tutor_review(request, pk: int):
    """A coordinator reviews a tutor of their initiative; an active tutor reviews an active fellow tutor."""
    user = request.user
    if selectors.may_coordinate_tutors(user):
        tutor = selectors.tutor_get(user=user, pk=pk, purpose="peer review")
        back = ("tutoring:tutor_detail", pk)
    elif is_tutor(user):
        tutor = selectors.fellow_get(user=user, pk=pk)
        back = ("tutoring:me_fellows",)
    else:
        raise PermissionDenied
    may_review = services.review_role(user, tutor) is not None
    earlier = selectors.my_review_of(user=user, tutor=tutor)
    if request.method == "POST" and may_review:
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                services.peer_review_save(user=user, tutor=tutor, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Thank you: your review was saved."))
                return redirect(*back)
    else:
        form = ReviewForm(initial={"score": str(earlier.score), "comment": earlier.comment} if earlier else None)
    return render(request, "tutoring/tutors/review.html", {
        "form": form, "tutor": tutor, "may_review": may_review, "earlier": earlier, "fellow": is_tutor(user), "back": back})


@login_required
def initiative_edit(request, pk: int):
    """A coordinator sets their initiative's criteria weights, capacity and rules (which pupils it takes)."""
    _coordinator_only(request)
    initiative = selectors.initiative_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = InitiativeForm(request.POST)
        if form.is_valid():
            try:
                services.initiative_settings_update(user=request.user, initiative=initiative, version=form.cleaned_data["version"],
                                                    weights=form.weights(), capacity=form.cleaned_data["capacity"],
                                                    rules=form.rules())
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Settings of the initiative saved."))
                return redirect("tutoring:tutor_list")
    else:
        form = InitiativeForm(initial=InitiativeForm.initial_from(initiative, services.initiative_weights(initiative)))
    return render(request, "tutoring/tutors/initiative_form.html", {"form": form, "initiative": initiative,
                                                                    "uses_defaults": not initiative.weights})


# --- the tutor's own pages -----------------------------------------------------------------

def _tutor_only(request):
    if not is_tutor(request.user):
        raise PermissionDenied


@login_required
def me_profile(request):
    _tutor_only(request)
    tutor = selectors.my_tutor(user=request.user, purpose="own tutor profile")
    editable = tutor.status not in (Status.LEFT, Status.REJECTED)
    if request.method == "POST" and editable:
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.tutor_profile_update(user=request.user, tutor=tutor, version=form.cleaned_data["version"],
                                              **form.profile_values())
            except services.TutorError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("tutoring:me_profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_from(tutor))
    return render(request, "tutoring/tutors/me_profile.html", {
        "form": form, "tutor": tutor, "editable": editable,
        "training": selectors.training_status(tutor),
        "can_pause": workflow.may(request.user, tutor, "pause", services.TUTOR),
        "can_resume": workflow.may(request.user, tutor, "resume", services.TUTOR),
        "can_leave": workflow.may(request.user, tutor, "leave", services.TUTOR)})


def _my_tutor(request, pk: int):
    return selectors.my_tutor_for_update(user=request.user)


def _my_status_change(request, tutor, d):
    message = _status_change(request, tutor, d)
    if d["action"] == "leave":
        messages.success(request, message)
        return redirect("accounts:login")  # the account is closed
    return message


_me_status = workflow.transition_view(
    load=_my_tutor, back=lambda request, tutor: reverse("tutoring:me_profile"), errors=(services.TutorError,), action_field="action",
    actions={name: workflow.Action(StatusForm, _my_status_change, invalid=_form_errors) for name in ("pause", "resume", "leave")})


@login_required
@require_POST
def me_status(request):
    """POST /tutoring/me/status/: the tutor pauses, resumes or leaves (the kernel's transition view)."""
    _tutor_only(request)
    if request.POST.get("action") not in ("pause", "resume", "leave"):
        raise PermissionDenied
    return _me_status(request, pk=0)


@login_required
def me_training(request):
    """"Opleiding": the tutor's own training status."""
    _tutor_only(request)
    tutor = selectors.my_tutor(user=request.user, purpose="own tutor training")
    return render(request, "tutoring/tutors/me_training.html", {"tutor": tutor, "training": selectors.training_status(tutor)})


@login_required
def me_fellows(request):
    """The active fellow tutors of the tutor's initiative, to review."""
    _tutor_only(request)
    fellows = selectors.fellow_tutors(user=request.user)
    return render(request, "tutoring/tutors/me_fellows.html", {"fellows": fellows})
