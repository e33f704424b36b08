"""The school's own class label of an enrolment (3B, 5 ECWI), optional in the enrolments file.

Adding a column rebuilds the table on SQLite, which drops its triggers: the enrolment overlap
triggers of 0002 are created again afterwards (as 0006 does)."""

import importlib

from django.db import migrations, models


def _recreate_overlap_triggers(apps, schema_editor):
    importlib.import_module("leerloopbaan.registry.migrations.0006_record_times")._recreate_overlap_triggers(
        apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_record_times"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrolment",
            name="class_group",
            field=models.CharField(blank=True, db_default="", default="", max_length=20, verbose_name="class"),
        ),
        migrations.RunPython(_recreate_overlap_triggers, migrations.RunPython.noop, elidable=False),
    ]
