"""Roles on the import and outflow pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Absence, School

pytestmark = pytest.mark.django_db


def uploads(folder, names):
    return [SimpleUploadedFile(n, (folder / n).read_bytes(), content_type="text/csv") for n in names]


def test_school_staff_cannot_import_rows_of_another_school(make_user, login, example):
    import_paths([example])
    Absence.objects.all().delete()
    school_a = School.objects.get(school_number="030551")
    staff = make_user(Role.SCHOOL_STAFF, school=school_a)
    c = login(staff)
    response = c.post(reverse("registry:import"), {"files": uploads(example, ["absences.csv"])})
    assert response.status_code == 200
    body = response.content.decode()
    assert "not one of your schools" in body and "012345" in body
    assert Absence.objects.count() == 0
    # only own-school rows, but of pupils who left the school in 2019: older corrections are the city's
    own = example / "absences.csv"
    own.write_text("\n".join(line for line in own.read_text().splitlines() if "012345" not in line) + "\n")
    response = c.post(reverse("registry:import"), {"files": uploads(example, ["absences.csv"])})
    assert "not one of your pupils" in response.content.decode() and Absence.objects.count() == 0
    c = login(make_user(Role.CITY_ANALYST))
    c.post(reverse("registry:import"), {"files": uploads(example, ["absences.csv"])})
    assert Absence.objects.count() == 4 and set(Absence.objects.values_list("school__school_number", flat=True)) == {"030551"}


def test_import_page_dry_run_and_report(make_user, login, example):
    admin = make_user(Role.CITY_ANALYST)
    c = login(admin)
    assert c.get(reverse("registry:import")).status_code == 200
    names = ["schools.csv", "pupils.csv", "enrolments.csv", "absences.csv", "attestations.csv"]
    response = c.post(reverse("registry:import"), {"files": uploads(example, names), "dry_run": "on"})
    assert "proefrit" in response.content.decode() and School.objects.count() == 0
    bad = example / "schools.csv"
    bad.write_text(bad.read_text().replace("Borgerhout", "Gent"))
    response = c.post(reverse("registry:import"), {"files": uploads(example, names)})
    body = response.content.decode()
    assert 'id="import-errors"' in body and "Gent" in body and School.objects.count() == 0


@pytest.mark.parametrize("role", [Role.TUTOR, Role.PARENT, Role.CLB_WORKER, Role.PROGRAMME_MANAGER])
def test_other_roles_cannot_import(make_user, login, role):
    c = login(make_user(role))
    assert c.get(reverse("registry:import")).status_code == 403


def test_outflow_page_city_roles_only(make_user, login, example):
    import_paths([example])
    staff = make_user(Role.SCHOOL_STAFF, school=School.objects.get(school_number="030551"))
    assert login(staff).get(reverse("registry:outflow")).status_code == 403


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN])
def test_outflow_page_shows_aggregates_never_names(make_user, login, example, client, role):
    import_paths([example])
    response = login(make_user(role)).get(reverse("registry:outflow"), {"school_year": "2018-2019", "by": "school"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "<script" not in body.split("</main>")[0].split("<main")[1]
    assert "&lt;5" in body  # 2 leavers in the only school: suppressed
    for name in ("Amir", "Voorbeeld", "Dina"):
        assert name not in body


def test_city_role_sees_pseudonyms_in_pupil_list(make_user, login, example):
    import_paths([example])
    body = login(make_user(Role.CITY_ANALYST)).get(reverse("registry:pupil_list")).content.decode()
    assert "Amir" not in body and "Voorbeeld" not in body
