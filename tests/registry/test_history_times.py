"""A history load: record times move to when the source knew each row, never later than they were;
rows of later (live) imports keep their times."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from leerloopbaan.registry.history import estimate_record_times
from leerloopbaan.registry.models import Absence, Attestation, Enrolment, PupilCharacteristics
from tests.factories import AbsenceFactory, AttestationFactory, EnrolmentFactory, PupilFactory, SchoolFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def _day(d: datetime.date) -> datetime.datetime:
    return datetime.datetime(d.year, d.month, d.day, tzinfo=UTC)


def test_history_rows_get_the_times_the_source_knew_them():
    school, pupil = SchoolFactory(), PupilFactory()
    closed = EnrolmentFactory(pupil=pupil, school=school, school_year="2019-2020", start_date=datetime.date(2019, 9, 2),
                              end_date=datetime.date(2020, 6, 30))
    open_ = EnrolmentFactory(pupil=pupil, school=school, school_year="2020-2021", start_date=datetime.date(2020, 9, 1), end_date=None)
    absence = AbsenceFactory(pupil=pupil, school=school, date=datetime.date(2019, 10, 3), half_day="AM")
    attestation = AttestationFactory(pupil=pupil, school=school, school_year="2019-2020")
    PupilCharacteristics.objects.create(pupil=pupil, as_of=datetime.date(2019, 9, 2), home_language_not_dutch=True,
                                        mother_low_education=False, school_allowance=False, neighbourhood_high_delay=False)
    load = timezone.now()
    live = AbsenceFactory(pupil=pupil, school=school, date=datetime.date(2019, 10, 4), half_day="AM")
    Absence.objects.filter(pk=live.pk).update(recorded_at=load + datetime.timedelta(days=1))  # a live import, after the load

    counts = estimate_record_times(recorded_before=load)
    assert counts == {"enrolments": 2, "absences": 1, "attestations": 1, "characteristics": 1}
    closed.refresh_from_db()
    open_.refresh_from_db()
    assert closed.recorded_at == _day(datetime.date(2019, 9, 2))
    assert closed.changed_at == _day(datetime.date(2020, 7, 1))
    assert open_.recorded_at == open_.changed_at == _day(datetime.date(2020, 9, 1))
    assert Absence.objects.get(pk=absence.pk).recorded_at == _day(datetime.date(2019, 10, 4))
    assert Absence.objects.get(pk=live.pk).recorded_at == load + datetime.timedelta(days=1)
    assert Attestation.objects.get(pk=attestation.pk).recorded_at == _day(datetime.date(2020, 7, 1))
    assert PupilCharacteristics.objects.get(pupil=pupil).recorded_at == _day(datetime.date(2019, 9, 2))
    # a time never moves later: run again, nothing changes
    before = list(Enrolment.objects.order_by("pk").values_list("recorded_at", "changed_at"))
    estimate_record_times(recorded_before=load)
    assert list(Enrolment.objects.order_by("pk").values_list("recorded_at", "changed_at")) == before


def test_the_command_refuses_a_bad_moment(capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="expected a date-time"):
        call_command("history_times", "--recorded-before", "yesterday")


def test_a_live_correction_after_the_load_keeps_its_change_time():
    """A history row corrected by a live import after the load was last changed then, not when the
    rule says the source knew the row: moving its change time back would show the correction as known
    before it came."""
    school, pupil = SchoolFactory(), PupilFactory()
    enrolment = EnrolmentFactory(pupil=pupil, school=school, school_year="2019-2020", start_date=datetime.date(2019, 9, 2),
                                 end_date=datetime.date(2020, 6, 30))
    attestation = AttestationFactory(pupil=pupil, school=school, school_year="2019-2020")
    load = timezone.now() - datetime.timedelta(days=30)
    Enrolment.objects.update(recorded_at=load, changed_at=load)
    Attestation.objects.update(recorded_at=load, changed_at=load)
    corrected = load + datetime.timedelta(days=10)  # a live import corrects both rows
    Enrolment.objects.update(changed_at=corrected)
    Attestation.objects.update(changed_at=corrected)

    estimate_record_times(recorded_before=load)
    enrolment.refresh_from_db()
    attestation.refresh_from_db()
    assert enrolment.recorded_at == _day(datetime.date(2019, 9, 2))
    assert attestation.recorded_at == _day(datetime.date(2020, 7, 1))
    assert enrolment.changed_at == attestation.changed_at == corrected


def test_the_command_refuses_a_moment_in_the_future():
    """A moment after now would move the times of every live import too (a late file would look on time)."""
    from django.core.management.base import CommandError

    school, pupil = SchoolFactory(), PupilFactory()
    late = AbsenceFactory(pupil=pupil, school=school, date=datetime.date(2019, 10, 3), half_day="AM")
    with pytest.raises(CommandError, match="in the future"):
        call_command("history_times", "--recorded-before", "2099-01-01T00:00")
    assert Absence.objects.get(pk=late.pk).recorded_at > _day(datetime.date(2019, 10, 4))
