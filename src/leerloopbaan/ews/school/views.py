"""School-facing early warning pages: the risk list (with follow-ups) and the school portrait.

Reads go through ``ews.selectors`` (scoped, audited); writes through ``ews.services``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from leerloopbaan.ews import selectors
from leerloopbaan.ews.selectors import Band, FollowUpKind
from leerloopbaan.ews.services import follow_up_record, portrait_comment_save
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import parse_school_year, school_year_of
from leerloopbaan.registry.selectors import pupil_for_update


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What was done"), choices=FollowUpKind.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    school_year = forms.CharField(max_length=9)
    text = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


# --- pages ----------------------------------------------------------------------------------

@login_required
def risk_list(request):
    if not selectors.may_see_scores(request.user):
        raise PermissionDenied
    schools = selectors.schools_of_user(request.user)
    school = None
    if request.GET.get("school"):
        school = schools.filter(school_number=request.GET["school"]).first()
        if school is None:
            raise Http404("no such school")
    band = request.GET.get("band") or None
    if band not in (None, *Band.values):
        band = None
    result = selectors.risk_list(request.user, school=school, grade=request.GET.get("grade") or None,
                                 track=request.GET.get("track") or None, band=band)
    return render(request, "ews/risk_list.html", {
        "result": result, "school": school, "filters": request.GET, "bands": Band.choices,
        "form": FollowUpForm(), "names": selectors.names_visible(request.user),
    })


@login_required
@require_POST
def follow_up(request, pupil_key: str):
    if not selectors.may_see_scores(request.user):
        raise Http404("no such pupil")
    pupil = pupil_for_update(user=request.user, pupil_key=pupil_key)  # the service's entry names the pupil
    form = FollowUpForm(request.POST)
    if form.is_valid():
        follow_up_record(user=request.user, pupil=pupil, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"])
        messages.success(request, _("Follow-up recorded."))
    else:
        messages.error(request, _("Choose what was done."))
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("ews:risk_list")
    return redirect(back)


@login_required
def portrait_home(request):
    schools = list(selectors.schools_for_portrait(request.user))
    if request.user.role not in selectors.PORTRAIT_ROLES:
        raise PermissionDenied
    if len(schools) == 1:
        return redirect("ews:portrait", school_number=schools[0].school_number)
    return render(request, "ews/portraits.html", {"schools": schools})


def _school_and_year(request, school_number: str) -> tuple:
    school = get_object_or_404(selectors.schools_for_portrait(request.user), school_number=school_number)
    year = request.GET.get("year") or school_year_of(clock.today())
    try:
        parse_school_year(year)
    except ValueError:
        year = school_year_of(clock.today())
    return school, year


@login_required
def portrait(request, school_number: str):
    school, year = _school_and_year(request, school_number)
    data = selectors.school_portrait(request.user, school, year)
    years = selectors.portrait_years()
    comment = data["comment"]
    form = CommentForm(initial={"school_year": year, "text": comment.text if comment else ""})
    return render(request, "ews/portrait.html", {**data, "years": years, "comment_form": form})


@login_required
def portrait_pdf(request, school_number: str):
    from leerloopbaan.ews.school.pdf import portrait_pdf as render_pdf

    school, year = _school_and_year(request, school_number)
    data = selectors.school_portrait(request.user, school, year)
    line = selectors.model_line(data.get("model_run"))
    if line is not None:
        data["model_line"] = line
        data["model_card_url"] = request.build_absolute_uri(reverse("ews:model_card_run", args=[line.version]))
    content = render_pdf(data)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="portrait-{school.school_number}-{year}.pdf"'
    return response


@login_required
@require_POST
def portrait_comment(request, school_number: str):
    school = get_object_or_404(selectors.schools_for_portrait(request.user), school_number=school_number)
    if not selectors.is_staff_of(request.user, school):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["school_year"]
        try:
            parse_school_year(year)
        except ValueError as exc:
            raise Http404("no such school year") from exc
        portrait_comment_save(user=request.user, school=school, school_year=year, text=form.cleaned_data["text"])
        messages.success(request, _("Comment saved."))
        return redirect(reverse("ews:portrait", args=[school.school_number]) + f"?year={year}")
    messages.error(request, _("The comment could not be saved."))
    return redirect("ews:portrait", school_number=school.school_number)


@login_required
@require_GET
def model_card(request, version: str | None = None):
    """The model card: what the model behind the scores is, how well it did on past cohorts, whether
    it is fair, and whether it scores (an unapproved model never does)."""
    if not selectors.may_see_model_card(request.user):
        raise PermissionDenied
    return render(request, "ews/model_card.html", selectors.model_card(request.user, version))
