"""The rules of shared/spec/data-format.md as plain functions (no Django).

Each field checker returns the cleaned value or raises Invalid(reason, expected). A row checker
collects every problem of a row, so the report names each bad value once.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from leerloopbaan.kernel.pseudonym import (
    InvalidNationalNumber,
    contains_national_number,
    mask_national_numbers,
    normalise_national_number,
    pseudonymise,
)

NETWORKS = ("GO", "CITY", "PROVINCE", "CATHOLIC", "OTHER")
LEVELS = ("primary", "secondary", "special_primary", "special_secondary")
DISTRICTS = (
    "Antwerpen", "Berchem", "Berendrecht-Zandvliet-Lillo", "Borgerhout", "Deurne", "Ekeren", "Hoboken",
    "Merksem", "Wilrijk", "outside",
)
SEXES = ("M", "F", "X")
GRADES = ("K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "S1", "S2", "S3", "S4", "S5", "S6", "S7")
STREAMS = ("A", "B")
TRACKS = ("ASO", "TSO", "KSO", "BSO", "DBSO", "BUSO", "OKAN", "doorstroom", "dubbel", "arbeidsmarkt")
END_REASONS = ("school_change", "moved_out", "qualified", "left", "deceased", "other")
HALF_DAYS = ("AM", "PM")
CODES = ("A", "R", "Z", "H", "P", "M", "B")
RESULTS = ("A", "B", "C", "certificate", "none")
QUALIFICATIONS = (
    "secondary_diploma", "bso_certificate", "dbso_certificate", "syntra_certificate",
    "buso_ov3_certificate", "buso_ov4_certificate", "modular_certificate",
)

PUPIL_COLUMNS = ("national_number", "pupil_key")


_SCHOOL_NUMBER = re.compile(r"^[0-9]{1,6}$")
_POSTCODE = re.compile(r"^[0-9]{4}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
_KEY = re.compile(r"^[0-9a-f]{64}$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class Invalid(ValueError):
    def __init__(self, reason: str, expected: str):
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    value: str
    reason: str
    expected: str

    def __post_init__(self):
        # Every problem the importer reports passes here: a national number a cell held (in any
        # column, or in a file name or a database message) is masked before it can reach a report,
        # the import run table, a log or the console.
        for name in ("file", "column", "value", "reason", "expected"):
            object.__setattr__(self, name, mask_national_numbers(getattr(self, name)))

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "value": self.value,
                "reason": self.reason, "expected": self.expected}

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        col = f" column {self.column}" if self.column else ""
        val = f" value {self.value!r}" if self.value != "" else ""
        exp = f" (expected: {self.expected})" if self.expected else ""
        return f"{where}{col}{val}: {self.reason}{exp}"


def mask_national_number(value: str) -> str:
    """Never show a national number in full: the first 6 characters (birth date part) and stars."""
    value = value or ""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 6)


def looks_like_national_number(value: str) -> bool:
    """Whether a cell outside the pupil columns holds a valid national number (refused: it would be stored)."""
    return contains_national_number(value)


def check_header(kind, header: list[str]) -> list[tuple[str, str, str]]:
    """Problems with a header as (column, reason, expected); empty when the header is fine.

    ``kind``: a file kind (``registry.importer.kinds.FileKind``): its name, required and optional
    columns, and whether rows name a pupil."""
    required, optional = kind.required, kind.optional
    known = set(required) | set(optional) | (set(PUPIL_COLUMNS) if kind.has_pupil else set())
    problems = []
    seen = set()
    for name in header:
        if name in seen:
            problems.append((name, "column appears twice", "each column once"))
        seen.add(name)
    unknown = [c for c in header if c not in known]
    if unknown:
        problems.append((", ".join(unknown), f"unknown column(s): {', '.join(unknown)}",
                         "columns of " + kind.name + ": " + ", ".join(sorted(known))))
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append((", ".join(missing), f"missing required column(s): {', '.join(missing)}", ", ".join(required)))
    if kind.has_pupil and not (seen & set(PUPIL_COLUMNS)):
        problems.append(("national_number", "missing pupil column", "national_number or pupil_key"))
    return problems


# --- field checkers -------------------------------------------------------------------------

_date_cache: dict[str, datetime.date] = {}


def parse_date(value: str) -> datetime.date:
    cached = _date_cache.get(value)
    if cached is not None:
        return cached
    if not _DATE.match(value):
        raise Invalid("not a date", "YYYY-MM-DD")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid("no such date", "a real calendar date, YYYY-MM-DD") from None
    if len(_date_cache) < 100_000:
        _date_cache[value] = day
    return day


def school_year_first(value: str) -> int:
    match = _YEAR.match(value)
    if not match:
        raise Invalid("not a school year", "YYYY-YYYY, e.g. 2023-2024")
    first, second = int(match.group(1)), int(match.group(2))
    if second != first + 1:
        raise Invalid("second year is not the first plus one", "YYYY-YYYY with the second year one after the first")
    return first


def school_year_of(day: datetime.date) -> str:
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{first + 1}"


def choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise Invalid("unknown value", "one of " + ", ".join(allowed))
    return value


def boolean(value: str) -> bool:
    if value == "1":
        return True
    if value == "0":
        return False
    raise Invalid("not a boolean", "0 or 1")


def school_number(value: str) -> str:
    if not _SCHOOL_NUMBER.match(value):
        raise Invalid("not a school number", "1 to 6 digits")
    return value


def postcode(value: str) -> str:
    if not _POSTCODE.match(value):
        raise Invalid("not a postcode", "4 digits")
    return value


def number(value: str) -> float:
    """A decimal number with a point (``245`` or ``245.5``), no thousands separators."""
    if not _NUMBER.match(value):
        raise Invalid("not a number", "a number with a decimal point, e.g. 245.5")
    return float(value)


class PupilKeys:
    """Turns the pupil column of a row into a pupil key, with a cache (a pupil has many rows)."""

    def __init__(self, secret: str):
        self.secret = secret
        self.cache: dict[tuple[str, str], str | Invalid] = {}

    def key(self, national_number: str, pupil_key: str) -> tuple[str, str, str]:
        """Return (pupil_key, column, shown value) or raise Invalid with .column/.shown set."""
        cache_key = (national_number, pupil_key)
        hit = self.cache.get(cache_key)
        if hit is None:
            hit = self._compute(national_number, pupil_key)
            if len(self.cache) < 2_000_000:
                self.cache[cache_key] = hit
        if isinstance(hit, Invalid):
            raise hit
        return hit, ("national_number" if national_number else "pupil_key"), ""

    def _compute(self, national_number: str, pupil_key: str):
        if national_number and pupil_key:
            exc = Invalid("both national_number and pupil_key given", "exactly one of national_number or pupil_key")
            exc.column, exc.shown = "national_number", mask_national_number(national_number)
            return exc
        if not national_number and not pupil_key:
            exc = Invalid("no pupil given", "exactly one of national_number or pupil_key")
            exc.column, exc.shown = "national_number", ""
            return exc
        if national_number:
            try:
                digits = normalise_national_number(national_number)
            except InvalidNationalNumber as err:
                exc = Invalid(f"invalid national number: {err}", "11 digits passing the INSZ/BIS check digits")
                exc.column, exc.shown = "national_number", mask_national_number(national_number)
                return exc
            return pseudonymise(digits, self.secret)
        if not _KEY.match(pupil_key):
            exc = Invalid("not a pupil key", "64 lowercase hexadecimal characters")
            exc.column, exc.shown = "pupil_key", pupil_key
            return exc
        return pupil_key
