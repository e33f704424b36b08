"""The early warning's frames carry when each record entered the platform (the Brussels date of its
stamp), and ``labels_on`` gives the outcomes known on a date: the registry's own VSV function over the
frames, an outcome of leaving year X only once school year X + 2 has started."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
import time_machine

from leerloopbaan.ews.loading import labels_on, load_frames
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Absence, Attestation, Pupil
from leerloopbaan.registry.outflow.report import pupil_outcomes
from tests.registry.conftest import (
    ABSENCE_HEADER,
    ATTEST_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

pytestmark = pytest.mark.django_db

S = ["030551", "Atheneum", "GO", "secondary", "Borgerhout", "2140", "CLB GO", "Bestuur"]
LEFT, QUALIFIED, STAYS = (national_number("2002-01-15", n) for n in (1, 2, 3))
# in September: 2019-09-10 (summer time, UTC+2); the second import at 23:30 UTC on 16 March 2020 is
# already 17 March in Brussels (winter time, UTC+1)
FIRST = datetime.datetime(2019, 9, 10, 8, 0, tzinfo=datetime.UTC)
SECOND = datetime.datetime(2020, 3, 16, 23, 30, tzinfo=datetime.UTC)
THIRD = datetime.datetime(2020, 7, 3, 10, 0, tzinfo=datetime.UTC)


def pupils_rows():
    return [
        [nn, "", "", "2002-01-15", "F", "", "2019-09-01", "1", "0", "0", "1"]
        for nn in (LEFT, QUALIFIED, STAYS)
    ]


def build(tmp_path):
    """Three pupils in S6 of 2019-2020: enrolled in September, an absence reported in March, and in July
    two of them leave (one with a diploma); the third stays enrolled."""
    one = tmp_path / "one"
    write(one, "schools.csv", SCHOOL_HEADER, [S])
    write(one, "pupils.csv", PUPIL_HEADER, pupils_rows())
    write(
        one,
        "enrolments.csv",
        ENROL_HEADER,
        [
            [nn, "030551", "2019-2020", "2019-09-02", "", "S6", "", "BSO", "0", ""]
            for nn in (LEFT, QUALIFIED, STAYS)
        ],
    )
    with time_machine.travel(FIRST, tick=False):
        assert import_paths([one]).ok
    two = tmp_path / "two"
    write(two, "absences.csv", ABSENCE_HEADER, [[LEFT, "030551", "2019-10-07", "AM", "B"]])
    with time_machine.travel(SECOND, tick=False):
        assert import_paths([two]).ok
    three = tmp_path / "three"
    write(
        three,
        "enrolments.csv",
        ENROL_HEADER,
        [
            [nn, "030551", "2019-2020", "2019-09-02", "2020-06-30", "S6", "", "BSO", "0", "left"]
            for nn in (LEFT, QUALIFIED)
        ],
    )
    write(
        three,
        "attestations.csv",
        ATTEST_HEADER,
        [[QUALIFIED, "030551", "2019-2020", "S6", "A", "secondary_diploma"]],
    )
    with time_machine.travel(THIRD, tick=False):
        assert import_paths([three]).ok
    left = Absence.objects.get().pupil_id
    qualified = Attestation.objects.get().pupil_id
    (stays,) = set(Pupil.objects.values_list("pk", flat=True)) - {left, qualified}
    return {"left": left, "qualified": qualified, "stays": stays}


def _year(value):
    return None if pd.isna(value) else value


def cut(frames, as_of: datetime.date):
    """What was known on ``as_of`` (the rows recorded by then), as ``Frames.known_on`` will give it."""
    day = pd.Timestamp(as_of)
    for name in ("enrolments", "absences", "attestations", "characteristics"):
        frame = getattr(frames, name)
        setattr(frames, name, frame[frame["recorded_on"] <= day].reset_index(drop=True))
    return frames


def test_the_frames_carry_the_brussels_date_of_every_stamp(tmp_path):
    build(tmp_path)
    frames = load_frames(with_labels=False)
    for name, columns in (
        ("enrolments", ("recorded_on", "changed_on")),
        ("absences", ("recorded_on",)),
        ("attestations", ("recorded_on",)),
        ("characteristics", ("recorded_on",)),
    ):
        frame = getattr(frames, name)
        for column in columns:
            assert pd.api.types.is_datetime64_dtype(frame[column]), (name, column)
            assert "recorded_at" not in frame.columns and "changed_at" not in frame.columns
    enrolments = frames.enrolments
    assert set(enrolments["recorded_on"]) == {pd.Timestamp("2019-09-10")}
    assert sorted(set(enrolments["changed_on"])) == [pd.Timestamp("2019-09-10"), pd.Timestamp("2020-07-03")]
    # 23:30 UTC on 16 March is 17 March in Brussels
    assert list(frames.absences["recorded_on"]) == [pd.Timestamp("2020-03-17")]
    assert list(frames.attestations["recorded_on"]) == [pd.Timestamp("2020-07-03")]
    assert set(frames.characteristics["recorded_on"]) == {pd.Timestamp("2019-09-10")}
    # scoring loads a recent window of absences: the stamps come along
    recent = load_frames(absences_since=datetime.date(2019, 10, 1), with_labels=False).absences
    assert list(recent["recorded_on"]) == [pd.Timestamp("2020-03-17")]
    assert load_frames(absences_since=datetime.date(2020, 1, 1), with_labels=False).absences.empty


def test_labels_on_is_the_registrys_vsv_function_over_the_frames(tmp_path):
    ids = build(tmp_path)
    frames = load_frames()
    # far enough on, with everything known: exactly the registry's own outcomes
    late = labels_on(frames, datetime.date(2030, 1, 1)).set_index("pupil_id")
    registry = {pid: (outcome, year) for pid, (outcome, year) in pupil_outcomes().items()}
    assert {pid: (row.outcome, _year(row.leaving_year)) for pid, row in late.iterrows()} == registry
    assert registry[ids["left"]] == ("unqualified", "2019-2020")
    assert registry[ids["qualified"]] == ("qualified", "2019-2020")
    assert registry[ids["stays"]] == ("censored", None)


@pytest.mark.parametrize(
    ("as_of", "known"),
    [
        (datetime.date(2020, 3, 1), False),  # the leavers had not left yet (and it was not recorded)
        (
            datetime.date(2020, 10, 1),
            False,
        ),  # left in 2019-2020: whether they came back in 2020-2021 is not known yet
        (datetime.date(2021, 8, 31), False),  # the last day of 2020-2021
        (datetime.date(2021, 9, 1), True),  # school year 2021-2022 = 2019 + 2 has started
    ],
)
def test_labels_on_keeps_only_the_outcomes_known_then(tmp_path, as_of, known):
    ids = build(tmp_path)
    labels = labels_on(cut(load_frames(with_labels=False), as_of), as_of).set_index("pupil_id")
    assert set(labels.index) == set(ids.values())
    outcome = {
        name: (labels.loc[pid, "outcome"], _year(labels.loc[pid, "leaving_year"]))
        for name, pid in ids.items()
    }
    assert outcome["stays"] == ("censored", None)
    if known:
        assert outcome["left"] == ("unqualified", "2019-2020") and outcome["qualified"] == (
            "qualified",
            "2019-2020",
        )
    else:
        assert outcome["left"] == outcome["qualified"] == ("censored", None)
    assert list(labels.reset_index().columns) == ["pupil_id", "leaving_year", "outcome"]
