"""Handover pages: the list (incoming, outgoing, all for the follow-up team), one handover with its
actions, and the follow-up list. Reads through ``care.selectors_handovers``, writes through
``care.services_handovers``."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.handovers import selectors, services
from leerloopbaan.care.handovers.selectors import HandoverStatus
from leerloopbaan.kernel import workflow


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WhatHelpedForm(VersionForm):
    text = forms.CharField(label=gettext_lazy("What helped"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4, "class": "form-control form-control-sm"}))


@login_required
def handover_list(request):
    if not selectors.may_see_handovers(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or None
    rows = selectors.handover_list(user=request.user, status=status)
    return render(request, "care/handover_list.html", {
        "rows": rows, "statuses": [(selectors.TO_ACKNOWLEDGE, _("to acknowledge by you")), *HandoverStatus.choices],
        "filters": request.GET,
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
        "can_write": workflow.may(user, h, "what_helped", services.HANDOVER),
        "sender": sender, "pupil_link": user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER),
        "version_form": VersionForm(initial=initial), "what_form": WhatHelpedForm(initial=initial | {"text": h.what_helped}),
    })


def _load(request, pk: int):
    return selectors.handover_for_update(user=request.user, pk=pk)


def _back(request, h) -> str:
    return reverse("care:handover_detail", args=[h.pk])


def _acknowledge(request, h, d):
    services.handover_acknowledge(user=request.user, handover=h, version=d["version"])
    return _("Saved.")


def _what_helped(request, h, d):
    services.handover_note_what_helped(user=request.user, handover=h, version=d["version"], text=d["text"])
    return _("Saved.")


def _close(request, h, d):
    services.handover_close(user=request.user, handover=h, version=d["version"])
    return _("Saved.")


# POST /care/handovers/<pk>/<action>/: the kernel's one transition view with this table of actions
handover_action = workflow.transition_view(load=_load, back=_back, errors=(services.CareError,), actions={
    "acknowledge": workflow.Action(VersionForm, _acknowledge), "what_helped": workflow.Action(WhatHelpedForm, _what_helped),
    "close": workflow.Action(VersionForm, _close),
})


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
