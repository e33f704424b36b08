"""The outflow page for city roles: VSV rate per school year and by a dimension, every figure from
one disclosure release (``report.published``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from leerloopbaan.kernel import formatting
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

WIDTH, HEIGHT, PAD = 640, 240, 40


def trend_svg(rows: list[flows.Line], title: str) -> str:
    """An inline SVG line chart of the VSV rate per school year (no external JS or CSS); only shown
    rates are drawn."""
    points = [(i, r.rate.value) for i, r in enumerate(rows) if r.rate.value is not None]
    n = max(len(rows) - 1, 1)
    top = max([rate for _i, rate in points] + [0.1])

    def xy(i, rate):
        x = PAD + (WIDTH - 2 * PAD) * i / n
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * rate / top
        return round(x, 1), round(y, 1)

    path = " ".join(f"{x},{y}" for x, y in (xy(i, rate) for i, rate in points))
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="#0b5394"><title>{}: {}</title></circle>',
                            ((*xy(i, rate), rows[i].group, formatting.share(rate)) for i, rate in points))
    labels = format_html_join("", '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                              ((xy(i, 0)[0], HEIGHT - PAD + 15, r.group) for i, r in enumerate(rows)))
    axis = format_html('<text x="4" y="{}" font-size="10">{}</text><text x="4" y="{}" font-size="10">{}</text>',
                       PAD, formatting.share(top), HEIGHT - PAD, formatting.share(0, 0))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" id="outflow-chart">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>'
        '<polyline fill="none" stroke="#0b5394" stroke-width="2" points="{}"/>{}{}{}</svg>',
        WIDTH, HEIGHT, title, PAD, HEIGHT - PAD, WIDTH - PAD, HEIGHT - PAD, path, dots, labels, axis,
    )


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
    from django.utils.translation import gettext as _

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
