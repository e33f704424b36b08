"""Template filters of the one formatting layer (``kernel.formatting``), built into every template
(``settings.TEMPLATES`` ``builtins``): no ``{% load %}`` needed.

    {{ n|integer }}            3.670
    {{ x|number:2 }}           1,63          (default one decimal: 32,0)
    {{ pct|percent }}          66,7%         (a value in percent; ``percent:0`` for 67%)
    {{ fraction|share }}       66,7%        (a fraction 0-1)
    {{ d|day }}                06-12-2026
    {{ d|long_day }}           6 december 2026
    {{ t|moment }}             06-12-2026 14:05
"""

from __future__ import annotations

from django import template

from leerloopbaan.kernel import formatting

register = template.Library()


def _or_empty(format_):
    """None shows as nothing (so ``|default:"–"`` still applies), as Django's own filters do."""

    def wrapped(value, *args):
        return "" if value is None or value == "" else format_(value, *args)

    return wrapped


@register.filter
def number(value, decimals=1) -> str:
    return _or_empty(lambda v: formatting.number(v, int(decimals)))(value)


@register.filter
def integer(value) -> str:
    """A count; a published figure (``kernel.disclosure.Figure``) as its count when shown, else ``<5`` or ``×``."""
    if hasattr(value, "state") and hasattr(value, "shown"):
        return formatting.integer(value.value) if value.shown and value.value is not None else str(value)
    return _or_empty(formatting.integer)(value)


@register.filter
def percent(value, decimals=1) -> str:
    return _or_empty(lambda v: formatting.percent(v, int(decimals)))(value)


@register.filter
def share(value, decimals=1) -> str:
    return _or_empty(lambda v: formatting.share(v, int(decimals)))(value)


@register.filter
def day(value) -> str:
    return _or_empty(formatting.date)(value)


@register.filter
def long_day(value) -> str:
    return _or_empty(formatting.long_date)(value)


@register.filter
def moment(value) -> str:
    return _or_empty(formatting.moment)(value)
