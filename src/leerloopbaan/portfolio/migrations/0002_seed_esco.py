"""Load the bundled ESCO transversal skills (Dutch and English labels; see portfolio/esco/data)."""

from django.db import migrations


def seed(apps, schema_editor):
    from leerloopbaan.portfolio.esco.loader import load_bundled, skill_row

    EscoSkill = apps.get_model("portfolio", "EscoSkill")
    release = load_bundled()
    existing = set(EscoSkill.objects.values_list("uri", flat=True))
    EscoSkill.objects.bulk_create([EscoSkill(uri=r.uri, **skill_row(r, release.version))
                                   for r in release.skills if r.uri not in existing])


def unseed(apps, schema_editor):
    pass  # skills may be in use by achievements; they stay


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
