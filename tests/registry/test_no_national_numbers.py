"""Issue 14, items 2 and 3 for the import.

No national number anywhere: files full of national numbers in the wrong columns (the pupil_key
column, names, postcodes, school columns, test results, file names) are imported through the web
upload and the ``import`` command, dry run too; then no valid national number (11 digits passing the
INSZ/BIS check, with or without separators) is in any table, any report, the console or the log.

Fail closed: when the import's audit entry cannot be written, nothing is imported.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import router
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.pseudonym import InvalidNationalNumber, normalise_national_number
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import ImportRun, Pupil, PupilName, School
from tests.registry.conftest import ENROL_HEADER, PUPIL_HEADER, SCHOOL_HEADER, national_number, write

pytestmark = pytest.mark.django_db

NN = [national_number("2007-01-01", 1), national_number("1985-07-30", 33), national_number("2008-03-04", 120),
      national_number("1999-12-31", 997), national_number("2006-06-06", 6), national_number("2010-10-10", 10)]


def dotted(nn: str) -> str:
    return f"{nn[:2]}.{nn[2:4]}.{nn[4:6]}-{nn[6:9]}.{nn[9:]}"


def spaced(nn: str) -> str:
    return f"{nn[:6]} {nn[6:9]} {nn[9:]}"


BAD = NN[0][:-1] + str((int(NN[0][-1]) + 1) % 10)  # fails the check digits
SCHOOLS = [["030551", "School", "GO", "secondary", "Borgerhout", "2140", "", ""]]
PUPIL = [NN[0], "A", "B", "2007-01-01", "M", "2000", "2018-09-01", "1", "0", "0", "1"]
ENROL = [NN[0], "030551", "2018-2019", "2018-09-01", "2019-06-30", "S1", "A", "", "0", ""]
RESULTS_HEADER = ["national_number", "date", "instrument", "domain", "scale_score", "scale_version"]

_HEX = re.compile(r"[0-9a-fA-F]{32,}")  # pupil keys, file digests, request ids: not national numbers
_WINDOW = re.compile(r"(?=([0-9](?:[.\-/ ]?[0-9]){10}))")


def valid_national_numbers(text: str) -> list[str]:
    """Every valid national number in ``text`` (any 11 digits with or without separators)."""
    found = []
    for match in _WINDOW.finditer(_HEX.sub(" ", text)):
        try:
            found.append(normalise_national_number(re.sub(r"[./ ]", "", match.group(1))))
        except InvalidNationalNumber:
            continue
    return found


def scan_database() -> dict[str, list[str]]:
    """Every text and JSON column of every table, on the database the model lives in."""
    hits = {}
    for model in apps.get_models():
        columns = [f.attname for f in model._meta.concrete_fields
                   if f.get_internal_type() in ("CharField", "TextField", "JSONField", "SlugField", "EmailField")]
        if not columns:
            continue
        alias = router.db_for_read(model)
        for values in model._base_manager.using(alias).values_list(*columns):
            text = json.dumps(values, default=str, ensure_ascii=False)
            found = valid_national_numbers(text)
            if found:
                hits.setdefault(model._meta.db_table, []).extend(found)
    return hits


def poisoned(folder):
    """A data set with national numbers wherever they do not belong."""
    write(folder, "schools.csv", SCHOOL_HEADER, [
        *SCHOOLS,
        ["030552", dotted(NN[1]), "GO", "secondary", "Deurne", "2100", NN[2], f"board {spaced(NN[3])}"],
        [NN[4], "X", "GO", "secondary", "Deurne", NN[5], "", ""],
    ])
    write(folder, "pupils.csv", ["pupil_key", *PUPIL_HEADER[1:]], [
        [NN[1], "A", "B", "2007-01-01", "M", "2000", "2018-09-01", "1", "0", "0", "1"],
        [dotted(NN[2]), "A", "B", "2007-01-01", "M", "2000", "2018-09-01", "1", "0", "0", "1"],
        [BAD, "A", "B", "2007-01-01", "M", "2000", "2018-09-01", "1", "0", "0", "1"],
    ])
    write(folder, "enrolments.csv", ENROL_HEADER, [
        [NN[0], NN[3], "2018-2019", "2018-09-01", "2019-06-30", "S1", "A", "", "0", ""],
        [dotted(NN[0]), "030551", NN[4], "2018-09-01", "2019-06-30", NN[5], "A", "", "0", ""],
    ])
    write(folder, "test_results.csv", RESULTS_HEADER, [
        [NN[0], "2019-05-20", NN[1], "dutch", NN[2], "LGT-2028"],
        [NN[0], NN[3], "LGT-NL-12", dotted(NN[4]), "287.5", spaced(NN[5])],
    ])
    return folder


def clean_but_one(folder, where: str):
    """A valid data set but for one national number in a free-text column that would be stored."""
    pupils = [[*PUPIL]]
    schools = [[*SCHOOLS[0]]]
    enrol = [[*ENROL, "x"]]
    if where == "first_name":
        pupils[0][1] = NN[1]
    elif where == "last_name":
        pupils[0][2] = f"Peeters {dotted(NN[2])}"
    elif where == "board":
        schools[0][7] = spaced(NN[3])
    elif where == "clb":
        schools[0][6] = NN[4]
    elif where == "name":
        schools[0][1] = f"School {NN[5]}"
    elif where == "programme":
        enrol[0][-1] = dotted(NN[1])
    write(folder, "schools.csv", SCHOOL_HEADER, schools)
    write(folder, "pupils.csv", PUPIL_HEADER, pupils)
    write(folder, "enrolments.csv", [*ENROL_HEADER, "programme"], enrol)
    return folder


def test_the_mask_keeps_the_birth_date_part_only():
    from leerloopbaan.kernel.pseudonym import mask_national_numbers

    assert mask_national_numbers(f"value {dotted('85073003328')} and 85073003328!") == \
        "value 85.07.30-***.** and 850730*****!"
    assert mask_national_numbers("school 030551, 2018-09-01, 287.5") == "school 030551, 2018-09-01, 287.5"


@pytest.mark.parametrize("where", ["first_name", "last_name", "board", "clb", "name", "programme"])
def test_a_national_number_in_a_free_text_column_is_refused_not_stored(tmp_path, where):
    result = import_paths([clean_but_one(tmp_path / where, where)])
    assert not result.ok
    assert result.errors[0].reason == "looks like a national number"
    assert result.errors[0].column == where and "***" in result.errors[0].value
    assert not valid_national_numbers(result.report_text()), result.report_text()
    assert not Pupil.objects.exists() and not PupilName.objects.exists() and not School.objects.exists()
    assert scan_database() == {}


def test_no_national_number_in_tables_reports_console_or_log(tmp_path, make_user, login, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    # a valid data set first, so the tables hold pupils, names, enrolments and their history
    assert import_paths([clean_but_one(tmp_path / "valid", "none")]).ok
    # the command, for real and as a dry run
    for options in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as refused:
            call_command("import", str(poisoned(tmp_path / f"cli{len(options)}")), *options)
        seen.append(str(refused.value))
        out, err = capsys.readouterr()
        seen += [out, err]
        assert "nothing was written" in out
    # a file whose name is a national number, and one in a folder named after one
    folder = tmp_path / NN[2]
    write(folder, "pupils.csv", PUPIL_HEADER, [PUPIL])
    write(folder, f"{dotted(NN[3])}.csv", PUPIL_HEADER, [PUPIL])
    with pytest.raises(CommandError) as refused:
        call_command("import", str(folder), str(poisoned(tmp_path / "again")))
    seen.append(str(refused.value))
    seen += list(capsys.readouterr())
    with pytest.raises(CommandError) as missing:
        call_command("import", str(tmp_path / dotted(NN[5])))
    seen.append(str(missing.value))
    # the web upload, for real and as a dry run
    client = login(make_user(Role.CITY_ANALYST))
    for dry_run in (False, True):
        uploads = [SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv")
                   for p in sorted(poisoned(tmp_path / f"web{dry_run}").iterdir())]
        data = {"files": uploads, **({"dry_run": "on"} if dry_run else {})}
        body = client.post(reverse("registry:import"), data).content.decode()
        assert "looks like a national number" in body
        seen.append(body)
    uploads = [SimpleUploadedFile(f"{NN[4]}.csv", b"a\n1\n", content_type="text/csv")]
    seen.append(client.post(reverse("registry:import"), {"files": uploads}).content.decode())
    seen.append(client.get(reverse("registry:import")).content.decode())
    seen.append(caplog.text)
    # every run was refused and reported, masked
    runs = ImportRun.objects.exclude(status=ImportRun.Status.DONE)
    assert runs.count() >= 5 and all(r.report for r in runs.filter(status=ImportRun.Status.REFUSED))
    assert any("850730" in json.dumps(r.report) for r in runs), "the masked form stays useful"
    for text in seen:
        assert not valid_national_numbers(text), [t for t in valid_national_numbers(text)]
    assert scan_database() == {}


def test_an_import_whose_audit_entry_cannot_be_written_writes_nothing(tmp_path, monkeypatch):
    from leerloopbaan.kernel.audit import services
    from leerloopbaan.kernel.audit.models import AuditEntry

    original = services._write_entry

    def failing(**kwargs):
        if kwargs["action"] == "import":
            raise RuntimeError("audit database unavailable")
        return original(**kwargs)

    monkeypatch.setattr(services, "_write_entry", failing)
    result = import_paths([clean_but_one(tmp_path / "ds", "none")])
    assert not result.ok
    assert "audit entry could not be written" in result.report_text()
    assert not Pupil.objects.exists() and not School.objects.exists() and not PupilName.objects.exists()
    assert not ImportRun.objects.filter(status=ImportRun.Status.DONE).exists()
    assert not AuditEntry.objects.using("audit").filter(action="import").exists()
    monkeypatch.setattr(services, "_write_entry", original)
    again = import_paths([clean_but_one(tmp_path / "ds2", "none")])
    assert again.ok and Pupil.objects.count() == 1
    assert AuditEntry.objects.using("audit").filter(action="import").exists()
