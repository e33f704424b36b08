"""The registry of file kinds: each app registers the files it owns; the importer knows none of them."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry.importer import FileKind, UnknownKind, collect_files, import_paths, kinds
from leerloopbaan.registry.importer.rules import Invalid

from .conftest import write

REGISTERED = ("schools", "pupils", "enrolments", "absences", "attestations", "test_results")


def test_the_apps_register_their_kinds_in_write_order():
    assert kinds.names() == REGISTERED
    owners = {k.name: k.owner for k in kinds.registered()}
    assert owners == {"schools": "registry", "pupils": "registry", "enrolments": "registry", "absences": "registry",
                      "attestations": "registry", "test_results": "assessments"}


def test_an_unknown_kind_is_refused_with_the_registered_kinds():
    with pytest.raises(UnknownKind) as refused:
        kinds.get("staff")
    message = str(refused.value)
    assert "unknown file kind 'staff'" in message
    assert "the registered kinds are: " + ", ".join(REGISTERED) in message
    assert kinds.get("absences").name == "absences"


def test_another_kind_under_a_registered_name_is_an_error():
    clash = FileKind(name="pupils", order=1, required=("x",), load=lambda imp, files: None, owner="elsewhere")
    with pytest.raises(ValueError, match="already registered by registry"):
        kinds.register(clash)
    kinds.register(kinds.get("pupils"))  # the same kind again: nothing changes
    assert kinds.names() == REGISTERED


def test_the_kinds_use_only_the_public_interface_of_the_importer():
    """No kind reaches into the importer's private methods or attributes (``imp._...``)."""
    modules = {importlib.import_module(k.load.__module__) for k in kinds.registered()}
    modules.add(importlib.import_module("leerloopbaan.registry.importer.absences_fast"))
    assert len(modules) == 7
    for module in modules:
        tree = ast.parse(inspect.getsource(module))
        private = sorted({node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                          and isinstance(node.value, ast.Name) and node.value.id == "imp" and node.attr.startswith("_")})
        assert not private, f"{module.__name__} uses {private}"


@pytest.fixture
def notes_kind():
    """A kind a new app would add (e.g. staff or survey responses), reading through the public interface."""
    seen = []

    def level(value: str) -> int:
        if value not in ("1", "2", "3"):
            raise Invalid("unknown level", "1, 2 or 3")
        return int(value)

    def load(imp, files):
        for name, path in files:
            imp.count(name)
            for line, row in imp.rows(name, kind, path):
                errs = []
                number = imp.school_ref(row, errs)
                value = imp.field(row, "level", level, errs)
                if imp.report_row(name, line, errs):
                    seen.append((number, value))
                    imp.count(name)["added"] += 1

    kind = FileKind(name="notes", order=15, required=("school_number", "level"), load=load, owner="tests")
    kinds.register(kind)
    yield seen
    kinds.unregister("notes")


@pytest.mark.django_db
def test_a_registered_kind_is_imported_in_its_place(tmp_path, notes_kind):
    folder = tmp_path / "set"
    write(folder, "schools.csv", ["school_number", "name", "network", "level", "district"],
          [["100", "School A", "CITY", "secondary", "Deurne"]])
    write(folder, "notes.csv", ["school_number", "level"], [["100", "2"]])
    found, errors = collect_files([folder])
    assert not errors and [k.name for k, _p in found] == ["schools", "notes"]  # order 15: after schools
    result = import_paths([folder])
    assert result.ok, result.report_text()
    assert notes_kind == [("100", 2)]
    assert result.counts["notes.csv"]["added"] == 1


@pytest.mark.django_db
def test_a_registered_kind_reports_its_rows_like_any_other(tmp_path, notes_kind):
    folder = tmp_path / "set"
    write(folder, "notes.csv", ["school_number", "level", "colour"], [["999", "7", "red"]])
    result = import_paths([folder])
    assert not result.ok
    assert [e.reason for e in result.errors] == ["unknown column(s): colour"]
    write(folder, "notes.csv", ["school_number", "level"], [["999", "7"]])
    result = import_paths([folder])
    assert {(e.column, e.reason) for e in result.errors} == {("school_number", "unknown school"), ("level", "unknown level")}
    assert notes_kind == []


@pytest.mark.django_db
def test_the_upload_page_names_the_registered_kinds(tmp_path, make_user, login):
    c = login(make_user(Role.CITY_ANALYST))
    upload = SimpleUploadedFile("leerlingen.csv", b"a,b\n1,2\n", content_type="text/csv")
    body = c.post(reverse("registry:import"), {"files": [upload]}, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Onbekende bestandsnaam: leerlingen.csv. Gebruik schools, pupils, enrolments, absences, attestations of test_results" in body
    assert ("Bestanden (<code>schools</code> (scholen), <code>pupils</code> (leerlingen), <code>enrolments</code> (inschrijvingen), "
            "<code>absences</code> (afwezigheden), <code>attestations</code> (attesten), <code>test_results</code> (toetsresultaten); "
            "CSV of XLSX)") in body
