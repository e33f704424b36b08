"""Template filters of the tutoring pages."""

from __future__ import annotations

from django import template

from leerloopbaan.tutoring.vocabulary import priority_tier as _tier

register = template.Library()


@register.filter
def priority_tier(value) -> str:
    """A need's priority (or a priority key of a run's figures) as its tier: high, medium or low, never the number."""
    return _tier(value)
