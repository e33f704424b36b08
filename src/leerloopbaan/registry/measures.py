"""Derived measures on plain values (no database): each function's docstring is its definition.

Enrolments are passed as simple objects or tuples with the fields named in each function; the
outflow and early-warning code feed them from the registry.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from leerloopbaan.kernel.schoolyear import school_year_end, school_year_first, school_year_of  # noqa: F401 (re-exported)

GRADE_ORDER = ["P1", "P2", "P3", "P4", "P5", "P6", "S1", "S2", "S3", "S4", "S5", "S6", "S7"]
SECONDARY = frozenset(["S1", "S2", "S3", "S4", "S5", "S6", "S7"])
CLB_THRESHOLD = 5
PROBLEMATIC_THRESHOLD = 30

# Higher is "more general"; a move to a lower rank is a downward move (the waterfall).
TRACK_RANK = {"ASO": 3, "doorstroom": 3, "KSO": 2, "TSO": 2, "dubbel": 2, "BSO": 1, "arbeidsmarkt": 1, "DBSO": 0}


# --- school years and age --------------------------------------------------------------------

def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def born_by(age: int, day: datetime.date) -> datetime.date:
    """The last birth date of someone who is ``age`` or older on ``day`` (``age_on(b, day) >= age``
    exactly when ``b <= born_by(age, day)``); a 29 February becomes the 28th in other years."""
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February
        return day.replace(year=day.year - age, day=28)


def age_in_calendar_year(birth_date: datetime.date, year: int) -> int:
    """The age a person turns during calendar ``year`` (year - birth year)."""
    return year - birth_date.year


# --- school delay ----------------------------------------------------------------------------

def expected_grade(birth_date: datetime.date, school_year: str) -> str | None:
    """The grade a pupil is expected in: P1 in the school year starting in the calendar year the
    pupil turns 6, one grade per year after that (S1 at 12, S6 at 17, S7 at 18). None before P1
    age (kleuter) and after S7 age."""
    index = school_year_first(school_year) - (birth_date.year + 6)
    if 0 <= index < len(GRADE_ORDER):
        return GRADE_ORDER[index]
    return None


def school_delay(birth_date: datetime.date, school_year: str, grade: str) -> int | None:
    """Schoolse vertraging: the number of years the pupil is behind the grade expected from the
    birth year (positive = behind, 0 = on time, negative = ahead). The expected position is
    (first year of the school year) - (birth year + 6) on the scale P1=0 … P6=5, S1=6 … S7=12.
    None for kleuter grades (K1-K3), where no delay is defined."""
    if grade not in GRADE_ORDER:
        return None
    expected = school_year_first(school_year) - (birth_date.year + 6)
    return expected - GRADE_ORDER.index(grade)


# --- absences --------------------------------------------------------------------------------

@dataclass(frozen=True)
class BAbsence:
    school_year: str
    half_days: int
    clb_required: bool
    problematic: bool


def b_half_days(absences: Iterable[tuple[datetime.date, str]]) -> dict[str, BAbsence]:
    """Half days with code ``B`` per school year, counted for the pupil across every school they
    were in that year (a school change does not reset the count). ``absences`` are (date, code)
    pairs, one per half day. ``clb_required``: 5 or more (the school must involve the CLB);
    ``problematic``: 30 or more ("problematically absent" in the statistics)."""
    counts: dict[str, int] = defaultdict(int)
    for day, code in absences:
        if code == "B":
            counts[school_year_of(day)] += 1
    return {
        year: BAbsence(year, n, n >= CLB_THRESHOLD, n >= PROBLEMATIC_THRESHOLD) for year, n in sorted(counts.items())
    }


# --- school changes and track moves ----------------------------------------------------------

def school_changes(enrolments: Iterable) -> dict[str, dict[str, int]]:
    """School changes per school year, from enrolments with ``school`` (any identifier),
    ``school_year`` and ``start_date``, in time order. ``mid_year``: the next enrolment in the same
    school year is in another school; ``between_years``: the first enrolment of a school year is in
    another school than the last enrolment of an earlier school year (counted in the new year)."""
    ordered = sorted(enrolments, key=lambda e: e.start_date)
    out: dict[str, dict[str, int]] = {}
    previous = None
    for e in ordered:
        out.setdefault(e.school_year, {"mid_year": 0, "between_years": 0})
        if previous is not None and previous.school != e.school:
            kind = "mid_year" if previous.school_year == e.school_year else "between_years"
            out[e.school_year][kind] += 1
        previous = e
    return out


def downward_moves(enrolments: Iterable) -> list[tuple[str, str, str]]:
    """The waterfall: each move, between consecutive enrolments with a known track, to a track of
    a lower rank (ASO/doorstroom 3 > TSO/KSO/dubbel 2 > BSO/arbeidsmarkt 1 > DBSO 0). Returns
    (school year of the new enrolment, from track, to track). BUSO and OKAN are not ranked."""
    ordered = sorted((e for e in enrolments if e.track in TRACK_RANK), key=lambda e: e.start_date)
    moves = []
    for before, after in zip(ordered, ordered[1:], strict=False):
        if TRACK_RANK[after.track] < TRACK_RANK[before.track]:
            moves.append((after.school_year, before.track, after.track))
    return moves


# --- OKI -------------------------------------------------------------------------------------

OKI_FIELDS = ("home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay")


def oki_on(characteristics: Iterable, day: datetime.date) -> int | None:
    """A pupil's OKI on ``day``: the number (0-4) of the four characteristics set in the latest
    registration with ``as_of`` on or before ``day``; None if none was registered yet."""
    valid = [c for c in characteristics if c.as_of <= day]
    if not valid:
        return None
    latest = max(valid, key=lambda c: c.as_of)
    return sum(int(bool(getattr(latest, f))) for f in OKI_FIELDS)


def school_oki(values: Iterable[int | None]) -> float | None:
    """A school's OKI: the mean of its pupils' OKI values (pupils without a value left out)."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


