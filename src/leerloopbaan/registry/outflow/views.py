"""The outflow page for city roles: VSV rate per school year and by a dimension, every figure from
one disclosure release (``report.published``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.kernel import charts
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.disclosure import threshold
from leerloopbaan.registry.outflow import report as flows
from leerloopbaan.registry.selectors import CITY_ROLES
from leerloopbaan.registry.vocabulary import District, Network

# the grouping dimensions in the user's language (the query string keeps the English keys)
DIMENSION_LABELS = {"school": gettext_lazy("School"), "district": gettext_lazy("District"),
                    "network": gettext_lazy("Network"), "track": gettext_lazy("Track")}


def group_label(by: str, group: str) -> str:
    """A group's name as people read it: a network's or district's label, ``unknown`` translated."""
    if by == "network":
        return str(dict(Network.choices).get(group, group))
    if by == "district":
        return str(dict(District.choices).get(group, group))
    if group == "unknown":
        return str(gettext_lazy("unknown"))
    return group


def trend_svg(rows: list[flows.Line], title: str) -> str:
    """The VSV rate per school year as a line (``kernel.charts``); only shown rates are drawn."""
    points = [(r.group, r.rate.value if r.rate.shown else None) for r in rows]
    return mark_safe(charts.line_chart({"": points}, title=title, percent=True, chart_id="outflow-chart"))  # one line: the title names it


@login_required
def outflow_page(request):
    if request.user.role not in CITY_ROLES:
        raise PermissionDenied
    years = flows.school_years()
    figures = cached("outflow-published", lambda: flows.published(years), *years)
    trend = figures.trend
    # the default is the last complete school year; the running one stays selectable, marked provisional
    final_years = figures.final
    default = final_years[-1] if final_years else (years[-1] if years else "")
    year = request.GET.get("school_year") or default
    if year not in years:
        year = default
    by = request.GET.get("by") if request.GET.get("by") in flows.DIMENSIONS else "district"
    grouped = figures.lines(year, by) if year else []
    # only school years whose outflow is complete are points of the trend; the running year is
    # listed as provisional (its leavers are only those who left so far)
    final = [line for line in trend if not figures.provisional(line.group)]
    chart = trend_svg(final, _("Early school leaving rate per school year")) if final else mark_safe("")
    return render(request, "registry/outflow.html", {
        "years": years, "year": year, "by": by, "dimensions": flows.DIMENSIONS, "trend": trend,
        "grouped": [(group_label(by, line.group), line) for line in grouped], "chart": chart,
        "dimension_labels": DIMENSION_LABELS, "by_label": DIMENSION_LABELS[by], "threshold": threshold(),
        "provisional": [y for y in years if figures.provisional(y)],
    })
