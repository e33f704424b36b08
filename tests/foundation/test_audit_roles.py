"""Issue 14: the application's database role cannot change the audit log (PostgreSQL).

The roles are set up as docs/deploy.md says: the migration role owns the schema (here the test
database's owner, the role the tests run as), the application role owns nothing and gets the grants
of ``leerloopbaan audit_db_roles``. Connected as the application role, every way to change or remove
entries fails; the retention purge function removes only entries older than the retention.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from leerloopbaan.kernel.audit.database import (
    app_role_grants,
    retention_in_database,
    set_retention,
    sync_retention,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SRC = Path(__file__).resolve().parents[2] / "src"


def _superuser_cursor():
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    cur = connection.cursor()
    cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cur.fetchone()[0]:
        pytest.skip("creating the test roles needs a superuser (CI connects as postgres)")
    return cur


def _dsn(role: str, password: str, dbname: str | None = None) -> dict:
    s = connections["default"].settings_dict
    dsn = {"host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432, "dbname": dbname or s["NAME"], "user": role}
    return {**dsn, "password": password} if password else dsn


def _url(dsn: dict) -> str:
    return f"postgres://{dsn['user']}:{dsn.get('password', '')}@{dsn['host']}:{dsn['port']}/{dsn['dbname']}"


@pytest.fixture
def app_role():
    """A login role granted as documented; dropped afterwards with every privilege it was given."""
    cur = _superuser_cursor()
    name, password = f"lb_audit_app_{secrets.token_hex(4)}", secrets.token_hex(16)
    cur.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', [password])
    try:
        for sql in app_role_grants(name):
            cur.execute(sql)
        yield _dsn(name, password)
    finally:
        cur.execute(f'DROP OWNED BY "{name}"')  # its grants and default privileges in this database
        cur.execute(f'DROP ROLE "{name}"')
        cur.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
        assert cur.fetchone()[0] == 0
        cur.close()


INSERT = """INSERT INTO audit_auditentry (at, action, actor_email, role, subject_type, subjects, subject_count,
    object_repr, purpose, request_id, path, detail)
    VALUES (now() - make_interval(days => %s), 'read', '', '', 'pupil', %s, 1, '', %s, '', '', '{}') RETURNING id"""


def _as_app(dsn):
    import psycopg

    return psycopg.connect(**dsn, autocommit=True)


def _refused(conn, *statements):
    """Every statement, in a fresh transaction, fails for want of privilege."""
    import psycopg

    for sql in statements:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(sql)


def test_the_application_role_cannot_change_or_remove_entries(app_role):
    with _as_app(app_role) as conn:
        days = conn.execute("SELECT days FROM audit_retention").fetchone()[0]
        entry = conn.execute(INSERT, [0, "victim", "written by the app"]).fetchone()[0]
        old = conn.execute(INSERT, [days + 1, "expired", "expired"]).fetchone()[0]
        _refused(
            conn,
            f"UPDATE audit_auditentry SET purpose = 'changed' WHERE id = {entry}",
            f"DELETE FROM audit_auditentry WHERE id = {entry}",
            f"DELETE FROM audit_auditentry WHERE id = {old}",  # not even an expired one, but through the purge
            "TRUNCATE audit_auditentry",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only",
            "DROP TRIGGER audit_auditentry_append_only ON audit_auditentry",
            "ALTER TABLE audit_auditentry OWNER TO CURRENT_USER",
            "SET session_replication_role = replica",
            "UPDATE audit_retention SET days = 1",
            "CREATE OR REPLACE FUNCTION audit_purge_expired() RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'",
        )
        # 0002's way out: announce a cut-off in the session, then delete.
        conn.execute("SELECT set_config('leerloopbaan.audit_purge_before', '2999-01-01', false)")
        _refused(conn, f"DELETE FROM audit_auditentry WHERE id = {entry}", "TRUNCATE audit_auditentry")
        rows = conn.execute("SELECT id, purpose FROM audit_auditentry WHERE id IN (%s, %s)", [entry, old]).fetchall()
    assert sorted(rows) == sorted([(entry, "written by the app"), (old, "expired")])


def test_even_granted_every_privilege_by_mistake_the_triggers_refuse(app_role):
    cur = _superuser_cursor()
    cur.execute(f'GRANT ALL ON audit_auditentry TO "{app_role["user"]}"')
    with _as_app(app_role) as conn:
        entry = conn.execute(INSERT, [0, "victim", "kept"]).fetchone()[0]
        conn.execute("SELECT set_config('leerloopbaan.audit_purge_before', '2999-01-01', false)")
        _refused(
            conn,
            f"UPDATE audit_auditentry SET purpose = 'changed' WHERE id = {entry}",
            f"DELETE FROM audit_auditentry WHERE id = {entry}",
            "TRUNCATE audit_auditentry",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL",
        )
        assert conn.execute("SELECT purpose FROM audit_auditentry WHERE id = %s", [entry]).fetchone() == ("kept",)


def test_the_purge_function_removes_only_entries_older_than_the_retention(app_role):
    with _as_app(app_role) as conn:
        days = conn.execute("SELECT days FROM audit_retention").fetchone()[0]
        expired = conn.execute(INSERT, [days + 1, "expired", "expired"]).fetchone()[0]
        almost = conn.execute(INSERT, [days - 1, "almost", "almost"]).fetchone()[0]
        fresh = conn.execute(INSERT, [0, "fresh", "fresh"]).fetchone()[0]
        # A temporary table of the caller cannot stand in for the retention the function reads.
        conn.execute("CREATE TEMP TABLE audit_retention (id boolean, days integer)")
        conn.execute("INSERT INTO audit_retention VALUES (true, 1)")
        assert conn.execute("SELECT audit_purge_expired()").fetchone() == (1,)
        left = {row[0] for row in conn.execute("SELECT id FROM audit_auditentry WHERE id IN (%s, %s, %s)",
                                               [expired, almost, fresh])}
    assert left == {almost, fresh}


def test_the_audit_purge_command_runs_as_the_application_role(app_role):
    with _as_app(app_role) as conn:
        days = conn.execute("SELECT days FROM audit_retention").fetchone()[0]
        expired = conn.execute(INSERT, [days + 1, "expired", "expired"]).fetchone()[0]
        fresh = conn.execute(INSERT, [0, "fresh", "fresh"]).fetchone()[0]
    env = {**os.environ, "DATABASE_URL": _url(app_role), "PYTHONPATH": str(SRC)}
    result = subprocess.run([sys.executable, "-m", "leerloopbaan.cli", "audit_purge"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 audit entries older than the retention period removed" in result.stdout
    with _as_app(app_role) as conn:
        left = {row[0] for row in conn.execute("SELECT id FROM audit_auditentry WHERE id IN (%s, %s)", [expired, fresh])}
        purge_entry = conn.execute("SELECT count(*) FROM audit_auditentry WHERE purpose = 'retention'").fetchone()
    assert left == {fresh} and purge_entry == (1,)


def test_migrate_stores_the_retention_and_only_the_owner_may_change_it(app_role, settings):
    before = retention_in_database()
    try:
        settings.AUDIT_RETENTION_DAYS = 77
        sync_retention(using="default")
        assert retention_in_database() == 77
    finally:
        set_retention(before)
    with _as_app(app_role) as conn:
        _refused(conn, "UPDATE audit_retention SET days = 1", "DELETE FROM audit_retention")


@pytest.mark.slow
def test_migrate_needs_no_superuser_when_btree_gist_exists(settings):
    """The migration role owns a fresh database in which a superuser created btree_gist (docs/deploy.md);
    it migrates every app, and owns every table and the purge function."""
    cur = _superuser_cursor()
    tag = secrets.token_hex(4)
    owner, password, dbname = f"lb_audit_owner_{tag}", secrets.token_hex(16), f"lb_audit_migrate_{tag}"
    cur.execute(f'CREATE ROLE "{owner}" LOGIN PASSWORD %s', [password])
    try:
        cur.execute(f'CREATE DATABASE "{dbname}" OWNER "{owner}"')
        import psycopg

        superuser = connections["default"].settings_dict
        with psycopg.connect(**_dsn(superuser["USER"], superuser["PASSWORD"], dbname), autocommit=True) as su:
            su.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        dsn = _dsn(owner, password, dbname)
        env = {**os.environ, "DATABASE_URL": _url(dsn), "PYTHONPATH": str(SRC)}
        result = subprocess.run([sys.executable, "-m", "leerloopbaan.cli", "migrate", "--noinput"], env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        with psycopg.connect(**dsn) as conn:
            owners = {row[0] for row in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
            purge_owner = conn.execute("SELECT proowner::regrole::text FROM pg_proc WHERE proname = 'audit_purge_expired'").fetchone()
            days = conn.execute("SELECT days FROM audit_retention").fetchone()
        assert owners == {owner} and purge_owner == (owner,) and days == (settings.AUDIT_RETENTION_DAYS,)
    finally:
        cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        cur.execute(f'DROP ROLE "{owner}"')
        cur.close()


def _check_deploy(database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERLOOPBAAN_") and k != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(SRC),
        "LEERLOOPBAAN_SECRET_KEY": secrets.token_urlsafe(48),
        "LEERLOOPBAAN_PSEUDONYM_KEY": secrets.token_urlsafe(24),
        "LEERLOOPBAAN_SIGNING_KEY": secrets.token_urlsafe(32),
        "LEERLOOPBAAN_PUBLIC_URL": "https://leerloopbaan.example.be",
        "LEERLOOPBAAN_ALLOWED_HOSTS": "leerloopbaan.example.be",
        "LEERLOOPBAAN_EMAIL_URL": "smtp+tls://mailer:secret@mail.example.be:587",
        "LEERLOOPBAAN_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "LEERLOOPBAAN_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    })
    return subprocess.run([sys.executable, "-m", "leerloopbaan.cli", "check_deploy"], env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_passes_as_the_application_role_set_up_as_documented(app_role):
    result = _check_deploy(_url(app_role))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISSING" not in result.stdout and "ready for production" in result.stdout
    assert "the application role may only read and append" in result.stdout


def test_check_deploy_reports_a_superuser_and_the_owner(app_role):
    s = connections["default"].settings_dict
    owner = _dsn(s["USER"] or "postgres", s["PASSWORD"] or "")
    result = _check_deploy(_url(owner))
    assert result.returncode == 1
    missing = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("MISSING")]
    assert missing[:1] == ["application"] and "audit" in missing, result.stdout
