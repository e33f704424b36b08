"""School years: written ``2023-2024``, running 1 September to 31 August (data-format.md)."""

from __future__ import annotations

import datetime
import re

_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
FIRST_YEAR, LAST_YEAR = 1900, 2998  # the school years a page or command accepts


def school_year_of(day: datetime.date) -> str:
    """The school year a date falls in: 1 September .. 31 August."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{first + 1}"


def parse_school_year(value: str) -> int:
    """Return the first calendar year of a school year written ``YYYY-YYYY`` (second = first + 1)."""
    match = _YEAR.match(value or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError("expected YYYY-YYYY with the second year one after the first, e.g. 2023-2024")
    first = int(match.group(1))
    if not FIRST_YEAR <= first <= LAST_YEAR:  # "0000-0001" would crash every date built from it
        raise ValueError(
            f"expected a school year from {FIRST_YEAR}-{FIRST_YEAR + 1} to {LAST_YEAR}-{LAST_YEAR + 1}"
        )
    return first


def school_year_bounds(value: str) -> tuple[datetime.date, datetime.date]:
    """First and last day (1 September, 31 August) of a school year."""
    first = parse_school_year(value)
    return datetime.date(first, 9, 1), datetime.date(first + 1, 8, 31)


def next_school_year(value: str, step: int = 1) -> str:
    first = parse_school_year(value) + step
    return f"{first}-{first + 1}"


def school_year_first(year: str) -> int:
    """The first calendar year of ``YYYY-YYYY``."""
    return int(year[:4])


def school_year_end(year: str) -> int:
    """The calendar year in which a school year ends (``2018-2019`` -> 2019)."""
    return int(year[5:9])
