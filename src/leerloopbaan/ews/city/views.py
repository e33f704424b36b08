"""The city dashboard: VSV and risk per district, network, track and school; trajectories.

City roles only (city analyst, programme manager, admin). Aggregates only, every figure published by
``ews.city.selectors.dashboard`` through one disclosure release: no pupil, pseudonym or name is on this page. One audit entry per view.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from leerloopbaan.ews.city import selectors as city
from leerloopbaan.kernel import charts
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.kernel.caching import cached
from leerloopbaan.registry.selectors import CITY_ROLES


@login_required
def city_dashboard(request):
    if request.user.role not in CITY_ROLES:
        raise PermissionDenied
    by = request.GET.get("by") if request.GET.get("by") in city.DIMENSIONS else "district"
    year = request.GET.get("school_year") or None
    board = cached("city-dashboard", lambda: city.dashboard(school_year=year, by=by), year, by)
    audit_record(action="read", subject_type="aggregate", purpose="city dashboard", detail={
        "school_year": board.year, "by": by, "reference_date": board.reference_date.isoformat() if board.reference_date else None,
        "model_run": board.model_version, "trajectory_years": board.trajectory_years,
    })
    # the charts draw only shown figures: one small panel per district on one shared scale (not a
    # tangle of lines), and one bar per group
    panels = {name: [(y, r.value if r.shown else None) for y, r in zip(board.trend_years, rates, strict=True)]
              for name, rates in board.trend.items()}
    trend_chart = (mark_safe(charts.small_multiples(panels, title=_("Early school leaving rate per district and school year"), percent=True,
                                                    chart_id="city-trend-chart"))
                   if panels else mark_safe(""))
    shown = [(r.label, r.vsv.rate.value) for r in board.rows if r.vsv.rate.shown and r.vsv.rate.value is not None]
    bar_chart = (mark_safe(charts.hbar_chart(shown, title=_("Early school leaving rate per group"), percent=True, chart_id="city-groups-chart"))
                 if shown else mark_safe(""))
    labels = {"district": _("District"), "network": _("Network"), "track": _("Track"), "school": _("School")}
    return render(request, "ews/city.html", {
        "board": board, "dimensions": [(d, labels[d]) for d in city.DIMENSIONS], "by_label": labels[by],
        "group_rows": [*board.rows, board.total] if board.total else [], "trend_chart": trend_chart, "bar_chart": bar_chart,
        "trend_rows": list(board.trend.items()),
        "threshold": city.threshold(),
    })
