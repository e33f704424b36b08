from django import template
from django.utils.translation import get_language

from leerloopbaan.ews import selectors
from leerloopbaan.ews.engine import area_label, percent
from leerloopbaan.ews.selectors import Band
from leerloopbaan.kernel import formatting

register = template.Library()
_LABELS = dict(Band.choices)


@register.filter
def band_label(value: str) -> str:
    """The band in the user's language (low/medium/high -> laag/midden/hoog)."""
    return str(_LABELS.get(value, value or ""))


@register.filter
def rate(figure) -> str:
    """A published rate or share (``kernel.disclosure.Figure``) as a percentage with one decimal:
    ``×`` when hidden as a complement, ``–`` when suppressed with a small count or without a base."""
    if figure is None:
        return "–"
    if figure.hidden:
        return "×"
    if figure.pct is None:
        return "–"
    return formatting.share(figure.value, 1)


@register.filter
def metric(cell: dict) -> str:
    """A model metric cell of the model card ({"figure": Figure | None, "share": bool}): a share as a
    rate (``rate``), any other metric (AUC, calibration ratio, error) with three decimals."""
    figure = cell.get("figure") if cell else None
    if figure is None:
        return "–"
    if cell.get("share"):
        return rate(figure)
    if not figure.shown or figure.value is None:
        return str(figure) or "–"
    return formatting.number(figure.value, 3)


@register.inclusion_tag("ews/_model_line.html")
def model_line(run):
    """The one line that names the model behind the scores of a page, with a link to its model card."""
    return {"line": selectors.model_line(run)}


@register.filter
def pct(value) -> str:
    """A risk (0-1) as a whole percentage, half up: the very rounding of the stored breakdown
    (``engine.percent``), so the shown parts add up to the shown risk."""
    if value is None:
        return ""
    return formatting.percent(int(percent(value)), 0)


@register.filter
def risk_interval(score) -> str:
    """The uncertainty interval of a score as ``18–34%``; empty for a score without one."""
    if getattr(score, "risk_low", None) is None or getattr(score, "risk_high", None) is None:
        return ""
    high = formatting.percent(int(percent(score.risk_high)), 0)
    return f"{formatting.integer(int(percent(score.risk_low)))}–{high}"


@register.filter
def breakdown_lines(score) -> list[dict]:
    """How the score's risk adds up, one line per area in the user's language (the starting point and
    the total are printed beside them: ``score.breakdown.base`` and ``score.risk|pct``): ``label``,
    ``points`` (signed, ``+7``), ``text`` (the reason's sentence when the area is a reason) and
    ``area``. The context area is the one line "schoolcontext", without its characteristics. Empty for
    scores stored before breakdowns existed."""
    parts = (getattr(score, "breakdown", None) or {}).get("parts")
    if not parts:
        return []
    lang = "nl" if (get_language() or "nl")[:2] == "nl" else "en"
    texts = {r.get("area"): r.get(f"text_{lang}") or r.get("text_en") or "" for r in score.reasons or []}
    return [
        {
            "area": area,
            "label": area_label(area, lang),
            "points": f"{points:+d}" if points else "0",
            "text": "" if area == "context" else texts.get(area, ""),
        }
        for area, points in parts
    ]
