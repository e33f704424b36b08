"""Load the engine's Frames from the registry, in bulk (no model instances), and the VSV labels
from the registry's own definition (the single source of truth).

Every record frame carries when its rows entered the platform, as the Brussels date of the stamp
(datetime64, midnight): ``enrolments.recorded_on``/``changed_on``, ``absences.recorded_on``,
``attestations.recorded_on``/``changed_on``, ``characteristics.recorded_on``. Time-true backtests cut
the frames to what was known on a date by them (``Frames.known_on``) and take the outcomes known then
from ``labels_on``."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pandas as pd
from django.conf import settings
from django.db import connection

from leerloopbaan.ews.engine import Frames
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry import measures
from leerloopbaan.registry.outflow.report import pupil_outcomes

LABEL_COLUMNS = ["pupil_id", "leaving_year", "outcome"]
# an outcome of leaving year X is known once school year X + 2 has started: whether the pupil came
# back in X + 1 is only complete when X + 1 has ended
OUTCOME_DELAY_YEARS = 2


def _frame(sql: str, columns: list[str], params=None, dates=(), bools=(), moments=()) -> pd.DataFrame:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for c in dates:
        frame[c] = pd.to_datetime(frame[c])
    for c in bools:
        frame[c] = frame[c].astype(bool)
    for source, target in moments:
        frame[target] = brussels_dates(frame.pop(source))
    return frame


def brussels_dates(moments: pd.Series) -> pd.Series:
    """Stored moments (aware datetimes, or the UTC text SQLite hands back) -> their Brussels date, as
    datetime64 at midnight. One import stamps all its rows with one moment, so the few distinct
    values are converted and spread (a column of millions of absences costs a lookup, not a parse each)."""
    codes, uniques = pd.factorize(moments, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series(pd.NaT, index=moments.index, dtype="datetime64[ns]")
    parsed = pd.to_datetime(pd.Series(uniques, dtype="object").astype(str), utc=True, format="ISO8601")
    local = parsed.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None).dt.normalize()
    values = local.to_numpy()[codes]
    out = pd.Series(values, index=moments.index)
    if (codes < 0).any():
        out[codes < 0] = pd.NaT
    return out


def load_frames(*, absences_since: datetime.date | None = None, with_labels: bool = True) -> Frames:
    """Everything the engine needs. ``absences_since``: only absences on or after that date (scoring
    needs this school year and last; training needs all)."""
    pupils = _frame("SELECT id, birth_date, sex FROM registry_pupil", ["pupil_id", "birth_date", "sex"], dates=["birth_date"])
    characteristics = _frame(
        "SELECT pupil_id, as_of, home_language_not_dutch, mother_low_education, school_allowance, neighbourhood_high_delay, "
        "recorded_at FROM registry_pupilcharacteristics",
        ["pupil_id", "as_of", "home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay",
         "recorded_at"],
        dates=["as_of"],
        bools=["home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"],
        moments=[("recorded_at", "recorded_on")],
    )
    enrolments = _frame(
        "SELECT pupil_id, school_id, school_year, start_date, end_date, grade, stream, track, dual, end_reason, programme, "
        "recorded_at, changed_at FROM registry_enrolment",
        ["pupil_id", "school_id", "school_year", "start_date", "end_date", "grade", "stream", "track", "dual", "end_reason",
         "programme", "recorded_at", "changed_at"],
        dates=["start_date", "end_date"],
        bools=["dual"],
        moments=[("recorded_at", "recorded_on"), ("changed_at", "changed_on")],
    )
    where, params = ("WHERE date >= %s", [absences_since]) if absences_since else ("", [])
    absences = _frame(f"SELECT pupil_id, school_id, date, code, recorded_at FROM registry_absence {where}",
                      ["pupil_id", "school_id", "date", "code", "recorded_at"], params, dates=["date"],
                      moments=[("recorded_at", "recorded_on")])
    attestations = _frame(
        "SELECT pupil_id, school_id, school_year, grade, result, qualification, recorded_at, changed_at FROM registry_attestation",
        ["pupil_id", "school_id", "school_year", "grade", "result", "qualification", "recorded_at", "changed_at"],
        moments=[("recorded_at", "recorded_on"), ("changed_at", "changed_on")],
    )
    schools = _frame("SELECT id, district, network FROM registry_school", ["school_id", "district", "network"])
    labels = None
    if with_labels:
        outcomes = pupil_outcomes()
        labels = pd.DataFrame(
            [(pid, year, outcome) for pid, (outcome, year) in outcomes.items()], columns=LABEL_COLUMNS
        )
    return Frames(pupils=pupils, characteristics=characteristics, enrolments=enrolments, absences=absences,
                  attestations=attestations, schools=schools, labels=labels)


def _day(value) -> datetime.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _days(column: pd.Series) -> list:
    """``_day`` over a whole column at once (the time-true backtest builds these facts for every as-of
    date: converting a datetime64 column in one call instead of a Timestamp per row saves minutes)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return [None if d is pd.NaT else d for d in column.dt.date.tolist()]
    return [_day(v) for v in column]


def outcome_facts(frames: Frames):
    """The facts the registry's VSV function reads (``outflow.report.pupil_outcomes(facts=...)``),
    built from ``frames``: births, enrolments as ``measures.Enrol``, qualifications of attestations."""
    pupils = frames.pupils
    births = {int(pid): b for pid, b in zip(pupils["pupil_id"].tolist(), _days(pupils["birth_date"]), strict=True)}
    e = frames.enrolments
    programme = e["programme"] if "programme" in e.columns else pd.Series("", index=e.index)
    enrolments: dict[int, list] = defaultdict(list)
    for pid, sid, year, start, end, grade, track, prog, reason in zip(
            e["pupil_id"].tolist(), e["school_id"].tolist(), e["school_year"].tolist(), _days(e["start_date"]),
            _days(e["end_date"]), e["grade"].tolist(), e["track"].tolist(), programme.tolist(), e["end_reason"].tolist(),
            strict=True):
        enrolments[int(pid)].append(measures.Enrol(str(sid), year, start, end, grade, track or "",
                                                   prog if isinstance(prog, str) else "", reason or ""))
    quals: dict[int, list] = defaultdict(list)
    a = frames.attestations
    given = a[a["qualification"].fillna("").astype(str) != ""]
    for pid, year, qual in zip(given["pupil_id"], given["school_year"], given["qualification"], strict=True):
        quals[int(pid)].append((year, qual))
    return births, {}, enrolments, quals


def labels_on(frames: Frames, as_of: datetime.date) -> pd.DataFrame:
    """The outcomes known on ``as_of`` (pupil_id, leaving_year, outcome), from ``frames`` already cut to
    what was known then: the registry's VSV function over the frames, keeping an outcome of leaving
    year X only when school year X + 2 has started on ``as_of`` (whether the pupil came back in X + 1
    is known by then); every other pupil is 'censored' (no leaving year)."""
    if isinstance(as_of, datetime.datetime):
        as_of = as_of.date()
    elif not isinstance(as_of, datetime.date):
        as_of = pd.Timestamp(as_of).date()
    known_year = int(school_year_of(as_of)[:4])
    rows = []
    for pid, (outcome, year) in pupil_outcomes(facts=outcome_facts(frames)).items():
        if year is None or int(year[:4]) + OUTCOME_DELAY_YEARS > known_year:
            rows.append((pid, None, "censored"))
        else:
            rows.append((pid, year, outcome))
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)
