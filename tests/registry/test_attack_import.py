"""Attacks through the import: school staff may only write the records of their own school(s).

pupils.csv and attestations.csv name a pupil; a school's staff must not use them to change the name,
birth date or characteristics of a pupil who was never enrolled in their school, nor to overwrite or
plant another school's attestation (which would change the city's outflow figures).
"""

from __future__ import annotations

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Attestation, Pupil, PupilCharacteristics, PupilName, School
from tests.registry.conftest import ATTEST_HEADER, PUPIL_HEADER, write

pytestmark = pytest.mark.django_db

BO = "01110220259"  # enrolled only in 012345
DINA = "00010504634"  # enrolled only in 012345
AMIR = "01031410135"  # enrolled in 030551, then in 012345


@pytest.fixture
def staff_a(example, make_user):
    import_paths([example])
    return make_user(Role.SCHOOL_STAFF, school=School.objects.get(school_number="030551"))


def _bo():
    return Pupil.objects.get(pk=PupilName.objects.get(first_name="Bo").pupil_id)


def test_staff_cannot_rename_a_pupil_of_another_school_through_pupils_csv(staff_a, tmp_path):
    bo = _bo()
    chars = PupilCharacteristics.objects.filter(pupil=bo).count()
    path = write(tmp_path / "up", "pupils.csv", PUPIL_HEADER,
                 [[BO, "Hacked", "Name", "2001-11-02", "F", "2660", "2020-09-01", 1, 1, 1, 1]])
    result = import_paths([path], user=staff_a)
    assert not result.ok
    assert any(e.reason == "a pupil new to your school needs an enrolment in your school in the same upload" for e in result.errors)
    assert all(BO not in e.value for e in result.errors)  # masked
    bo.refresh_from_db()
    assert PupilName.objects.get(pupil=bo).first_name == "Bo" and bo.postcode == "2000"
    assert PupilCharacteristics.objects.filter(pupil=bo).count() == chars


def test_staff_change_a_pupil_only_while_enrolled_and_add_a_new_one_with_an_enrolment(staff_a, tmp_path):
    from leerloopbaan.kernel import clock
    from leerloopbaan.kernel.schoolyear import school_year_of
    from tests.registry.conftest import ENROL_HEADER, national_number

    # a former pupil (left in 2019): no longer the school's to change
    path = write(tmp_path / "old", "pupils.csv", PUPIL_HEADER,
                 [[AMIR, "Amir", "Voorbeeld", "2001-03-14", "M", "2140", "2014-09-01", 1, 1, 1, 1]])
    assert not import_paths([path], user=staff_a).ok
    new = national_number("2010-05-05", 17)
    today = clock.today()
    folder = tmp_path / "new"
    write(folder, "pupils.csv", PUPIL_HEADER, [[new, "Nieuw", "Kind", "2010-05-05", "X", "2000", "2022-09-01", 0, 0, 0, 0]])
    write(folder, "enrolments.csv", ENROL_HEADER, [[new, "030551", school_year_of(today), today.isoformat(), "", "S1", "A", "", 0, ""]])
    result = import_paths([folder], user=staff_a)
    assert result.ok, result.report_text()


def test_staff_cannot_overwrite_another_schools_attestation(staff_a, tmp_path):
    before = Attestation.objects.get(pupil=_bo(), school_year="2018-2019")
    assert before.school.school_number == "012345"
    path = write(tmp_path / "up", "attestations.csv", ATTEST_HEADER, [[BO, "030551", "2018-2019", "S6", "C", ""]])
    result = import_paths([path], user=staff_a)
    assert not result.ok
    after = Attestation.objects.get(pk=before.pk)
    assert (after.school_id, after.result, after.qualification) == (before.school_id, before.result, before.qualification)


def test_staff_cannot_plant_an_attestation_for_a_pupil_never_in_their_school(staff_a, tmp_path):
    path = write(tmp_path / "up", "attestations.csv", ATTEST_HEADER,
                 [[DINA, "030551", "2020-2021", "S7", "certificate", "secondary_diploma"]])
    result = import_paths([path], user=staff_a)
    assert not result.ok
    assert any(e.reason == "not one of your pupils" for e in result.errors)
    assert not Attestation.objects.filter(school_year="2020-2021").exists()


def test_a_former_pupils_attestation_is_corrected_by_the_city(staff_a, tmp_path, make_user):
    path = write(tmp_path / "up", "attestations.csv", ATTEST_HEADER, [[AMIR, "030551", "2017-2018", "S4", "A", ""]])
    result = import_paths([path], user=staff_a)
    assert not result.ok and any(e.reason == "not one of your pupils" for e in result.errors)
    result = import_paths([path], user=make_user(Role.CITY_ANALYST))
    assert result.ok, result.report_text()
    assert Attestation.objects.get(school_year="2017-2018").result == "A"


def test_staff_cannot_take_over_the_attestation_of_the_school_a_pupil_moved_to(staff_a, tmp_path):
    # Amir left 030551 in January 2019 for 012345, which gave the attestation of 2018-2019
    amir = Pupil.objects.get(pk=PupilName.objects.get(first_name="Amir").pupil_id)
    before = Attestation.objects.get(pupil=amir, school_year="2018-2019")
    path = write(tmp_path / "up", "attestations.csv", ATTEST_HEADER, [[AMIR, "030551", "2018-2019", "S5", "A", ""]])
    result = import_paths([path], user=staff_a)
    assert not result.ok
    assert any(e.reason == "not one of your pupils" for e in result.errors)  # left in 2019
    after = Attestation.objects.get(pk=before.pk)
    assert (after.school_id, after.result) == (before.school_id, before.result)
