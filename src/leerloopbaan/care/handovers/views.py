"""Handover pages: the list (incoming, outgoing, all for the follow-up team), one handover with its
actions, and the follow-up list. Reads through ``care.selectors_handovers``, writes through
``care.services_handovers``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.handovers import selectors, services
from leerloopbaan.care.handovers.selectors import HandoverStatus


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WhatHelpedForm(VersionForm):
    text = forms.CharField(label=gettext_lazy("What helped"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4, "class": "form-control form-control-sm"}))


ACTIONS = {"acknowledge": VersionForm, "what_helped": WhatHelpedForm, "close": VersionForm}


@login_required
def handover_list(request):
    if not selectors.may_see_handovers(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or None
    rows = selectors.handover_list(user=request.user, status=status)
    return render(request, "care/handover_list.html", {
        "rows": rows, "statuses": HandoverStatus.choices, "filters": request.GET,
        "follow_up": selectors.may_see_follow_up(request.user),
    })


@login_required
def handover_detail(request, pk: int):
    user = request.user
    h = selectors.handover_get(user=user, pk=pk)
    initial = {"version": h.version}
    sender = services.is_sender(user, h)
    return render(request, "care/handover_detail.html", {
        "h": h, "pupil_label": selectors.pupil_label(user, h), "support": selectors.support_labels(h),
        "can_acknowledge": services.may_acknowledge(user, h),
        "can_close": services.may_close(user, h),
        "can_write": sender and h.status != HandoverStatus.CLOSED,
        "sender": sender, "pupil_link": user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER),
        "version_form": VersionForm(initial=initial), "what_form": WhatHelpedForm(initial=initial | {"text": h.what_helped}),
    })


@login_required
@require_POST
def handover_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("no such action")
    user = request.user
    h = selectors.handover_for_update(user=user, pk=pk)
    form = ACTIONS[action](request.POST)
    if not form.is_valid():
        messages.error(request, _("Please fill in the form completely."))
        return redirect("care:handover_detail", pk=pk)
    d = form.cleaned_data
    try:
        if action == "acknowledge":
            services.handover_acknowledge(user=user, handover=h, version=d["version"])
        elif action == "what_helped":
            services.handover_note_what_helped(user=user, handover=h, version=d["version"], text=d["text"])
        else:
            services.handover_close(user=user, handover=h, version=d["version"])
    except services.CareError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("care:handover_detail", pk=pk)


@login_required
def follow_up_list(request):
    if not selectors.may_see_follow_up(request.user):
        raise PermissionDenied
    try:
        days = min(max(int(request.GET.get("days", "")), 0), 365)
    except ValueError:
        days = None
    data = selectors.follow_up_list(user=request.user, days=days)
    return render(request, "care/follow_up.html", {"data": data})
