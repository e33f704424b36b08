from django import template
from django.template.defaultfilters import floatformat

from leerloopbaan.ews import selectors
from leerloopbaan.ews.selectors import Band

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
    return f"{floatformat(figure.pct, 1)}%"


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
    return floatformat(figure.value, 3)


@register.inclusion_tag("ews/_model_line.html")
def model_line(run):
    """The one line that names the model behind the scores of a page, with a link to its model card."""
    return {"line": selectors.model_line(run)}
