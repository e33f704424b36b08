"""Load the bundled ESCO transversal skills (Dutch and English labels; see portfolio/esco/data)."""

from django.db import migrations


def seed(apps, schema_editor):
    from leerloopbaan.portfolio.esco.loader import load_bundled

    EscoSkill = apps.get_model("portfolio", "EscoSkill")
    release = load_bundled()
    existing = set(EscoSkill.objects.values_list("uri", flat=True))
    EscoSkill.objects.bulk_create([
        EscoSkill(uri=r.uri, release=release.version, skill_type=r.skill_type, label_nl=r.label_nl[:300],
                  label_en=r.label_en[:300], description_nl=r.description_nl or "", description_en=r.description_en or "",
                  group_nl=(r.group_nl or "")[:300], group_en=(r.group_en or "")[:300],
                  alt_labels=" | ".join([*r.alt_nl, *r.alt_en]))
        for r in release.skills if r.uri not in existing
    ])


def unseed(apps, schema_editor):
    pass  # skills may be in use by achievements; they stay


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
