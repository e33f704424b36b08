"""Every enrolment, absence, attestation and characteristics row keeps when it entered the platform
(``recorded_at``), and enrolments and attestations when an import last changed them (``changed_at``).

Rows that exist already get the time of this migration: when they really arrived is not known.
The database fills both for any insert that does not name them (``db_default``); the import stamps
them itself with one moment per import.

SQLite rebuilds a table to add a column with a non-constant default, and a rebuild drops the
table's triggers: the enrolment overlap triggers of 0002 are created again afterwards.
"""

import importlib

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models


def _recreate_overlap_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    overlap = importlib.import_module("leerloopbaan.registry.migrations.0002_enrolment_no_overlap")
    for sql in overlap.SQLITE_CREATE:
        schema_editor.execute(sql)


def _field(label):
    return models.DateTimeField(
        db_default=django.db.models.functions.datetime.Now(),
        default=django.utils.timezone.now,
        editable=False,
        verbose_name=label,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_importrun_held"),
    ]

    operations = [
        migrations.AddField(model_name="absence", name="recorded_at", field=_field("recorded")),
        migrations.AddField(model_name="attestation", name="changed_at", field=_field("last changed")),
        migrations.AddField(model_name="attestation", name="recorded_at", field=_field("recorded")),
        migrations.AddField(model_name="enrolment", name="changed_at", field=_field("last changed")),
        migrations.AddField(model_name="enrolment", name="recorded_at", field=_field("recorded")),
        migrations.AddField(model_name="pupilcharacteristics", name="recorded_at", field=_field("recorded")),
        migrations.RunPython(_recreate_overlap_triggers, migrations.RunPython.noop, elidable=False),
    ]
