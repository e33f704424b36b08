"""Input frames of the early-warning engine and school-year helpers.

The engine is fed plain pandas DataFrames, loaded by the Django side from the registry. Ids are
ints. Every frame must have at least the columns in :data:`COLUMNS` (extra columns are ignored).

``pupils``          pupil_id, birth_date (datetime64), sex ('M', 'F', 'X')
``characteristics`` pupil_id, as_of (datetime64), home_language_not_dutch, mother_low_education,
                    school_allowance, neighbourhood_high_delay (bool or 0/1); history, one row per as_of
``enrolments``      pupil_id, school_id, school_year ('2023-2024'), start_date, end_date (NaT while
                    enrolled), grade ('K1'..'P6', 'S1'..'S7'), stream ('', 'A', 'B'), track ('ASO',
                    'TSO', 'KSO', 'BSO', 'DBSO', 'BUSO', 'OKAN' or ''), dual (bool), end_reason ('' or
                    school_change / moved_out / qualified / left / deceased / other)
``absences``        pupil_id, school_id, date (datetime64), code ('A','R','Z','H','P','M','B'); one row
                    per absent half day
``attestations``    pupil_id, school_id, school_year, grade, result ('A','B','C','certificate','none'),
                    qualification ('' or a code)
``schools``         school_id, district, network
``labels``          pupil_id, leaving_year ('2018-2019' or None), outcome ('unqualified', 'qualified',
                    'censored'), computed by the registry's VSV function (the engine never re-derives
                    the VSV definition). Only needed for training and for the school's past VSV rate.

Optional columns (:data:`OPTIONAL_COLUMNS`; a missing column or NaT means "known always"):
``recorded_on`` on enrolments, absences, attestations and characteristics, the Brussels date the row
entered the platform, and ``changed_on`` on enrolments and attestations, the date an import last
changed the row.
:meth:`Frames.known_on` uses them to cut the frames back to what the platform knew on a date.

Missing strings may be '' or None/NaN; missing dates NaT.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

COLUMNS: dict[str, list[str]] = {
    "pupils": ["pupil_id", "birth_date", "sex"],
    "characteristics": [
        "pupil_id", "as_of", "home_language_not_dutch", "mother_low_education", "school_allowance",
        "neighbourhood_high_delay",
    ],
    "enrolments": [
        "pupil_id", "school_id", "school_year", "start_date", "end_date", "grade", "stream", "track", "dual",
        "end_reason",
    ],
    "absences": ["pupil_id", "school_id", "date", "code"],
    "attestations": ["pupil_id", "school_id", "school_year", "grade", "result", "qualification"],
    "schools": ["school_id", "district", "network"],
    "labels": ["pupil_id", "leaving_year", "outcome"],
}

OPTIONAL_COLUMNS: dict[str, list[str]] = {
    "enrolments": ["recorded_on", "changed_on"],
    "absences": ["recorded_on"],
    "attestations": ["recorded_on", "changed_on"],
    "characteristics": ["recorded_on"],
}

OKI_COLUMNS = ["home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"]
ABSENCE_CODES = ["A", "R", "Z", "H", "P", "M", "B"]
TRACKS = ["ASO", "TSO", "KSO", "BSO", "DBSO", "BUSO", "OKAN"]
# rank of a track for "downward moves" (waterval): ASO > TSO/KSO > BSO > DBSO; others unranked
TRACK_RANK = {"ASO": 3, "TSO": 2, "KSO": 2, "BSO": 1, "DBSO": 0}


@dataclasses.dataclass
class Frames:
    """The engine's input: one DataFrame per table (see the module docstring for the columns)."""

    pupils: pd.DataFrame
    characteristics: pd.DataFrame
    enrolments: pd.DataFrame
    absences: pd.DataFrame
    attestations: pd.DataFrame
    schools: pd.DataFrame
    labels: pd.DataFrame | None = None

    def __post_init__(self):
        for name, cols in COLUMNS.items():
            df = getattr(self, name)
            if df is None:
                if name == "labels":
                    continue
                raise ValueError(f"frame {name} is missing")
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise ValueError(f"frame {name} lacks columns {missing}")

    def known_on(self, date) -> Frames:
        """What the platform knew at the end of ``date`` (a Brussels date).

        - rows recorded later (``recorded_on > date``) are dropped;
        - rows that describe the future are dropped as well: enrolments starting after ``date``,
          absences after ``date``, characteristics with ``as_of`` after ``date``, attestations of
          school years that had not ended by ``date`` (they hold whether or not ``recorded_on`` is
          there, so frames without it are cut as strictly as the records allow);
        - an enrolment closed after ``date`` (``end_date > date``) or changed by an import after it
          (``changed_on > date``) becomes open: ``end_date`` NaT and ``end_reason`` '' (its closing
          was not known yet);
        - an attestation changed by an import after ``date`` (``changed_on > date``, a corrected
          result or qualification) is dropped: what it said on ``date`` is not in the frames;
        - ``labels`` become None: outcomes known on a date come from a ``labels_on(frames, date)``
          function (the registry's VSV definition applied to the cut frames), never from today's
          labels.

        ``known_on`` is a projection: ``f.known_on(a).known_on(b)`` equals ``f.known_on(b)`` for
        ``b <= a``. Pupils and schools are kept whole (they carry no dated facts the engine uses).
        """
        d = as_timestamp(date)
        y = school_year_of(d)

        def not_later(df: pd.DataFrame, column: str) -> np.ndarray:
            if column not in df.columns:
                return np.ones(len(df), dtype=bool)
            v = pd.to_datetime(df[column])
            if v.dt.tz is not None:  # a timestamp: its Brussels date
                v = v.dt.tz_convert("Europe/Brussels").dt.tz_localize(None)
            v = v.dt.normalize()
            return (v.isna() | (v <= d)).to_numpy()

        en = self.enrolments
        start = pd.to_datetime(en["start_date"])
        en = en[not_later(en, "recorded_on") & ~(start > d).to_numpy()].copy()
        unknown_end = (pd.to_datetime(en["end_date"]) > d).to_numpy()
        if "changed_on" in en.columns:
            unknown_end = unknown_end | ~not_later(en, "changed_on")
        if unknown_end.any():
            en["end_date"] = pd.to_datetime(en["end_date"]).mask(unknown_end)
            en["end_reason"] = en["end_reason"].astype(object).mask(unknown_end, "")
        ab = self.absences
        ab = ab[not_later(ab, "recorded_on") & ~(pd.to_datetime(ab["date"]) > d).to_numpy()]
        at = self.attestations
        # an attestation an import changed after ``date`` is gone: its value then is not in the frames
        # (the correction is), and showing the corrected result would be knowing the future
        at = at[not_later(at, "recorded_on") & not_later(at, "changed_on")
                & (school_year_start(at["school_year"].to_numpy()) < y)]
        ch = self.characteristics
        ch = ch[not_later(ch, "recorded_on") & ~(pd.to_datetime(ch["as_of"]) > d).to_numpy()]
        return Frames(pupils=self.pupils, characteristics=ch, enrolments=en, absences=ab, attestations=at,
                      schools=self.schools, labels=None)