# --- early school leaving (VSV) --------------------------------------------------------------

@dataclass(frozen=True)
class VsvDefinition:
    """A versioned VSV definition, so figures computed under an older version stay reproducible."""

    version: str
    compulsory_age: int
    qualifications: frozenset[str]
    censor_reasons: frozenset[str]
    excluded_buso_programmes: tuple[str, ...]


VSV_DEFINITIONS = {
    "2021": VsvDefinition(
        version="2021",
        compulsory_age=18,
        qualifications=frozenset({
            "secondary_diploma", "bso_certificate", "dbso_certificate", "syntra_certificate",
            "buso_ov3_certificate", "buso_ov4_certificate", "modular_certificate",
        }),
        censor_reasons=frozenset({"moved_out", "deceased"}),
        excluded_buso_programmes=("OV1", "OV2"),
    ),
}
CURRENT_VSV = "2021"


@dataclass(frozen=True)
class Enrol:
    school: str
    school_year: str
    start_date: datetime.date
    end_date: datetime.date | None
    grade: str
    track: str = ""
    programme: str = ""
    end_reason: str = ""


def _secondary(e: Enrol, d: VsvDefinition) -> bool:
    if e.grade not in SECONDARY:
        return False
    if e.track == "BUSO" and any(p in (e.programme or "").upper() for p in d.excluded_buso_programmes):
        return False
    return True


def vsv_status(*, birth_date: datetime.date, enrolments: list[Enrol], qualifications: Iterable[tuple[str, str]],
               school_year: str, version: str = CURRENT_VSV) -> str | None:
    """The outcome of a pupil in school year X (data-format.md, definition "2021"):

    None: not a leaver in X (1. no secondary enrolment in X (S1-S7, any track, not BUSO OV1/OV2),
    or 2. an enrolment in X+1, or -- without a qualification only -- 4. still of compulsory school
    age: turns 18 after the calendar year in which X ends), or censored: the pupil's last enrolment ends with ``moved_out`` or
    ``deceased``, or is still open (enrolled at the end of the data: no outcome yet).
    ``"unqualified"``: an early school leaver: 1, 2 and 4 hold and 3. no qualification of the
    list obtained in X or before. ``"qualified"``: a leaver (1 and 2, not censored) with such a
    qualification, at any age.

    ``qualifications``: (school year, qualification) of the pupil's attestations.
    """
    d = VSV_DEFINITIONS[version]
    if not enrolments:
        return None
    if not any(e.school_year == school_year and _secondary(e, d) for e in enrolments):
        return None
    following = f"{school_year_first(school_year) + 1}-{school_year_first(school_year) + 2}"
    if any(e.school_year == following for e in enrolments):
        return None
    last = max(enrolments, key=lambda e: (e.start_date, e.end_date or datetime.date.max))
    if last.end_reason in d.censor_reasons or last.end_date is None:
        return None
    first = school_year_first(school_year)
    if any(q in d.qualifications and school_year_first(y) <= first for y, q in qualifications):
        return "qualified"  # a leaver with a qualification, whatever their age
    if school_year_end(school_year) - birth_date.year < d.compulsory_age:
        return None  # condition 4 only decides whether a leaver without a qualification is one in X
    return "unqualified"


def vsv_rate(unqualified: int, leavers: int) -> float | None:
    """VSV rate: leavers without a qualification ÷ all leavers (with and without); None if none."""
    return unqualified / leavers if leavers else None
