"""The one formatting layer: every number, percentage, date and moment a person reads goes through here.

Babel formats in the active language (``django.utils.translation.get_language``): Dutch (nl-BE) by
default, English on request. One rule for each kind, the same in tables, bars, charts, CSVs meant for
people and the PDF:

==============  =========================  ==========================
kind            nl-BE                      en
==============  =========================  ==========================
``integer``     ``3.670``                  ``3,670``
``number``      ``1,63`` · ``32,0``        ``1.63`` · ``32.0``
``percent``     ``66,7%``                  ``66.7%``
``date``        ``06-12-2026``             ``2026-12-06``
``long_date``   ``6 december 2026``        ``6 December 2026``
``moment``      ``06-12-2026 14:05``       ``2026-12-06 14:05``
==============  =========================  ==========================

Rounding is half up on the decimal value (``0.665`` to two decimals is ``0.67``, ``66.65`` to one is
``66.7``), never the float's binary neighbour nor banker's rounding, so a bar and a table cell that show
the same figure show the same digits. ``None`` (and anything that is not a number) is the dash ``–``.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal as _babel_decimal
from django.utils import timezone
from django.utils.translation import get_language

DASH = "–"

# the Babel locale of each interface language; English is the British one
_LOCALES = {"nl": "nl_BE", "en": "en_GB"}
_DATE = {"nl": "dd-MM-y", "en": "y-MM-dd"}  # English: ISO 8601, read the same way everywhere
_LONG_DATE = {"nl": "d MMMM y", "en": "d MMMM y"}


def language(lang: str | None = None) -> str:
    """``nl`` or ``en``: the language ``lang`` names, else the active one (Dutch when none is active)."""
    code = (lang or get_language() or "nl").lower()
    return "en" if code.startswith("en") else "nl"


def babel_locale(lang: str | None = None) -> str:
    return _LOCALES[language(lang)]


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def rounded(value, decimals: int = 0) -> Decimal | None:
    """``value`` rounded half up to ``decimals`` places (the one rounding rule), or None."""
    number = _decimal(value)
    if number is None:
        return None
    result = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return result + 0  # no "-0"


def number(value, decimals: int = 1, lang: str | None = None, *, signed: bool = False) -> str:
    """A number with exactly ``decimals`` decimals and thousands grouping: ``1.234,5`` (nl), ``1,234.5`` (en).

    A negative ``decimals`` shows up to that many decimals, none for a whole number (``250``, ``250,5``).
    ``signed``: a plus sign before a positive number (``+1,5``), as for a difference."""
    if decimals < 0:
        exact = rounded(value, -decimals)
        decimals = 0 if exact is not None and exact == exact.to_integral_value() else -decimals
    exact = rounded(value, decimals)
    if exact is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return _babel_decimal(exact, format=pattern, locale=babel_locale(lang), decimal_quantization=False)


def integer(value, lang: str | None = None) -> str:
    """A whole number with thousands grouping: ``3.670`` (nl), ``3,670`` (en)."""
    return number(value, 0, lang)


def percent(value, decimals: int = 1, lang: str | None = None) -> str:
    """A percentage given in percent (``66.66`` -> ``66,7%`` in Dutch, ``66.7%`` in English)."""
    text = number(value, decimals, lang)
    if text == DASH:
        return DASH
    return (
        f"{text}%"  # CLDR's pattern for nl-BE and en alike: no space (a search for "25%" finds every share)
    )


def share(value, decimals: int = 1, lang: str | None = None) -> str:
    """A share given as a fraction (``0.6666`` -> ``66,7%``): ``percent`` of ``value × 100``, computed exactly."""
    number_ = _decimal(value)
    return percent(None if number_ is None else number_ * 100, decimals, lang)


def points(value, decimals: int = 1, lang: str | None = None) -> str:
    """A difference of two shares (fractions) in percentage points, signed: ``+1,5 pp``."""
    number_ = _decimal(value)
    if number_ is None:
        return DASH
    return f"{number(number_ * 100, decimals, lang, signed=True)} pp"


def _as_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def date(value, lang: str | None = None) -> str:
    """A day in the one short style: ``06-12-2026`` (nl), ``2026-12-06`` (en); a moment by its Brussels date."""
    day = _as_date(value)
    if day is None:
        return DASH
    return _babel_date(day, _DATE[language(lang)], locale=babel_locale(lang))


def long_date(value, lang: str | None = None) -> str:
    """A day written out, for sentences and documents: ``6 december 2026``."""
    day = _as_date(value)
    if day is None:
        return DASH
    return _babel_date(day, _LONG_DATE[language(lang)], locale=babel_locale(lang))


def moment(value, lang: str | None = None) -> str:
    """A moment in Brussels time: ``06-12-2026 14:05``."""
    if not isinstance(value, datetime.datetime):
        return date(value, lang)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date(local, lang)} {_babel_time(local.time(), 'HH:mm', locale=babel_locale(lang))}"
