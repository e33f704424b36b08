"""Issue 14, finding 1: access follows enrolment, in time. Import attacks through the web upload as
school staff: each is refused (nothing changed) or scoped (the school sees the pupil only from the
first day of its enrolment), and an out-of-scope national number gets exactly the answer an unknown
one gets, in a real run and in a dry run."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import next_school_year, school_year_of
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.importer.rules import mask_national_number
from leerloopbaan.registry.models import (
    Attestation,
    Enrolment,
    ImportRun,
    Pupil,
    PupilCharacteristics,
    PupilName,
    RecordChange,
    School,
)
from tests.registry.conftest import ATTEST_HEADER, ENROL_HEADER, PUPIL_HEADER, national_number, write

pytestmark = pytest.mark.django_db

BO = "01110220259"    # enrolled only in 012345 (2018-2019), never in 030551
DINA = "00010504634"  # early school leaver: 012345 until 2020, then nothing
UNKNOWN = national_number("2001-07-07", 55)  # a valid number the city does not know
OTHER_UNKNOWN = national_number("2000-02-02", 56)


@pytest.fixture
def city(example, make_user, tmp_path):
    import_paths([example])
    # Dina's later registration (a newer postcode) and her history stay the city's
    write(tmp_path / "later", "pupils.csv", PUPIL_HEADER,
          [[DINA, "Dina", "Voorbeeld", "2000-01-05", "F", "2018", "2021-09-01", 1, 1, 0, 1]])
    assert import_paths([tmp_path / "later" / "pupils.csv"]).ok
    school_a = School.objects.get(school_number="030551")
    return {"staff": make_user(Role.SCHOOL_STAFF, school=school_a),
            "clb": make_user(Role.CLB_WORKER, clb=school_a.clb),
            "analyst": make_user(Role.CITY_ANALYST), "admin": make_user(Role.ADMIN)}


def dump():
    return [list(m.objects.order_by("pk").values_list()) for m in (Pupil, PupilName, PupilCharacteristics, Enrolment, Attestation)]


def upload(client, folder, names, dry_run=False):
    files = [SimpleUploadedFile(n, (folder / n).read_bytes(), content_type="text/csv") for n in names]
    data = {"files": files}
    if dry_run:
        data["dry_run"] = "on"
    response = client.post(reverse("registry:import"), data)
    assert response.status_code == 200
    return response.content.decode()


def masked(body: str, number: str) -> str:
    body = body.replace(mask_national_number(number), "<NN>")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", body)
    body = re.sub(r'<ul id="import-runs">.*?</ul>', "<runs>", body, flags=re.S)  # the uploader's own runs
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<time>", body)


def current_year():
    return school_year_of(clock.today())


def pupil_row(number, birth, sex, postcode="2140", as_of=None, last="Overschreven"):
    return [number, "Aanval", last, birth, sex, postcode, as_of or clock.today().isoformat(), 0, 0, 0, 0]


def enrol_row(number, year=None, start=None, end=""):
    year = year or current_year()
    start = start or f"{year[:4]}-09-01"
    return [number, "030551", year, start, end, "S5", "", "BSO", 0, ""]


def both(tmp_path, make_files, client, names, dry_run=False):
    """The answers for an out-of-scope number and for an unknown one, masked."""
    out = []
    for label, number in (("known", BO_OR(make_files)), ("unknown", UNKNOWN)):
        folder = tmp_path / label
        make_files(folder, number)
        out.append(masked(upload(client, folder, names, dry_run), number))
    return out


def BO_OR(make_files):
    return getattr(make_files, "number", BO)


# --- attack 1: an invented past school year for another school's pupil -------------------------

def test_past_year_enrolment_of_another_schools_pupil_is_refused(city, login, tmp_path):
    c = login(city["staff"])
    bo = Pupil.objects.get(pk=PupilName.objects.get(first_name="Bo").pupil_id)
    assert c.get(reverse("site:pupil", args=[bo.pupil_key])).status_code == 404
    before = dump()

    def files(folder, number):
        write(folder, "enrolments.csv", ENROL_HEADER, [enrol_row(number, "2013-2014", "2013-09-01")])

    known, unknown = both(tmp_path, files, c, ["enrolments.csv"])
    assert "only the current and the previous school year" in known and "not one of your pupils" in known
    assert known == unknown
    assert dump() == before
    assert c.get(reverse("site:pupil", args=[bo.pupil_key])).status_code == 404
    assert c.get(f"/api/v1/pupils/{bo.pupil_key}/").status_code == 404
    # with the pupil in pupils.csv too: still refused, still the same answer
    def files2(folder, number):
        write(folder, "pupils.csv", PUPIL_HEADER, [pupil_row(number, "2001-11-02", "F")])
        write(folder, "enrolments.csv", ENROL_HEADER, [enrol_row(number, "2013-2014", "2013-09-01")])
    known, unknown = both(tmp_path / "2", files2, c, ["pupils.csv", "enrolments.csv"])
    assert known == unknown and "only the current and the previous school year" in known
    assert dump() == before


# --- attack 2: an open-ended current-year row for an early school leaver ------------------------

def test_open_enrolment_of_an_early_leaver_is_scoped_to_its_first_day(city, login, tmp_path, client):
    c = login(city["staff"])
    dina = Pupil.objects.get(pk=PupilName.objects.get(first_name="Dina").pupil_id)
    assert c.get(reverse("site:pupil", args=[dina.pupil_key])).status_code == 404
    start = f"{current_year()[:4]}-09-01"

    def files(folder, number):
        write(folder, "pupils.csv", PUPIL_HEADER, [pupil_row(number, "2000-01-05", "F", as_of=start)])
        write(folder, "enrolments.csv", ENROL_HEADER, [enrol_row(number, start=start)])
    files.number = DINA
    # the dry run first: the same answer as for an unknown pupil
    known, unknown = both(tmp_path / "dry", files, c, ["pupils.csv", "enrolments.csv"], dry_run=True)
    assert known == unknown
    # the real run (the unknown pupil is added as well: a different pupil, the same answer)
    known, unknown = both(tmp_path, files, c, ["pupils.csv", "enrolments.csv"])
    assert known == unknown
    assert "Pupils new to your school appear in your lists" in known or "Leerlingen die nieuw zijn" in known
    assert Enrolment.objects.filter(pupil=dina, school__school_number="030551").count() == 1
    # scoped: from the enrolment's first day on, nothing earlier
    for user in (city["staff"], city["clb"]):
        cl = login(user, client) if user is city["clb"] else c
        page = cl.get(reverse("site:pupil", args=[dina.pupil_key]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Stedelijk Lyceum Voorbeeld" not in html  # the earlier school: no enrolment, no attestation
        api = cl.get(f"/api/v1/pupils/{dina.pupil_key}/").json()
        assert len(api["enrolments"]) == 1 and "012345" not in str(api) and api["attestations"] == []
    from leerloopbaan.registry.selectors import pupil_records
    records = pupil_records(user=city["staff"], pupil=dina)
    assert [e.school.school_number for e in records["enrolments"]] == ["030551"]
    assert records["attestations"] == []
    assert [c.as_of.isoformat() for c in records["characteristics"]] == [start]  # not 2012, not 2021
    # the history keeps the true before and after of the city's record
    change = RecordChange.objects.filter(table="pupil", natural_key=dina.pupil_key).order_by("pk").last()
    assert change.before["postcode"] == "2018" and change.after["postcode"] == "2140"


def test_overlap_with_another_schools_enrolment_is_held_for_the_city(city, login, tmp_path, make_user):
    year = current_year()
    # a pupil the city knows, enrolled now (open) in 012345
    carl = national_number("2010-03-03", 21)
    folder = tmp_path / "city"
    write(folder, "pupils.csv", PUPIL_HEADER, [[carl, "Carl", "Elders", "2010-03-03", "M", "2000", "2022-09-01", 0, 0, 0, 0]])
    write(folder, "enrolments.csv", ENROL_HEADER, [[carl, "012345", year, f"{year[:4]}-09-01", "", "S3", "", "ASO", 0, ""]])
    assert import_paths([folder]).ok
    c = login(city["staff"])
    before = dump()
    start = f"{year[:4]}-10-01"

    def files(folder, number):
        write(folder, "pupils.csv", PUPIL_HEADER, [pupil_row(number, "2010-03-03", "M", as_of=start)])
        write(folder, "enrolments.csv", ENROL_HEADER, [enrol_row(number, start=start)])
    files.number = carl
    known, unknown = both(tmp_path, files, c, ["pupils.csv", "enrolments.csv"])
    assert known == unknown and "overlaps" not in known
    carl_key = Pupil.objects.exclude(pk__in=[r[0] for r in before[0]]).values_list("pupil_key", flat=True)
    assert len(carl_key) == 1  # the unknown pupil was added; Carl's records are unchanged
    after = dump()
    assert [r for r in after[0] if r[1] != carl_key[0]] == before[0]
    assert not Enrolment.objects.filter(school__school_number="030551", start_date=start).exclude(pupil__pupil_key=carl_key[0]).exists()
    # held for the city, in the known pupil's run
    run = ImportRun.objects.filter(user=city["staff"], dry_run=False).exclude(held=[]).get()
    assert {h["kind"] for h in run.held} == {"pupils", "enrolments"}
    assert carl not in str(run.held) and "Aanval" not in str(run.held)
    from django.test import Client

    page = login(city["analyst"], Client()).get(reverse("registry:import")).content.decode()
    assert 'id="held-rows"' in page and Pupil.objects.get(pupil_key=run.held[0]["pupil_key"]).short_key in page
    assert 'id="held-rows"' not in c.get(reverse("registry:import")).content.decode()


def test_held_rows_are_for_the_city_only_by_pseudonym_without_national_number_or_name(city, login, tmp_path, make_user):
    """A conflicting row of a school import is held: school staff (the uploader, the other school) never
    see held rows on the import page; city analysts and admins do, by pseudonym, and neither the page
    nor the stored rows carry the national number or the name."""
    from django.test import Client

    year = current_year()
    carl = national_number("2010-03-03", 21)
    folder = tmp_path / "city"
    write(folder, "pupils.csv", PUPIL_HEADER, [[carl, "Carl", "Elders", "2010-03-03", "M", "2000", "2022-09-01", 0, 0, 0, 0]])
    write(folder, "enrolments.csv", ENROL_HEADER, [[carl, "012345", year, f"{year[:4]}-09-01", "", "S3", "", "ASO", 0, ""]])
    assert import_paths([folder]).ok
    carl_pupil = Pupil.objects.get(pk=PupilName.objects.get(first_name="Carl").pupil_id)
    start = f"{year[:4]}-10-01"
    write(tmp_path / "school", "pupils.csv", PUPIL_HEADER, [pupil_row(carl, "2010-03-03", "M", as_of=start)])
    write(tmp_path / "school", "enrolments.csv", ENROL_HEADER, [enrol_row(carl, start=start)])
    upload(login(city["staff"]), tmp_path / "school", ["pupils.csv", "enrolments.csv"])
    run = ImportRun.objects.exclude(held=[]).get()
    assert {h["pupil_key"] for h in run.held} == {carl_pupil.pupil_key}
    secrets = (carl, mask_national_number(carl), "Carl", "Elders", "Aanval", "Overschreven")
    assert not [s for s in secrets if s in str(run.held)]

    other_school = make_user(Role.SCHOOL_STAFF, school=School.objects.get(school_number="012345"))
    for user in (city["staff"], other_school):
        page = login(user, Client()).get(reverse("registry:import")).content.decode()
        assert 'id="held-rows"' not in page and carl_pupil.short_key not in page and carl_pupil.pupil_key not in page
    for user in (city["analyst"], city["admin"]):
        page = login(user, Client()).get(reverse("registry:import")).content.decode()
        assert 'id="held-rows"' in page and carl_pupil.short_key in page
        held = page[page.index('id="held-rows"'):]
        held = held[:held.index("</table>")]
        assert year in held and "030551" in held  # what the school asked, to apply with a city import
        assert not [s for s in secrets if s in page]
        # as city roles see pupils: no exact date, birth date or postcode (docs/privacy.md)
        assert start not in held and "2010-03-03" not in held and not re.search(r"\b\d{4}-\d{2}-\d{2}\b(?! \d{2}:\d{2})", held)
        assert not re.search(r"\b\d{2}-\d{2}-\d{4}\b(?! \d{2}:\d{2})", held)  # nor as a Dutch page writes a date  # (the import's own time aside)


# --- attack 3: pupils.csv overwrites a pupil who never attended ---------------------------------

def test_pupils_csv_cannot_overwrite_a_pupil_who_never_attended(city, login, tmp_path):
    c = login(city["staff"])
    before = dump()

    def files(folder, number):
        write(folder, "pupils.csv", PUPIL_HEADER, [pupil_row(number, "2001-11-02", "F", postcode="2660")])

    known, unknown = both(tmp_path, files, c, ["pupils.csv"])
    assert "a pupil new to your school needs an enrolment in your school in the same upload" in known
    assert known == unknown
    assert dump() == before


# --- attack 4: the dry run as an oracle ---------------------------------------------------------

def test_dry_run_tells_unchanged_and_updated_apart_only_for_own_pupils(city, login, tmp_path):
    c = login(city["staff"])
    before = dump()
    same = ["01110220259", "Bo", "Voorbeeld", "2001-11-02", "F", "2000", "2013-09-01", 0, 0, 0, 0]
    changed = ["01110220259", "Bo", "Anders", "2001-11-02", "F", "2660", "2013-09-01", 1, 1, 1, 1]
    bodies = []
    for label, row in (("same", same), ("changed", changed)):
        folder = tmp_path / label
        write(folder, "pupils.csv", PUPIL_HEADER, [row])
        write(folder, "enrolments.csv", ENROL_HEADER, [enrol_row(BO)])
        bodies.append(upload(c, folder, ["pupils.csv", "enrolments.csv"], dry_run=True))
    folder = tmp_path / "unknown"
    write(folder, "pupils.csv", PUPIL_HEADER, [[UNKNOWN, *same[1:]]])
    write(folder, "enrolments.csv", ENROL_HEADER, [enrol_row(UNKNOWN)])
    bodies.append(upload(c, folder, ["pupils.csv", "enrolments.csv"], dry_run=True))
    shown = [masked(bodies[0], BO), masked(bodies[1], BO), masked(bodies[2], UNKNOWN)]
    assert shown[0] == shown[1] == shown[2]
    assert dump() == before


def test_refused_rows_answer_the_same_for_unknown_and_out_of_scope(city, login, tmp_path):
    """Absences and attestations naming a pupil outside the school's reach."""
    c = login(city["staff"])
    before = dump()
    year = current_year()

    def files(folder, number):
        write(folder, "attestations.csv", ATTEST_HEADER, [[number, "030551", year, "S5", "A", ""]])
        write(folder, "absences.csv", ["national_number", "school_number", "date", "half_day", "code"],
              [[number, "030551", "2026-10-05", "AM", "B"]])

    known, unknown = both(tmp_path, files, c, ["attestations.csv", "absences.csv"])
    assert known == unknown and "not one of your pupils" in known
    assert dump() == before


# --- the city still corrects older years ---------------------------------------------------------

@pytest.mark.parametrize("who", ["analyst", "admin", None])
def test_older_corrections_go_through_the_city_import(city, tmp_path, who):
    folder = tmp_path / "fix"
    write(folder, "enrolments.csv", ENROL_HEADER, [[BO, "030551", "2013-2014", "2013-09-01", "2014-06-30", "S1", "A", "", 0, ""]])
    result = import_paths([folder], user=city[who] if who else None)  # None: the CLI operator
    assert result.ok, result.report_text()
    assert Enrolment.objects.filter(school_year="2013-2014", pupil__pupil_key__isnull=False).count() == 1
    assert next_school_year("2013-2014") == "2014-2015"
