"""The URL converter of row ids: ``<id:pk>``.

Django's ``<int:...>`` takes a number of any length; a number beyond the database's 64-bit integer
crashes a lookup (SQLite raises OverflowError on it) instead of answering 404. ``<id:...>`` matches at
most 18 digits (always below 2**63), so a longer number is simply not a route: 404.
"""

from __future__ import annotations

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
