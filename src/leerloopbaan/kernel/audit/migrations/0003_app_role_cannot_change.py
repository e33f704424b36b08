"""PostgreSQL: the application's database role cannot change the audit log (issue 14).

0002 let a DELETE through when the session announced a cut-off with set_config(), which any caller
can do. From here on nothing the caller sets is trusted:

- the retention period lives in the database (``audit_retention``, one row, kept equal to
  LEERLOOPBAAN_AUDIT_RETENTION_DAYS by every ``migrate`` of the migration role, see
  ``kernel.audit.database``); the application role may read it, not change it;
- the row trigger refuses every UPDATE, and every DELETE of an entry younger than that retention
  (by the database clock), whoever asks;
- a statement trigger refuses TRUNCATE to everyone but the table's owner (the migration role,
  which could disable the trigger anyway; Django's test flush runs as it);
- the retention purge is ``audit_purge_expired()``, a SECURITY DEFINER function owned by the
  migration role: it takes no argument and deletes only what the trigger lets through.

Privileges do the rest (docs/deploy.md): the application role does not own the table, so it cannot
ALTER it (DISABLE TRIGGER) or TRUNCATE it, and it is granted only SELECT and INSERT on it.

Every name in the functions is qualified with the schema the migration runs in, and their
search_path puts pg_temp last, so a temporary table or function of the caller cannot stand in.
"""

import importlib

from django.conf import settings
from django.db import migrations


def _schema(schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT quote_ident(current_schema())")
        return cur.fetchone()[0]


CREATE = r"""
CREATE TABLE IF NOT EXISTS {s}.audit_retention (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    days integer NOT NULL CHECK (days > 0)
);
INSERT INTO {s}.audit_retention (id, days) VALUES (true, {days}) ON CONFLICT (id) DO NOTHING;

CREATE OR REPLACE FUNCTION {s}.audit_auditentry_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = {s}, pg_temp AS $$
BEGIN
    -- No retention row: nothing is old enough (the comparison is NULL).
    IF TG_OP = 'DELETE'
       AND OLD.at < now() - make_interval(days => (SELECT r.days FROM {s}.audit_retention r)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON {s}.audit_auditentry;
CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE OR DELETE ON {s}.audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION {s}.audit_auditentry_append_only();

CREATE OR REPLACE FUNCTION {s}.audit_auditentry_no_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = {s}, pg_temp AS $$
BEGIN
    IF pg_catalog.pg_has_role(current_user,
                              (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                              'MEMBER') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON {s}.audit_auditentry;
CREATE TRIGGER audit_auditentry_no_truncate BEFORE TRUNCATE ON {s}.audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_auditentry_no_truncate();

CREATE OR REPLACE FUNCTION {s}.audit_purge_expired() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {s}, pg_temp AS $$
DECLARE
    deleted bigint;
BEGIN
    DELETE FROM {s}.audit_auditentry
     WHERE at < now() - make_interval(days => (SELECT r.days FROM {s}.audit_retention r));
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END;
$$;
REVOKE ALL ON FUNCTION {s}.audit_purge_expired() FROM PUBLIC;
"""

DROP = """
DROP FUNCTION IF EXISTS {s}.audit_purge_expired();
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON {s}.audit_auditentry;
DROP FUNCTION IF EXISTS {s}.audit_auditentry_no_truncate();
DROP TABLE IF EXISTS {s}.audit_retention;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (the demo): the triggers of 0002 and the model's refusals
    sql = CREATE.format(s=_schema(schema_editor), days=int(settings.AUDIT_RETENTION_DAYS))
    schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP.format(s=_schema(schema_editor)), params=None)
    previous = importlib.import_module(f"{__package__}.0002_append_only_trigger")
    schema_editor.execute(previous.CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
