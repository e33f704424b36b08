"""Two enrolments of one pupil may not overlap in time (data-format.md).

PostgreSQL: an exclusion constraint over the enrolment's date range (btree_gist).
SQLite: triggers that refuse an overlapping insert or update.
An open enrolment (no end date) runs to infinity.
"""

from django.db import migrations

PG_CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE registry_enrolment ADD CONSTRAINT enrolment_no_overlap EXCLUDE USING gist (
    pupil_id WITH =,
    daterange(start_date, end_date, '[]') WITH &&
);
"""
PG_DROP = "ALTER TABLE registry_enrolment DROP CONSTRAINT IF EXISTS enrolment_no_overlap;"

_SQLITE_CHECK = """
    SELECT RAISE(ABORT, 'enrolment_no_overlap: two enrolments of one pupil overlap in time')
    WHERE EXISTS (
        SELECT 1 FROM registry_enrolment e
        WHERE e.pupil_id = NEW.pupil_id AND e.id <> COALESCE(NEW.id, -1)
          AND e.start_date <= COALESCE(NEW.end_date, '9999-12-31')
          AND NEW.start_date <= COALESCE(e.end_date, '9999-12-31')
    );
"""
SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS enrolment_no_overlap_insert BEFORE INSERT ON registry_enrolment BEGIN {_SQLITE_CHECK} END;",
    f"CREATE TRIGGER IF NOT EXISTS enrolment_no_overlap_update BEFORE UPDATE ON registry_enrolment BEGIN {_SQLITE_CHECK} END;",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS enrolment_no_overlap_insert;", "DROP TRIGGER IF EXISTS enrolment_no_overlap_update;"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
