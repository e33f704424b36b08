"""Care pages: the support-offer catalogue, support requests (school, CLB, support team inbox, provider).

Reads go through ``care.selectors`` (scoped, audited); writes through ``care.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from leerloopbaan.accounts.models import Membership, Organisation
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.requests import selectors, services
from leerloopbaan.care.requests.forms import (
    AssignForm,
    CloseForm,
    CommentForm,
    IntakeForm,
    OfferForm,
    RequestForm,
)
from leerloopbaan.care.vocabulary import OfferLevel, Predictor
from leerloopbaan.ews.selectors import latest_reasons, reasons_in
from leerloopbaan.kernel import workflow
from leerloopbaan.registry.selectors import display_name, pupil_get, schools_of, schools_of_pupil
from leerloopbaan.registry.vocabulary import District

Status = selectors.Status


# --- offers ---------------------------------------------------------------------------------

def _providers_for(user):
    if user.role == Role.CARE_COORDINATOR:
        return Organisation.objects.all()
    orgs = Membership.objects.active().filter(user=user, organisation__isnull=False).values("organisation_id")
    return Organisation.objects.filter(pk__in=orgs)


@login_required
def offer_list(request):
    if not selectors.may_browse_offers(request.user):
        raise PermissionDenied
    g = request.GET
    offers = selectors.offer_list(user=request.user, q=g.get("q", ""), predictor=g.get("predictor", ""), level=g.get("level", ""),
                                  district=g.get("district", ""))
    return render(request, "care/offer_list.html", {
        "offers": offers, "filters": g, "predictors": Predictor.choices, "levels": OfferLevel.choices, "districts": District.choices,
        "may_add": services.may_edit_offer(request.user),
    })


@login_required
def offer_detail(request, pk: int):
    offer = selectors.offer_get(user=request.user, pk=pk)
    return render(request, "care/offer_detail.html", {"offer": offer, "may_edit": services.may_edit_offer(request.user, offer)})


@login_required
def offer_edit(request, pk: int | None = None):
    offer = selectors.offer_get(user=request.user, pk=pk) if pk else None
    if not services.may_edit_offer(request.user, offer):
        raise PermissionDenied
    providers = _providers_for(request.user)
    if request.method == "POST":
        form = OfferForm(request.POST, providers=providers)
        if form.is_valid():
            try:
                offer = services.support_offer_save(user=request.user, offer=offer, **form.cleaned_data)
            except services.CareError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Support offer saved."))
                return redirect("care:offer_detail", pk=offer.pk)
    else:
        form = OfferForm(initial=OfferForm.initial_from(offer) if offer else {"active": True}, providers=providers)
    return render(request, "care/offer_form.html", {"form": form, "offer": offer})


# --- requests -------------------------------------------------------------------------------

@login_required
def request_list(request):
    if not selectors.may_see_requests(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or None
    sort = request.GET.get("sort") or "due"
    rows = selectors.request_list(user=request.user, status=status, overdue_only=bool(request.GET.get("overdue")), sort=sort)
    titles = {Role.CARE_COORDINATOR: _("Inbox of support requests"), Role.ORGANISATION_CONTACT: _("Requests assigned to you")}
    return render(request, "care/request_list.html", {
        "rows": rows, "title": titles.get(request.user.role, _("Support requests")), "statuses": Status.choices, "filters": request.GET,
        "may_ask": request.user.role == Role.SCHOOL_STAFF, "overdue_count": sum(1 for r in rows if r.overdue),
    })


@login_required
def request_new(request):
    user = request.user
    if user.role != Role.SCHOOL_STAFF:
        raise PermissionDenied
    schools = list(schools_of(user).order_by("name"))
    if not schools:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    pupil = None
    reasons = []
    open_requests = []
    if data.get("pupil_key"):
        # the form shows the pupil's name and risk reasons: one audited read (kernel.access); a saved
        # request names the pupil in the service's own entry, so the request writes no second one
        pupil = pupil_get(user=user, pupil_key=data["pupil_key"], purpose="support request")
        reasons = latest_reasons(user=user, pupil=pupil, purpose="support request")
        # a second request for the same pupil is allowed, but never made without noticing the first
        open_requests = selectors.open_requests_for(user=user, pupil=pupil)
    school = next((s for s in schools if s.school_number == data.get("school")), None)
    if school is None and pupil is not None:
        school = next(iter(schools_of_pupil(user=user, pupil=pupil)), None)
    school = school or schools[0]
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            level = form.cleaned_data["subject_level"]
            try:
                req = services.support_request_create(
                    user=user, school=school, subject_level=level, description=form.cleaned_data["description"],
                    pupil=pupil if level == selectors.Subject.PUPIL else None, group_label=form.cleaned_data["group_label"],
                    name_attached=form.cleaned_data["name_attached"])
            except services.CareError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your request was sent to the city's support team."))
                return redirect("care:request_detail", pk=req.pk)
    else:
        form = RequestForm(initial={"subject_level": "pupil" if pupil else "school", "pupil_key": pupil.pupil_key if pupil else "",
                                    "school": school.school_number})
    return render(request, "care/request_form.html", {
        "form": form, "pupil": pupil, "pupil_label": display_name(user, pupil) if pupil else "", "school": school, "reasons": reasons,
        "open_requests": open_requests})


@login_required
def request_detail(request, pk: int):
    user = request.user
    req = selectors.request_get(user=user, pk=pk)
    history = selectors.request_history(user=user, request=req)
    allowed = {t.action for t in workflow.allowed_actions(user, req, services.REQUEST)}
    version = {"version": req.version}
    return render(request, "care/request_detail.html", {
        "req": req, "pupil_label": selectors.pupil_label(user, req), "reasons": reasons_in(req.reasons), **history,
        "can_intake": "intake" in allowed, "can_assign": "assign" in allowed, "can_start": "start" in allowed,
        "can_close": "close" in allowed, "can_withdraw": "withdraw" in allowed,
        "can_comment": services.party_of(user, req) is not None,
        "intake_form": IntakeForm(initial=version), "assign_form": AssignForm(initial=version | {"clb": req.school.clb_id}),
        "close_form": CloseForm(initial=version), "withdraw_form": IntakeForm(initial=version), "comment_form": CommentForm(),
    })


def _load(request, pk: int):
    return selectors.request_for_update(user=request.user, pk=pk)


def _back(request, req) -> str:
    return reverse("care:request_detail", args=[req.pk])


def _comment(request, req, d):
    services.support_request_comment(user=request.user, request=req, text=d["text"])
    return _("Saved.")


def _intake(request, req, d):
    services.support_request_intake(user=request.user, request=req, version=d["version"], note=d["note"])
    return _("Saved.")


def _assign(request, req, d):
    services.support_request_assign(user=request.user, request=req, version=d["version"], kind=d["kind"], offer=d["offer"],
                                    organisation=d["organisation"], clb=d["clb"], note=d["note"])
    return _("Saved.")


def _start(request, req, d):
    services.support_request_start(user=request.user, request=req, version=d["version"], note=d["note"])
    return _("Saved.")


def _close(request, req, d):
    services.support_request_close(user=request.user, request=req, version=d["version"], outcome=d["outcome"], note=d["note"])
    return _("Saved.")


def _withdraw(request, req, d):
    services.support_request_withdraw(user=request.user, request=req, version=d["version"], note=d["note"])
    return _("Saved.")


# POST /care/requests/<pk>/<action>/: the kernel's one transition view with this table of actions
request_action = workflow.transition_view(load=_load, back=_back, errors=(services.CareError,), actions={
    "intake": workflow.Action(IntakeForm, _intake), "assign": workflow.Action(AssignForm, _assign),
    "start": workflow.Action(IntakeForm, _start), "close": workflow.Action(CloseForm, _close),
    "withdraw": workflow.Action(IntakeForm, _withdraw), "comment": workflow.Action(CommentForm, _comment),
})
