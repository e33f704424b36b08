"""Tests of the early-warning engine (pure, no database) and their helpers."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd


def frames_from_import_csv(folder) -> object:
    """Frames from a demo-city folder (``import/*.csv`` + ``truth/outcomes.csv``).

    national_number and school_number become int ids; labels come from the generator's truth
    (vsv_by_definition 1 -> unqualified, 0 -> qualified, empty -> censored), only in tests: the
    platform takes labels from the registry's VSV function.
    """
    from leerloopbaan.ews.engine import Frames

    folder = pathlib.Path(folder)
    imp = folder / "import"
    read = lambda name: pd.read_csv(imp / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    pupils = read("pupils")
    ids = {nn: i + 1 for i, nn in enumerate(pd.unique(pupils["national_number"]))}
    schools = read("schools")
    sids = {sn: i + 1 for i, sn in enumerate(schools["school_number"])}
    pid = lambda df: df["national_number"].map(ids).astype(np.int64)  # noqa: E731
    sid = lambda df: df["school_number"].map(sids).astype(np.int64)  # noqa: E731
    date = lambda s: pd.to_datetime(s.replace("", None))  # noqa: E731
    first = pupils.drop_duplicates("national_number")
    p = pd.DataFrame({"pupil_id": pid(first), "birth_date": date(first["birth_date"]), "sex": first["sex"]})
    ch = pd.DataFrame({"pupil_id": pid(pupils), "as_of": date(pupils["as_of"])})
    for c in ["home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"]:
        ch[c] = pupils[c].astype(int)
    en = read("enrolments")
    enrol = pd.DataFrame({
        "pupil_id": pid(en), "school_id": sid(en), "school_year": en["school_year"],
        "start_date": date(en["start_date"]), "end_date": date(en["end_date"]), "grade": en["grade"],
        "stream": en["stream"], "track": en["track"], "dual": en["dual"] == "1", "end_reason": en["end_reason"],
    })
    ab = read("absences")
    absences = pd.DataFrame({"pupil_id": pid(ab), "school_id": sid(ab), "date": date(ab["date"]), "code": ab["code"]})
    at = read("attestations")
    att = pd.DataFrame({
        "pupil_id": pid(at), "school_id": sid(at), "school_year": at["school_year"], "grade": at["grade"],
        "result": at["result"], "qualification": at["qualification"],
    })
    sch = pd.DataFrame({"school_id": schools["school_number"].map(sids), "district": schools["district"],
                        "network": schools["network"]})
    truth = pd.read_csv(folder / "truth" / "outcomes.csv", dtype=str, keep_default_na=False)
    outcome = truth["vsv_by_definition"].map({"1": "unqualified", "0": "qualified"}).fillna("censored")
    labels = pd.DataFrame({
        "pupil_id": pid(truth),
        "leaving_year": truth["leaving_school_year"].replace("", None),
        "outcome": outcome,
    })
    return Frames(p, ch, enrol, absences, att, sch, labels)
