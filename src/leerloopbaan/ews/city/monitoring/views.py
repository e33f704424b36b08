"""The monitoring page: were past lists right, how stable are consecutive lists, feature drift.

City analysts and admins only. Aggregates only, every figure published by
``ews.city.monitoring.selectors.monitoring`` through ``kernel.disclosure``: no pupil, pseudonym or
name is on this page. One audit entry per view.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from leerloopbaan.ews.city.monitoring import metrics
from leerloopbaan.ews.city.monitoring import selectors as monitoring
from leerloopbaan.kernel import charts, disclosure
from leerloopbaan.kernel.audit.services import audit_record


def _day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None  # an unknown date shows the default


def _value(figure):
    return figure.value if figure.shown else None


def _short(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


@login_required
def city_monitoring(request):
    if not monitoring.may_monitor(request.user):
        raise PermissionDenied
    page = monitoring.cached_monitoring()
    chosen = page.list_on(_day(request.GET.get("list")))
    pair = page.pair_from(_day(request.GET.get("pair")))
    audit_record(
        action="read",
        subject_type="aggregate",
        purpose="early warning monitoring",
        detail={
            "list": chosen.reference_date.isoformat() if chosen else None,
            "pair": pair.before.isoformat() if pair else None,
            "dates": [d.reference_date.isoformat() for d in page.lists],
            "drifts": [d.import_id for d in page.drifts],
        },
    )

    # the charts draw only shown figures
    lists_chart = stability_chart = drift_chart = ""
    with_known = [d for d in page.lists if d.any_known]
    series = {
        _("Precision, high band"): [
            (_short(d.reference_date), _value(d.city.high_precision)) for d in with_known
        ],
        _("Recall, high band"): [(_short(d.reference_date), _value(d.city.high_recall)) for d in with_known],
        _("Precision, top 10 %"): [
            (_short(d.reference_date), _value(d.city.top_precision)) for d in with_known
        ],
        _("Recall, top 10 %"): [(_short(d.reference_date), _value(d.city.top_recall)) for d in with_known],
    }
    if any(v is not None for points in series.values() for _l, v in points):
        lists_chart = charts.small_multiples(
            series, title=_("Were past lists right? The city per reference date"), percent=True, columns=2
        )
    points = [(_short(p.after), _value(p.city.still_share)) for p in page.pairs]
    if any(v is not None for _l, v in points):
        stability_chart = charts.line_chart(
            {_("Still in the high band a list later"): points},
            title=_("Stability of the high band, the city"),
            percent=True,
        )
    drifts = list(reversed(page.drifts))
    if drifts:
        label = lambda m: f"{_short(m.reference_date)} #{m.import_id}"  # noqa: E731
        drift_chart = charts.line_chart(
            {
                _("watch"): [(label(m), m.count("watch")) for m in drifts],
                _("shifted"): [(label(m), m.count("shifted")) for m in drifts],
            },
            title=_("Features that drifted from the training distribution, per import"),
            y_label=_("features"),
            kind="count",
        )

    levels = {"stable": _("stable"), "watch": _("watch"), "shifted": _("shifted"), "unknown": "–"}
    latest = page.drifts[0] if page.drifts else None
    drift_rows = [(monitoring.feature_label(f.feature), f) for f in latest.features] if latest else []
    history = [
        (
            m,
            {level: m.count(level) for level in ("stable", "watch", "shifted")},
            [monitoring.feature_label(f.feature)[0] for f in m.features if f.level == "shifted"][:5],
        )
        for m in page.drifts
    ]
    return render(
        request,
        "ews/city_monitoring.html",
        {
            "page": page,
            "chosen": chosen,
            "pair": pair,
            "levels": levels,
            "lists_chart": lists_chart,
            "stability_chart": stability_chart,
            "drift_chart": drift_chart,
            "latest_drift": latest,
            "drift_rows": drift_rows,
            "drift_history": history,
            "threshold": disclosure.threshold(),
            "top_percent": metrics.TOP_PERCENT,
            "psi_watch": metrics.PSI_WATCH,
            "psi_shifted": metrics.PSI_SHIFTED,
        },
    )
