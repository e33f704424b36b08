"""Point-in-time features on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leerloopbaan.ews.engine import FEATURE_NAMES, Frames, LogisticCandidate, build_features, score

REF = pd.Timestamp("2024-12-01")
T = pd.Timestamp


def _frames() -> Frames:
    pupils = pd.DataFrame({"pupil_id": [1, 2, 3, 4], "sex": ["M", "F", "X", "F"],
                           "birth_date": pd.to_datetime(["2010-03-01", "2008-05-05", "2012-01-01", "2016-01-01"])})
    ch = pd.DataFrame({
        "pupil_id": [1, 1, 2, 3], "as_of": pd.to_datetime(["2022-09-01", "2024-09-01", "2023-09-01", "2024-09-01"]),
        "home_language_not_dutch": [0, 1, 1, 0], "mother_low_education": [0, 1, 0, 0],
        "school_allowance": [0, 0, 1, 0], "neighbourhood_high_delay": [0, 0, 1, 0],
    })
    E = lambda p, s, y, st, en, g, tr="", stream="", reason="": dict(  # noqa: E731
        pupil_id=p, school_id=s, school_year=y, start_date=T(st), end_date=T(en) if en else pd.NaT, grade=g,
        stream=stream, track=tr, dual=False, end_reason=reason)
    enrol = pd.DataFrame([
        # pupil 1: S1 A 2022 at school 10, S2 ASO 2023 (10), moves down to TSO mid-year? no: changes to 11 in 2024 S3 TSO
        E(1, 10, "2022-2023", "2022-09-01", "2023-06-30", "S1", "", "A"),
        E(1, 10, "2023-2024", "2023-09-01", "2023-06-30", "S2", "ASO", "A"),
        E(1, 11, "2024-2025", "2024-09-01", None, "S3", "TSO"),
        # pupil 2: repeats S3 BSO, changes school mid-year this year
        E(2, 10, "2022-2023", "2022-09-01", "2023-06-30", "S3", "BSO"),
        E(2, 10, "2023-2024", "2023-09-01", "2024-06-30", "S3", "BSO"),
        E(2, 10, "2024-2025", "2024-09-01", "2024-10-15", "S4", "BSO", reason="school_change"),
        E(2, 12, "2024-2025", "2024-10-16", None, "S4", "DBSO"),
        # pupil 3: S1 B stream, left before the reference date -> not in the population
        E(3, 10, "2024-2025", "2024-09-01", "2024-11-01", "S1", "", "B", "moved_out"),
        # pupil 4: primary -> not in the population
        E(4, 20, "2024-2025", "2024-09-01", None, "P3"),
    ])
    ab = []
    for i in range(31):  # 31 B half days this school year for pupil 2
        ab.append((2, 12, T("2024-10-20") + pd.Timedelta(days=i % 20), "B"))
    ab += [(2, 10, T("2024-02-01"), "B")] * 6 + [(2, 10, T("2024-02-02"), "Z")] * 3
    ab += [(1, 11, T("2024-11-29"), "Z"), (1, 11, T("2024-11-28"), "R")]
    absences = pd.DataFrame(ab, columns=["pupil_id", "school_id", "date", "code"])
    att = pd.DataFrame({
        "pupil_id": [1, 1, 2, 2], "school_id": [10, 10, 10, 10],
        "school_year": ["2022-2023", "2023-2024", "2022-2023", "2023-2024"], "grade": ["S1", "S2", "S3", "S3"],
        "result": ["A", "B", "C", "A"], "qualification": ["", "", "", ""],
    })
    schools = pd.DataFrame({"school_id": [10, 11, 12, 20], "district": ["Deurne", "Berchem", "Antwerpen", "Hoboken"],
                            "network": ["CITY"] * 4})
    labels = pd.DataFrame({"pupil_id": [90, 91, 92], "leaving_year": ["2021-2022", "2021-2022", "2022-2023"],
                           "outcome": ["unqualified", "qualified", "unqualified"]})
    # leavers 90-92 were at school 10
    pupils = pd.concat([pupils, pd.DataFrame({"pupil_id": [90, 91, 92], "sex": "M",
                                              "birth_date": pd.to_datetime(["2004-01-01"] * 3)})])
    enrol = pd.concat([enrol, pd.DataFrame([
        E(90, 10, "2021-2022", "2021-09-01", "2022-06-30", "S6", "BSO"),
        E(91, 10, "2021-2022", "2021-09-01", "2022-06-30", "S6", "BSO", reason="qualified"),
        E(92, 10, "2022-2023", "2022-09-01", "2023-06-30", "S6", "BSO"),
    ])], ignore_index=True)
    return Frames(pupils, ch, enrol, absences, att, schools, labels)


def test_population_and_values():
    X, meta = build_features(_frames(), REF, with_meta=True)
    assert sorted(X.index) == [1, 2]  # 3 left before ref, 4 is in primary
    assert list(X.columns) == FEATURE_NAMES
    p1, p2 = X.loc[1], X.loc[2]
    assert p2["b_this_year"] == 31 and p2["b_last_year"] == 6 and p2["z_last_year"] == 3
    assert p2["b_to_5"] == 0 and p2["b_to_30"] == 0
    assert p1["z_this_year"] == 1 and p1["other_this_year"] == 1 and p1["b_this_year"] == 0
    assert p2["retentions"] == 1 and p1["retentions"] == 0
    assert p2["attest_c"] == 1 and p2["last_attest_c"] == 0 and p1["last_attest_b"] == 1
    assert p2["school_changes"] == 1 and p2["midyear_changes"] == 1 and p2["changed_this_year"] == 1
    assert p2["downward_moves"] == 1 and p2["track_dbso"] == 1  # BSO -> DBSO
    assert p1["school_changes"] == 1 and p1["midyear_changes"] == 0 and p1["downward_moves"] == 1  # ASO -> TSO
    assert p1["delay_years"] == 0 and p2["delay_years"] == 1  # born 2008: S1 in 2020, so S4 in 2023
    assert p1["home_language_not_dutch"] == 1 and p1["oki"] == 2  # latest as_of <= ref
    assert p2["oki"] == 3
    assert p1["grade"] == 3 and p1["track_tso"] == 1
    # school 10 had 2 leavers of 2021-2022 (1 unqualified); 2022-2023 (X+1 = 2023-2024 ended
    # before ref) counts as well: pupil 1 is now at school 11 (no leavers) -> city rate
    assert p1["school_vsv_rate"] == pytest.approx(2 / 3)
    assert meta.loc[2, "district"] == "Antwerpen" and meta.loc[2, "oki_level"] == "2+"


def test_school_vsv_rate_uses_only_finished_years():
    f = _frames()
    X = build_features(f, pd.Timestamp("2023-12-01"))  # only 2021-2022 (X+1 = 2022-2023 ended)
    # pupil 2 is at school 10 in 2023: 1 unqualified of 2 leavers, shrunk to the city rate 0.5
    assert X.loc[2, "school_vsv_rate"] == pytest.approx(0.5)
    X = build_features(f, pd.Timestamp("2022-12-01"))
    assert X["school_vsv_rate"].isna().all()


def _later_changes(f: Frames) -> Frames:
    """Change and add only records dated on/after REF."""
    ab = pd.concat([f.absences, pd.DataFrame({"pupil_id": [1] * 40 + [2] * 5, "school_id": 11,
                                              "date": [REF + pd.Timedelta(days=d % 30) for d in range(45)],
                                              "code": "B"})])
    en = f.enrolments.copy()
    open_ = en["end_date"].isna() & (en["school_year"] == "2024-2025")
    en.loc[open_, "end_date"] = T("2025-01-15")
    en.loc[open_, "end_reason"] = "left"
    en = pd.concat([en, pd.DataFrame([dict(pupil_id=1, school_id=12, school_year="2024-2025", start_date=T("2025-01-16"),
                                           end_date=pd.NaT, grade="S3", stream="", track="BSO", dual=False,
                                           end_reason="")])], ignore_index=True)
    att = pd.concat([f.attestations, pd.DataFrame({"pupil_id": [1, 2], "school_id": [11, 12],
                                                   "school_year": "2024-2025", "grade": ["S3", "S4"],
                                                   "result": "C", "qualification": ""})])
    ch = pd.concat([f.characteristics, pd.DataFrame({"pupil_id": [1, 2], "as_of": T("2024-12-02"),
                                                     "home_language_not_dutch": 0, "mother_low_education": 1,
                                                     "school_allowance": 1, "neighbourhood_high_delay": 1})])
    labels = pd.concat([f.labels, pd.DataFrame({"pupil_id": [1, 2], "leaving_year": ["2024-2025", "2025-2026"],
                                                "outcome": ["unqualified", "unqualified"]})])
    labels = labels.drop_duplicates("pupil_id", keep="last")
    return Frames(f.pupils, ch, en, ab, att, f.schools, labels)


def test_records_after_the_reference_date_change_nothing():
    f = _frames()
    X1 = build_features(f, REF)
    X2 = build_features(_later_changes(f), REF)
    pd.testing.assert_frame_equal(X1, X2)
    rng = np.random.default_rng(0)
    Xt = pd.DataFrame(rng.random((200, len(FEATURE_NAMES))) * 5, columns=FEATURE_NAMES)
    model = LogisticCandidate().fit(Xt, (Xt["b_this_year"] + rng.normal(size=200) > 3).astype(int))
    model.set_bands(model.predict_proba(Xt)[:, 1])
    pd.testing.assert_frame_equal(score(model, X1), score(model, X2))


def test_pupil_ids_subset_keeps_school_context():
    f = _frames()
    full = build_features(f, REF)
    sub = build_features(f, REF, pupil_ids=[2])
    pd.testing.assert_frame_equal(sub, full.loc[[2]])
