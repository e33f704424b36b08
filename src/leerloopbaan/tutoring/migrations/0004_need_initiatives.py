"""A need names the initiatives the school asked; their coordinators see it, their runs match it.

Needs entered before were offered to the shared pool of every initiative: they keep being offered
to every initiative that exists now, so no waiting pupil drops out of matching."""

from django.db import migrations, models


def ask_every_initiative(apps, schema_editor):
    Initiative = apps.get_model("tutoring", "Initiative")
    TutoringNeed = apps.get_model("tutoring", "TutoringNeed")
    through = TutoringNeed.initiatives.through
    initiative_ids = list(Initiative.objects.values_list("pk", flat=True))
    rows = [through(tutoringneed_id=need_id, initiative_id=ini)
            for need_id in TutoringNeed.objects.values_list("pk", flat=True).iterator() for ini in initiative_ids]
    through.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):

    dependencies = [
        ("tutoring", "0003_tutors_training_modules"),
    ]

    operations = [
        migrations.AddField(
            model_name="tutoringneed",
            name="initiatives",
            field=models.ManyToManyField(blank=True, related_name="needs", to="tutoring.initiative", verbose_name="initiatives asked"),
        ),
        migrations.RunPython(ask_every_initiative, migrations.RunPython.noop),
    ]
