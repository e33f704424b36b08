"""Learning-gain test pages: a pupil's growth curve, entering a result, remediation proposals, the
city's norms and the growth of tutored pupils.

Reads go through ``assessments.selectors`` (scoped, audited); writes through ``assessments.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from leerloopbaan.assessments import selectors, services
from leerloopbaan.assessments.engine.growth import SD
from leerloopbaan.assessments.forms import ResultForm
from leerloopbaan.kernel import charts, clock
from leerloopbaan.registry.selectors import display_name, pupil_get


@login_required
def index(request):
    user = request.user
    if selectors.may_see_proposals(user):
        return redirect("assessments:proposals")
    if selectors.may_see_growth(user):
        return redirect("assessments:growth")
    if selectors.may_see_norms(user):
        return redirect("assessments:norms")
    raise PermissionDenied


@login_required
def pupil_growth(request, pupil_key: str):
    pupil = pupil_get(user=request.user, pupil_key=pupil_key, purpose="growth curve")
    data = selectors.growth_curve(user=request.user, pupil=pupil)
    return render(request, "assessments/pupil.html", {
        "pupil": pupil, "label": display_name(request.user, pupil), **data,
        "may_enter": services.may_enter_results(request.user),
    })


@login_required
def result_new(request):
    user = request.user
    if not services.may_enter_results(user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("pupil_key", "")
    if not key:
        return render(request, "assessments/result_form.html", {"form": None, "pupil": None})
    # showing the form names the pupil: a scoped, audited read; a saved result names the pupil in the
    # service's own entry, so the request writes no second one (kernel.access)
    pupil = pupil_get(user=user, pupil_key=key, purpose="test result entry")
    if request.method == "POST":
        form = ResultForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.test_result_enter(user=user, pupil=pupil, instrument=d["instrument"], date=d["date"],
                                           scale_score=d["scale_score"])
            except services.AssessmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Test result saved."))
                return redirect("assessments:pupil", pupil_key=pupil.pupil_key)
    else:
        form = ResultForm()
    return render(request, "assessments/result_form.html", {"form": form, "pupil": pupil, "label": display_name(user, pupil)})


@login_required
def proposals(request):
    if not selectors.may_see_proposals(request.user):
        raise PermissionDenied
    rows = selectors.remediation_proposals(user=request.user)
    return render(request, "assessments/proposals.html", {"rows": rows, "since": selectors.proposals_since(clock.today())})


@login_required
def norms(request):
    if not selectors.may_see_norms(request.user):
        raise PermissionDenied
    rows = selectors.norm_table(user=request.user)
    return render(request, "assessments/norms.html", {"rows": rows, "threshold": selectors.threshold()})


def _unit(unit: str) -> str:
    return _("SD") if unit == SD else _("scale points")


@login_required
def growth(request):
    if not selectors.may_see_growth(request.user):
        raise PermissionDenied
    report = selectors.growth_report(user=request.user)
    all_label = _("All domains")
    # one quantity per axis: scale points and SD each get their own panel of the chart
    rows = [(label or all_label, i.estimate, i.low, i.high, _unit(unit)) for label, unit, i in report["shown"]]
    mode_rows = [(label or all_label, i.estimate, i.low, i.high, _unit(unit)) for label, unit, i in report["shown_modes"]]
    chart = mark_safe(charts.interval_chart(rows, title=_("Difference in gain, tutored minus matched untutored pupils"))) if rows else mark_safe("")
    mode_chart = (mark_safe(charts.interval_chart(mode_rows, title=_("Difference in gain, online minus face-to-face tutoring, adjusted")))
                  if mode_rows else mark_safe(""))
    return render(request, "assessments/growth.html", {**report, "chart": chart, "mode_chart": mode_chart, "all_label": all_label})
