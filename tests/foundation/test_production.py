"""Production is the default: every command but `leerloopbaan demo` runs in production mode, which
never uses a demo value, serves nothing without its secrets, PostgreSQL and its public https
address, and says what it lacks (`check_deploy`). Browser security: CSP, HSTS, upload limits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "worked_example"

GOOD = {
    "LEERLOOPBAAN_SECRET_KEY": "s" * 50,
    "LEERLOOPBAAN_PSEUDONYM_KEY": "p" * 32,
    "LEERLOOPBAAN_SIGNING_KEY": "k" * 40,
    "LEERLOOPBAAN_PUBLIC_URL": "https://leerloopbaan.example.be",
    "LEERLOOPBAAN_ALLOWED_HOSTS": "leerloopbaan.example.be",
    "LEERLOOPBAAN_EMAIL_URL": "smtp+tls://mailer:secret@mail.example.be:587",
    "LEERLOOPBAAN_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
}


def run(args, env_extra, tmp_path, timeout=180):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERLOOPBAAN_") and k != "DATABASE_URL"}
    env.update({"LEERLOOPBAAN_DATA_DIR": str(tmp_path), **env_extra})
    return subprocess.run([sys.executable, "-m", "leerloopbaan.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def settings_of(names, env_extra, tmp_path):
    code = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','leerloopbaan.settings');django.setup();"
            f"from django.conf import settings;print([getattr(settings,n,None) for n in {names!r}])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERLOOPBAAN_") and k != "DATABASE_URL"}
    env.update({"LEERLOOPBAAN_DATA_DIR": str(tmp_path), **env_extra})
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own repr of plain values


def test_without_leerloopbaan_env_it_is_production(tmp_path):
    production, show_totp, secure_cookie, hsts, redirect, pseudonym = settings_of(
        ["PRODUCTION", "DEMO_SHOW_TOTP", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "PSEUDONYM_KEY"],
        {}, tmp_path)
    assert production and not show_totp and secure_cookie and hsts >= 180 * 86400 and redirect
    assert pseudonym is None  # never the public demo key
    assert not (tmp_path / "secret_key").exists()  # no demo secret written


@pytest.mark.parametrize("value", ["Production", "prod", "development", "DEMO", ""])
def test_an_unknown_mode_is_refused(tmp_path, value):
    result = run(["check"], {"LEERLOOPBAAN_ENV": value}, tmp_path)
    assert result.returncode == 2
    assert "is not a mode" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_in_production_without_secrets_database_and_address(tmp_path):
    result = run(["serve", "--port", "8765"], {}, tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for lacking in ("secret key", "pseudonym key", "signing key", "database", "public address"):
        assert lacking in result.stderr
    assert "embedded SQLite" in result.stderr  # production refuses SQLite


def test_serve_refuses_sqlite_even_with_every_secret(tmp_path):
    result = run(["serve", "--port", "8765"], GOOD, tmp_path)
    assert result.returncode == 2 and "database" in result.stderr and "secret key" not in result.stderr


def test_the_wsgi_application_refuses_too(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERLOOPBAAN_") and k != "DATABASE_URL"}
    env.update({"LEERLOOPBAAN_DATA_DIR": str(tmp_path), **GOOD, "LEERLOOPBAAN_PUBLIC_URL": "http://localhost:8000"})
    out = subprocess.run([sys.executable, "-c", "import leerloopbaan.wsgi"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "Refusing to serve in production" in out.stderr and "public address" in out.stderr


def test_the_demo_command_refuses_production(tmp_path):
    result = run(["demo", "--no-serve"], {"LEERLOOPBAAN_ENV": "production"}, tmp_path)
    assert result.returncode == 2 and "demo runs only in demo mode" in result.stderr


def test_import_of_national_numbers_needs_the_pseudonym_key(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    (data / "schools.csv").write_text((FIXTURES / "schools.csv").read_text())
    (data / "pupils.csv").write_text("national_number,birth_date,sex,as_of,home_language_not_dutch,mother_low_education,"
                                     "school_allowance,neighbourhood_high_delay\n"
                                     "10022712396,2010-02-27,F,2024-09-01,0,0,0,0\n")
    result = run(["import", str(data)], {}, tmp_path / "var")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "LEERLOOPBAAN_PSEUDONYM_KEY is not set" in result.stderr and "Traceback" not in result.stderr
    assert "10022712396" not in result.stdout + result.stderr


def test_check_deploy_on_a_demo_configured_install(tmp_path):
    result = run(["check_deploy"], {"LEERLOOPBAAN_ENV": "demo"}, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines() if line[:1] in ("o", "M", "a") and len(line.split()) > 1}
    for name in ("mode", "secret", "pseudonym", "signing", "database", "public", "https", "HSTS"):
        assert lines[name] == "MISSING", result.stdout
    assert "thing(s) missing for production" in result.stdout


def test_check_deploy_on_a_production_configured_install_lists_only_the_database(tmp_path):
    result = run(["check_deploy"], GOOD, tmp_path)
    missing = [line for line in result.stdout.splitlines() if line.startswith("MISSING")]
    assert result.returncode == 1
    # every secret, HTTPS, HSTS, CSP and mail are in place; the embedded SQLite database is not production
    assert [m.split()[1] for m in missing] == ["database", "audit"], result.stdout


# --- in process: headers and upload limits ---------------------------------------------------------

@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get("/account/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert 'style="' not in response.content.decode()


def test_no_template_or_chart_writes_inline_style_or_script():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "src" / "leerloopbaan"
    offenders = []
    for path in list(root.rglob("*.html")) + list(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"""\sstyle=["']""", text) or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


@pytest.mark.django_db
def test_a_large_anonymous_upload_is_refused_before_it_is_read(client):
    # The body is one byte; the header claims 50 MB. Reading past the byte would fail (FakePayload),
    # so a 413 proves the limit is checked before the body is read.
    response = client.generic("POST", "/portfolio/verify/", b"x", content_type="application/json",
                              CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413
    assert "te groot" in response.content.decode()
    api = client.generic("POST", "/api/v1/credentials/verify", b"x", content_type="application/json",
                         CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert api.status_code == 413 and "detail" in api.json()


@pytest.mark.django_db
def test_every_view_has_an_upload_limit(client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = client.generic("POST", "/account/login/", b"x", content_type="application/x-www-form-urlencoded",
                              CONTENT_LENGTH="5000")
    assert response.status_code == 413


def test_signing_keys_are_sealed_with_their_own_rotatable_key(settings):
    from cryptography.fernet import InvalidToken

    from leerloopbaan.portfolio.youth import services

    settings.SIGNING_KEYS = ["a" * 40]
    settings.SECRET_KEY = "one-secret-" + "x" * 40
    sealed = services._sealer().encrypt(b"issuer secret")
    settings.SECRET_KEY = "another-secret-" + "y" * 40  # rotating the Django secret loses nothing
    assert services._sealer().decrypt(sealed) == b"issuer secret"
    settings.SIGNING_KEYS = ["b" * 40, "a" * 40]  # the new key in front
    resealed = services._sealer().rotate(sealed)
    settings.SIGNING_KEYS = ["b" * 40]  # the old key dropped
    assert services._sealer().decrypt(resealed) == b"issuer secret"
    settings.SIGNING_KEYS = ["c" * 40]
    settings.DEMO = False
    with pytest.raises(InvalidToken):
        services._sealer().decrypt(resealed)
