"""Case pages: the list, opening a case, the case (plan, participants, restricted notes, consents).

Reads go through ``care.selectors_cases`` (scoped, audited); writes through ``care.services_cases``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

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
)
from leerloopbaan.care.requests import selectors
from leerloopbaan.care.requests.services import CareError
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
    ctx = {"view": view, "case": case, "is_open": is_open}
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


ACTIONS = {
    "update": SummaryForm, "participant_add": ParticipantAddForm, "participant_remove": ParticipantRemoveForm, "goal_add": GoalForm,
    "goal_update": GoalUpdateForm, "note": NoteForm, "consent": ConsentForm, "consent_withdraw": ConsentWithdrawForm,
    "close": VersionForm, "reopen": VersionForm,
}


@login_required
@require_POST
def case_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("no such action")
    user = request.user
    case = selectors_cases.case_for_update(user=user, pk=pk)
    kwargs = {"people": services_cases.eligible_participants(case)} if action == "participant_add" else {}
    form = ACTIONS[action](request.POST, **kwargs)
    if not form.is_valid():
        messages.error(request, _("Please fill in the form completely."))
        return redirect("care:case_detail", pk=pk)
    d = form.cleaned_data
    s = services_cases
    try:
        if action == "update":
            s.case_update(user=user, case=case, version=d["version"], summary=d["summary"])
        elif action == "participant_add":
            s.case_participant_add(user=user, case=case, version=d["version"], participant=d["user"], role=d["role"] or None)
        elif action == "participant_remove":
            participant = User.objects.filter(pk=d["user"]).first()
            if participant is None:
                raise Http404("no such person")
            s.case_participant_remove(user=user, case=case, version=d["version"], participant=participant)
        elif action == "goal_add":
            s.case_goal_add(user=user, case=case, version=d["version"], predictor=d["predictor"], description=d["description"],
                            target=d["target"], review_date=d["review_date"])
        elif action == "goal_update":
            goal = selectors_cases.goal_of(case=case, pk=d["goal"])
            s.case_goal_update(user=user, case=case, version=d["version"], goal=goal, status=d["status"], review_date=d["review_date"])
        elif action == "note":
            s.case_note_add(user=user, case=case, text=d["text"])
        elif action == "consent":
            s.consent_record(user=user, case=case, given_by=d["given_by"], what=d["what"], categories=d["categories"], to_whom=d["to_whom"],
                             valid_until=d["valid_until"])
        elif action == "consent_withdraw":
            consent = selectors_cases.consent_of(case=case, pk=d["consent"])
            s.consent_withdraw(user=user, case=case, consent=consent)
        elif action == "close":
            s.case_close(user=user, case=case, version=d["version"])
        elif action == "reopen":
            s.case_reopen(user=user, case=case, version=d["version"])
    except CareError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("care:case_detail", pk=pk)
