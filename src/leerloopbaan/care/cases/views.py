"""Case pages: the list, opening a case, the case (plan, participants, restricted notes, consents).

Reads go through ``care.selectors_cases`` (scoped, audited); writes through ``care.services_cases``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from leerloopbaan.accounts.models import User
from leerloopbaan.care.cases import selectors as selectors_cases
from leerloopbaan.care.cases import services as services_cases
from leerloopbaan.care.cases.forms import (
    CaseForm,
    ConsentForm,
    ConsentWithdrawForm,
    GoalForm,
    GoalUpdateForm,
    NoteForm,
    ParticipantAddForm,
    ParticipantRemoveForm,
    SummaryForm,
    VersionForm,
    first_error,
)
from leerloopbaan.care.requests import selectors
from leerloopbaan.care.requests.services import CareError
from leerloopbaan.kernel import workflow
from leerloopbaan.registry.selectors import display_name, pupil_get


@login_required
def case_list(request):
    if not selectors_cases.may_see_cases(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or None
    rows = selectors_cases.case_list(user=request.user, status=status)
    return render(request, "care/case_list.html", {"rows": rows, "statuses": selectors_cases.CaseStatus.choices, "filters": request.GET})


@login_required
def case_new(request):
    """Open a case: ``?request=<pk>`` (from a support request) or ``?pupil_key=`` (a CLB worker, for a pupil in scope)."""
    user = request.user
    if not services_cases.may_open_case(user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    req = pupil = None
    posting = request.method == "POST"
    # the form names the pupil: one audited read (kernel.access); an opened case names the pupil in the
    # service's own entry, so the request writes no second one
    if data.get("request"):
        try:
            pk = int(data["request"])
        except ValueError:
            raise Http404("no such request") from None
        req = selectors.request_get(user=user, pk=pk, purpose="open a case")
        label = selectors.pupil_label(user, req)
    elif data.get("pupil_key"):
        pupil = pupil_get(user=user, pupil_key=data["pupil_key"], purpose="open a case")
        label = display_name(user, pupil)
    else:
        raise Http404("choose a request or a pupil")
    if not services_cases.may_open_case(user, request=req, pupil=pupil):
        raise PermissionDenied
    form = CaseForm(request.POST if posting else None, initial={"summary": req.description if req else ""})
    if posting and form.is_valid():
        try:
            case = services_cases.case_open(user=user, request=req, pupil=pupil, summary=form.cleaned_data["summary"])
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The case was opened. You are its case manager."))
            return redirect("care:case_detail", pk=case.pk)
    return render(request, "care/case_form.html", {"form": form, "req": req, "pupil": pupil, "pupil_label": label})


@login_required
def case_detail(request, pk: int):
    user = request.user
    view = selectors_cases.case_get(user=user, pk=pk)
    case = view.case
    version = {"version": case.version}
    is_open = case.status == selectors_cases.CaseStatus.OPEN
    allowed = {t.action for t in workflow.allowed_actions(user, case, services_cases.CASE)}
    ctx = {"view": view, "case": case, "is_open": is_open, "allowed": allowed}
    if view.manager:
        ctx.update({
            "summary_form": SummaryForm(initial=version | {"summary": case.summary}),
            "participant_form": ParticipantAddForm(initial=version, people=services_cases.eligible_participants(case).exclude(
                pk__in=[p.user_id for p in view.participants])),
            "goal_form": GoalForm(initial=version),
            "consent_form": ConsentForm(),
        })
    if view.participant:
        ctx.update({"version_form": VersionForm(initial=version), "note_form": NoteForm(), "goal_statuses": selectors_cases.GoalStatus.choices})
    return render(request, "care/case_detail.html", ctx)


def _load(request, pk: int):
    return selectors_cases.case_for_update(user=request.user, pk=pk)


def _back(request, case) -> str:
    return reverse("care:case_detail", args=[case.pk])


def _saved(service):
    """An action that calls ``service(user, case, data)`` and says "Saved."."""
    def run(request, case, d):
        service(request.user, case, d)
        return _("Saved.")
    return run


def _participant_remove(user, case, d):
    participant = User.objects.filter(pk=d["user"]).first()
    if participant is None:
        raise Http404("no such person")
    services_cases.case_participant_remove(user=user, case=case, version=d["version"], participant=participant)


def _goal_update(user, case, d):
    goal = selectors_cases.goal_of(case=case, pk=d["goal"])
    services_cases.case_goal_update(user=user, case=case, version=d["version"], goal=goal, status=d["status"], review_date=d["review_date"])


def _consent_withdraw(user, case, d):
    consent = selectors_cases.consent_of(case=case, pk=d["consent"])
    services_cases.consent_withdraw(user=user, case=case, consent=consent)


A = workflow.Action
# POST /care/cases/<pk>/<action>/: the kernel's one transition view with this table of actions
case_action = workflow.transition_view(load=_load, back=_back, errors=(CareError,), actions={
    "update": A(SummaryForm, _saved(lambda u, c, d: services_cases.case_update(user=u, case=c, version=d["version"], summary=d["summary"]))),
    "participant_add": A(ParticipantAddForm, _saved(lambda u, c, d: services_cases.case_participant_add(
        user=u, case=c, version=d["version"], participant=d["user"], role=d["role"] or None)),
        form_kwargs=lambda request, case: {"people": services_cases.eligible_participants(case), "case": case},
        invalid=first_error),
    "participant_remove": A(ParticipantRemoveForm, _saved(_participant_remove)),
    "goal_add": A(GoalForm, _saved(lambda u, c, d: services_cases.case_goal_add(user=u, case=c, version=d["version"], predictor=d["predictor"],
                                                                   description=d["description"], target=d["target"],
                                                                   review_date=d["review_date"]))),
    "goal_update": A(GoalUpdateForm, _saved(_goal_update)),
    "note": A(NoteForm, _saved(lambda u, c, d: services_cases.case_note_add(user=u, case=c, text=d["text"]))),
    "consent": A(ConsentForm, _saved(lambda u, c, d: services_cases.consent_record(
        user=u, case=c, given_by=d["given_by"], what=d["what"], categories=d["categories"], to_whom=d["to_whom"],
        recipient_organisation=d["recipient_organisation"], recipient_role=d["recipient_role"], valid_until=d["valid_until"])),
        invalid=first_error),
    "consent_withdraw": A(ConsentWithdrawForm, _saved(_consent_withdraw)),
    "close": A(VersionForm, _saved(lambda u, c, d: services_cases.case_close(user=u, case=c, version=d["version"]))),
    "reopen": A(VersionForm, _saved(lambda u, c, d: services_cases.case_reopen(user=u, case=c, version=d["version"]))),
})
