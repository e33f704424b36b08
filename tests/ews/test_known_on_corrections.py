"""``Frames.known_on`` never shows a value an import wrote after the date: an attestation corrected
later (its ``changed_on``) is not what the platform knew then."""

from __future__ import annotations

import pandas as pd

from leerloopbaan.ews.engine import Frames

T = pd.Timestamp
A = T("2024-12-01")


def frames_with(attestations: pd.DataFrame) -> Frames:
    empty = lambda *cols: pd.DataFrame({c: [] for c in cols})  # noqa: E731
    return Frames(
        pupils=pd.DataFrame({"pupil_id": [1], "birth_date": [T("2009-01-01")], "sex": ["F"]}),
        characteristics=empty(
            "pupil_id",
            "as_of",
            "home_language_not_dutch",
            "mother_low_education",
            "school_allowance",
            "neighbourhood_high_delay",
        ),
        enrolments=empty(
            "pupil_id",
            "school_id",
            "school_year",
            "start_date",
            "end_date",
            "grade",
            "stream",
            "track",
            "dual",
            "end_reason",
        ),
        absences=empty("pupil_id", "school_id", "date", "code"),
        attestations=attestations,
        schools=pd.DataFrame({"school_id": [1], "district": ["x"], "network": ["y"]}),
    )


def test_an_attestation_corrected_after_the_date_is_not_known_with_its_new_result():
    f = frames_with(
        pd.DataFrame(
            {
                "pupil_id": [1, 1],
                "school_id": [1, 1],
                "school_year": ["2022-2023", "2023-2024"],
                "grade": ["S2", "S3"],
                # S3 was an A in July 2024; an import in March 2025 corrected it to a C (no qualification)
                "result": ["A", "C"],
                "qualification": ["", ""],
                "recorded_on": [T("2023-07-05"), T("2024-07-05")],
                "changed_on": [T("2023-07-05"), T("2025-03-01")],
            }
        )
    )
    cut = f.known_on(A)
    assert "C" not in set(cut.attestations["result"])
    assert list(cut.attestations["school_year"]) == ["2022-2023"]
    # a projection still, and the correction is known from its day on
    assert cut.attestations.equals(f.known_on(T("2025-02-01")).known_on(A).attestations)
    assert list(f.known_on(T("2025-03-01")).attestations["result"]) == ["A", "C"]
