"""Seed the learning-gain tests: Dutch, reading and maths at ages 6, 12 and 18 (the city's moments)
and at the moments of the Flemish central tests (end of P4, P6, S2, S6).

The instruments of one domain share one vertical scale (``LGT-2028``), so a later score minus an
earlier one is a learning gain. The names are the city's own; they are not the Flemish tests.
"""

from django.db import migrations

SCALE = "LGT-2028"
DOMAINS = [("dutch", "NL", "Nederlands"), ("reading", "LE", "begrijpend lezen"), ("maths", "WI", "wiskunde")]
# moment, code suffix, name suffix, score range
MOMENTS = [
    ("age6", "6", "6 jaar", 50, 350),
    ("P4", "P4", "einde vierde leerjaar (P4)", 100, 400),
    ("P6", "P6", "einde zesde leerjaar (P6)", 100, 450),
    ("age12", "12", "12 jaar", 100, 450),
    ("S2", "S2", "einde tweede jaar secundair (S2)", 150, 500),
    ("S6", "S6", "einde zesde jaar secundair (S6)", 150, 550),
    ("age18", "18", "18 jaar", 150, 550),
]
FLEMISH = {"P4", "P6", "S2", "S6"}


def seed(apps, schema_editor):
    Instrument = apps.get_model("assessments", "Instrument")
    for domain, short, label in DOMAINS:
        for moment, suffix, when, lo, hi in MOMENTS:
            description = ("Afgenomen op het moment van de Vlaamse toetsen; eigen toets van de stad op de gedeelde schaal."
                           if moment in FLEMISH else "Leerwinsttoets van de stad op de gedeelde schaal.")
            Instrument.objects.update_or_create(code=f"LGT-{short}-{suffix}", defaults=dict(
                name=f"Leerwinsttoets {label} {when}", domain=domain, moment=moment, scale_version=SCALE,
                score_min=lo, score_max=hi, description=description, active=True))


def unseed(apps, schema_editor):
    Instrument = apps.get_model("assessments", "Instrument")
    codes = [f"LGT-{short}-{suffix}" for _d, short, _l in DOMAINS for _m, suffix, _w, _lo, _hi in MOMENTS]
    Instrument.objects.filter(code__in=codes, results__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
