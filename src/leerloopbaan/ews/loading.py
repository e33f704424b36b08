"""Load the engine's Frames from the registry, in bulk (no model instances), and the VSV labels
from the registry's own definition (the single source of truth)."""

from __future__ import annotations

import datetime

import pandas as pd
from django.db import connection

from leerloopbaan.ews.engine import Frames
from leerloopbaan.registry.outflow.report import pupil_outcomes


def _frame(sql: str, columns: list[str], params=None, dates=(), bools=()) -> pd.DataFrame:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for c in dates:
        frame[c] = pd.to_datetime(frame[c])
    for c in bools:
        frame[c] = frame[c].astype(bool)
    return frame


def load_frames(*, absences_since: datetime.date | None = None, with_labels: bool = True) -> Frames:
    """Everything the engine needs. ``absences_since``: only absences on or after that date (scoring
    needs this school year and last; training needs all)."""
    pupils = _frame("SELECT id, birth_date, sex FROM registry_pupil", ["pupil_id", "birth_date", "sex"], dates=["birth_date"])
    characteristics = _frame(
        "SELECT pupil_id, as_of, home_language_not_dutch, mother_low_education, school_allowance, neighbourhood_high_delay "
        "FROM registry_pupilcharacteristics",
        ["pupil_id", "as_of", "home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"],
        dates=["as_of"],
        bools=["home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"],
    )
    enrolments = _frame(
        "SELECT pupil_id, school_id, school_year, start_date, end_date, grade, stream, track, dual, end_reason FROM registry_enrolment",
        ["pupil_id", "school_id", "school_year", "start_date", "end_date", "grade", "stream", "track", "dual", "end_reason"],
        dates=["start_date", "end_date"],
        bools=["dual"],
    )
    where, params = ("WHERE date >= %s", [absences_since]) if absences_since else ("", [])
    absences = _frame(f"SELECT pupil_id, school_id, date, code FROM registry_absence {where}", ["pupil_id", "school_id", "date", "code"],
                      params, dates=["date"])
    attestations = _frame(
        "SELECT pupil_id, school_id, school_year, grade, result, qualification FROM registry_attestation",
        ["pupil_id", "school_id", "school_year", "grade", "result", "qualification"],
    )
    schools = _frame("SELECT id, district, network FROM registry_school", ["school_id", "district", "network"])
    labels = None
    if with_labels:
        outcomes = pupil_outcomes()
        labels = pd.DataFrame(
            [(pid, year, outcome) for pid, (outcome, year) in outcomes.items()], columns=["pupil_id", "leaving_year", "outcome"]
        )
    return Frames(pupils=pupils, characteristics=characteristics, enrolments=enrolments, absences=absences,
                  attestations=attestations, schools=schools, labels=labels)
