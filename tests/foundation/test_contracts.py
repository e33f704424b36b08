"""Contracts CI checks: migrations match the models, the committed OpenAPI schema is current."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"


@pytest.mark.django_db
def test_no_missing_migrations():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"models and migrations differ (exit {exc.code}):\n{out.getvalue()}")


def test_committed_openapi_schema_is_current(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--lang", "en", "--file", str(generated), "--validate", "--fail-on-warn")
    assert SCHEMA.exists(), "docs/api/openapi.yaml is missing: run `leerloopbaan spectacular --lang en --file docs/api/openapi.yaml`"
    assert generated.read_text() == SCHEMA.read_text(), (
        "the API changed but docs/api/openapi.yaml did not: run `leerloopbaan spectacular --lang en --file docs/api/openapi.yaml` and commit it"
    )
