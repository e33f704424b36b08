from django import template
from django.template.defaultfilters import floatformat

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
