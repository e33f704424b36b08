"""`leerloopbaan ews_monitor [--json] [--schools] [--measure-drift]`: the monitoring page for analysts
on the command line (docs/ews-monitoring.md).

The figures are the page's: published through ``kernel.disclosure`` (a suppressed count prints
``<5`` or ``×``, a rate over it ``-``), so the output can be passed on like the page.
"""

from __future__ import annotations

import json
import sys

from leerloopbaan.kernel.access import UnitOfWorkCommand

LIST_FIGURES = (
    "pending_share",
    "known",
    "unq",
    "high",
    "high_unq",
    "high_precision",
    "high_recall",
    "top",
    "top_unq",
    "top_precision",
    "top_recall",
)
STABILITY_FIGURES = ("both", "high", "still", "still_share", "spearman")


RATES = {
    "pending_share",
    "high_precision",
    "high_recall",
    "top_precision",
    "top_recall",
    "still_share",
    "spearman",
    "psi",
}


def _figure(figure, name: str = ""):
    """A published figure as JSON, as the page shows it: its value when shown; a suppressed count
    ``<5`` (or ``×`` when hidden as a complement); a rate over a suppressed count None (``×`` when hidden)."""
    if figure.shown:
        return (
            None
            if figure.value is None
            else round(figure.value, 4)
            if isinstance(figure.value, float)
            else figure.value
        )
    if figure.hidden:
        return "×"
    return None if name in RATES else str(figure)


def _text(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


class Command(UnitOfWorkCommand):
    help = "Early warning monitoring: were past lists right, list stability, feature drift per import (aggregates only)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print everything as JSON")
        parser.add_argument("--schools", action="store_true", help="also the figures per school")
        parser.add_argument(
            "--measure-drift",
            action="store_true",
            help="first measure the feature drift of the latest finished import if it has none",
        )

    def handle(self, *args, json=False, schools=False, measure_drift=False, **options):  # noqa: A002 - the option is called --json
        from leerloopbaan.ews.city.monitoring import selectors, services
        from leerloopbaan.kernel.audit.services import audit_record

        if measure_drift:
            services.measure_missing_drift(progress=lambda m: print(m, file=sys.stderr, flush=True))
        page = selectors.monitoring()
        audit_record(
            action="read",
            subject_type="aggregate",
            purpose="ews monitor command",
            detail={"dates": [d.reference_date.isoformat() for d in page.lists], "schools": schools},
        )
        data = _as_dict(page, schools)
        if json:
            self.stdout.write(_dumps(data))
            return
        self._print(data)

    def _print(self, data):
        w = self.stdout.write
        w(
            f"latest list {data['latest_date'] or '-'} (model {data['latest_model'] or '-'}): on the city dashboard, not evaluated"
        )
        w("")
        w("past lists, the city (precision and recall; the top is the top 10 % of each school's list)")
        w(
            f"{'date':<12}{'model':<28}{'not known':>10}{'high':>7}{'of whom':>8}{'prec':>7}{'recall':>7}"
            f"{'top':>7}{'of whom':>8}{'prec':>7}{'recall':>7}{'unq':>7}"
        )
        for d in data["lists"]:
            rows = [("city", d["city"])] + (
                [(s["school"], s) for s in d["schools"]] if "schools" in d else []
            )
            for name, r in rows:
                label = d["reference_date"] if name == "city" else f"  {name}"
                w(
                    f"{label:<12}{(d['model'] if name == 'city' else ''):<28}{_text(r['pending_share']):>10}{_text(r['high']):>7}"
                    f"{_text(r['high_unq']):>8}{_text(r['high_precision']):>7}{_text(r['high_recall']):>7}{_text(r['top']):>7}"
                    f"{_text(r['top_unq']):>8}{_text(r['top_precision']):>7}{_text(r['top_recall']):>7}{_text(r['unq']):>7}"
                )
        w("")
        w("stability of consecutive lists, the city")
        w(f"{'first':<12}{'next':<12}{'both':>7}{'high':>7}{'still':>7}{'share':>7}{'rho':>7}  model")
        for p in data["stability"]:
            rows = [("city", p["city"])] + (
                [(s["school"], s) for s in p["schools"]] if "schools" in p else []
            )
            for name, r in rows:
                first, nxt = (p["first"], p["next"]) if name == "city" else (f"  {name}", "")
                model = (
                    (
                        p["first_model"]
                        if p["first_model"] == p["next_model"]
                        else f"{p['first_model']} -> {p['next_model']}"
                    )
                    if name == "city"
                    else ""
                )
                w(
                    f"{first:<12}{nxt:<12}{_text(r['both']):>7}{_text(r['high']):>7}{_text(r['still']):>7}"
                    f"{_text(r['still_share']):>7}{_text(r['spearman']):>7}  {model}"
                )
        w("")
        drifts = data["drift"]
        if not drifts:
            w("feature drift: none measured yet (--measure-drift measures the latest import)")
            return
        m = drifts[0]
        w(
            f"feature drift of import {m['import']} ({m['reference_date']}, {_text(m['pupils'])} pupils) against model {m['model']}"
        )
        for f in m["features"]:
            w(f"  {f['feature']:<28}{_text(f['psi']):>8}  {f['level']}")


def _as_dict(page, schools: bool) -> dict:
    def row(r, names):
        return {name: _figure(getattr(r, name), name) for name in names}

    lists = []
    for d in page.lists:
        item = {
            "reference_date": d.reference_date.isoformat(),
            "model": d.model_version,
            "city": row(d.city, LIST_FIGURES),
        }
        if schools:
            item["schools"] = [{"school": r.label, **row(r, LIST_FIGURES)} for r in d.schools]
        lists.append(item)
    pairs = []
    for p in page.pairs:
        item = {
            "first": p.before.isoformat(),
            "next": p.after.isoformat(),
            "first_model": p.before_version,
            "next_model": p.after_version,
            "city": row(p.city, STABILITY_FIGURES),
        }
        if schools:
            item["schools"] = [{"school": r.label, **row(r, STABILITY_FIGURES)} for r in p.schools]
        pairs.append(item)
    drifts = [
        {
            "import": m.import_id,
            "reference_date": m.reference_date.isoformat(),
            "model": m.model_version,
            "pupils": _figure(m.population),
            "features": [
                {"feature": f.feature, "psi": _figure(f.psi, "psi"), "level": f.level} for f in m.features
            ],
        }
        for m in page.drifts
    ]
    return {
        "latest_date": page.latest_date.isoformat() if page.latest_date else None,
        "latest_model": page.latest_version or None,
        "final_school_years": page.final_years,
        "lists": lists,
        "stability": pairs,
        "drift": drifts,
    }


def _dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
