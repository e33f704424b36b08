"""The one page rule of every paginated list."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def page_of(paginator: Paginator, number) -> Page:
    """The page ``number`` of ``paginator``: the first when it is not a number or below 1, an empty page
    past the last one (never the last page again: an address shows what it names, and a hostile page
    number costs one count query)."""
    try:
        wanted = int(str(number)[:30])
    except (TypeError, ValueError):
        wanted = 1
    wanted = max(wanted, 1)
    if wanted > paginator.num_pages:
        return Page([], wanted, paginator)
    return paginator.page(wanted)