def school_year_start(school_year) -> np.ndarray:
    """'2023-2024' -> 2023 (vectorised over a Series/array; missing -> -1)."""
    s = pd.Series(school_year, dtype="object").fillna("").astype(str).str.slice(0, 4)
    return pd.to_numeric(s, errors="coerce").fillna(-1).astype(np.int64).to_numpy()


def school_year_of(date) -> int:
    """The first calendar year of the school year (1 September - 31 August) containing ``date``."""
    d = pd.Timestamp(date)
    return d.year if d.month >= 9 else d.year - 1


def school_year_label(year: int) -> str:
    return f"{year}-{year + 1}"


def as_timestamp(date) -> pd.Timestamp:
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return pd.Timestamp(date).normalize()


def grade_number(grade) -> np.ndarray:
    """'S1'..'S7' -> 1..7, every other grade -> 0 (vectorised)."""
    s = pd.Series(grade, dtype="object").fillna("").astype(str)
    out = np.zeros(len(s), np.int64)
    sec = s.str.startswith("S").to_numpy()
    out[sec] = pd.to_numeric(s[sec].str.slice(1), errors="coerce").fillna(0).astype(np.int64).to_numpy()
    return out


def grade_order(grade) -> np.ndarray:
    """Ordinal of a grade over the whole career: K1..K3 = 1..3, P1..P6 = 4..9, S1..S7 = 10..16."""
    s = pd.Series(grade, dtype="object").fillna("").astype(str)
    lvl = s.str.slice(0, 1).to_numpy()
    num = pd.to_numeric(s.str.slice(1), errors="coerce").fillna(0).astype(np.int64).to_numpy()
    base = np.select([lvl == "K", lvl == "P", lvl == "S"], [0, 3, 9], -100)
    return np.where(base < 0, 0, base + num)


def clean_str(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "").astype(str)
