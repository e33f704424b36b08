"""XSD dateTimeStamp in and out (always with a time zone; we write UTC with 'Z', whole seconds)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import VcError

DATETIME_STAMP = re.compile(
    r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|z|[+-][0-9]{2}:[0-9]{2})$"
)


def xsd_datetime(value: datetime) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise VcError("Dates in credentials must be timezone-aware datetimes.")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_xsd_datetime(text) -> datetime | None:
    """An aware datetime, or None when ``text`` is not an XSD dateTimeStamp."""
    if not isinstance(text, str) or not DATETIME_STAMP.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
