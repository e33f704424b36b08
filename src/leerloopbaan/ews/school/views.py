"""School-facing early warning pages: the risk list (with follow-ups) and the school portrait.

Reads go through ``ews.selectors`` (scoped, audited); writes through ``ews.services``.
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leerloopbaan.ews import selectors
from leerloopbaan.ews.selectors import Band, FollowUpKind
from leerloopbaan.ews.services import follow_up_record, portrait_comment_save
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import parse_school_year, school_year_of
from leerloopbaan.registry.selectors import display_name, pupil_for_update, pupil_get


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What was done"), choices=FollowUpKind.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    school_year = forms.CharField(max_length=9)
    text = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


# --- pages ----------------------------------------------------------------------------------

def _risk_query(request) -> selectors.RiskQuery:
    """The risk list's filters, search and sort from the query string (the page and the export share it)."""
    g = request.GET
    school = None
    if g.get("school"):
        school = selectors.schools_of_user(request.user).filter(school_number=g["school"]).first()
        if school is None:
            raise Http404("no such school")
    return selectors.RiskQuery(school=school, grade=g.get("grade", ""), track=g.get("track", ""), band=g.get("band", ""),
                               class_group=g.get("class", ""), status=g.get("status", ""), q=g.get("q", ""),
                               sort=g.get("sort", selectors.DEFAULT_SORT)).clean()


@login_required
@require_GET
def risk_list(request):
    if not selectors.may_see_scores(request.user):
        raise PermissionDenied
    query = _risk_query(request)
    result = selectors.risk_list(request.user, query, page=request.GET.get("page", 1))
    current, descending = query.sort.lstrip("-"), query.sort.startswith("-")
    sorts = {}
    for key, label in RISK_SORT_LABELS:
        active = key == current
        first = f"-{key}" if key in ("risk", "band") else key  # the highest risk first, names from A
        flipped = key if descending else f"-{key}"
        sorts[key] = {"label": label, "active": active, "desc": active and descending, "next": flipped if active else first}
    return render(request, "ews/risk_list.html", {
        "result": result, "query": query, "filters": request.GET, "bands": Band.choices, "sorts": sorts,
        "names": selectors.names_visible(request.user),
    })


RISK_SORT_LABELS = (("risk", gettext_lazy("risk")), ("name", gettext_lazy("name")), ("class", gettext_lazy("class")),
                    ("grade", gettext_lazy("grade")), ("band", gettext_lazy("band")), ("status", gettext_lazy("under way")))


def _cell(value):
    """A spreadsheet cell that a spreadsheet program never runs as a formula (a name starting with = or +)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@login_required
@require_GET
def risk_list_export(request):
    """The filtered risk list as a spreadsheet (XLSX or CSV), every row of it, not only one page; recorded
    as an export naming every pupil in it before the file is returned."""
    if not selectors.may_see_scores(request.user):
        raise PermissionDenied
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("csv", "xlsx"):
        raise Http404("no such format")
    header, rows = selectors.risk_list_export(request.user, _risk_query(request))
    name = f"risk-list-{clock.today().isoformat()}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in row] for row in rows])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(_("Risk list"))[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request, pupil_key: str):
    """Record what was done for a pupil of the risk list: the form (GET) and the write (POST)."""
    if not selectors.may_see_scores(request.user):
        raise Http404("no such pupil")
    back = request.POST.get("next", "") if request.method == "POST" else request.GET.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = reverse("ews:risk_list")  # only a path of this site (not //host or /\\host)
    if request.method == "GET":
        pupil = pupil_get(user=request.user, pupil_key=pupil_key, purpose="follow-up form")
        return render(request, "ews/follow_up_form.html", {
            "form": FollowUpForm(), "pupil": pupil, "label": display_name(request.user, pupil), "next": back})
    pupil = pupil_for_update(user=request.user, pupil_key=pupil_key)  # the service's entry names the pupil
    form = FollowUpForm(request.POST)
    if form.is_valid():
        follow_up_record(user=request.user, pupil=pupil, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"])
        messages.success(request, _("Follow-up recorded."))
    else:
        messages.error(request, _("Choose what was done."))
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
