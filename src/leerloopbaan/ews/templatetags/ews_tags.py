from django import template

from leerloopbaan.ews.selectors import Band

register = template.Library()
_LABELS = dict(Band.choices)


@register.filter
def band_label(value: str) -> str:
    """The band in the user's language (low/medium/high -> laag/midden/hoog)."""
    return str(_LABELS.get(value, value or ""))
