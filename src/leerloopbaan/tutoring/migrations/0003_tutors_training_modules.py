"""The standard training every tutor follows before matching, the same for every initiative.

Titles and descriptions are data in the data language (Dutch); the code stays English.
English titles, for reference: "Introduction and code of conduct", "How to teach a child",
"Dealing with multilingualism", "Safety and boundaries (duty to report)".
Idempotent: a module whose code exists is left as it is (an admin may have reworded it).
"""

from django.db import migrations

MODULES = [
    ("kennismaking-gedragscode", "Kennismaking en gedragscode",
     "Wie we zijn, hoe een tutortraject verloopt en de gedragscode die elke tutor ondertekent.", 1),
    ("hoe-leer-je-een-kind-iets-bij", "Hoe leer je een kind iets bij",
     "Uitleggen, oefenen, feedback geven en motiveren: didactiek voor bijles aan kinderen en jongeren.", 2),
    ("omgaan-met-meertaligheid", "Omgaan met meertaligheid",
     "Taalondersteuning in het Nederlands, de thuistaal als hefboom, helder en eenvoudig taalgebruik.", 3),
    ("veiligheid-en-grenzen", "Veiligheid en grenzen (meldplicht)",
     "Professionele grenzen, veilig online en face-to-face werken, signalen herkennen en wanneer en bij wie je meldt.", 4),
]


def forwards(apps, schema_editor):
    TrainingModule = apps.get_model("tutoring", "TrainingModule")
    for code, title, description, order in MODULES:
        TrainingModule.objects.get_or_create(code=code, defaults={
            "title": title, "description": description, "required": True, "order": order})


def backwards(apps, schema_editor):
    TrainingModule = apps.get_model("tutoring", "TrainingModule")
    TrainingCompletion = apps.get_model("tutoring", "TrainingCompletion")
    codes = [m[0] for m in MODULES]
    used = set(TrainingCompletion.objects.filter(module__code__in=codes).values_list("module__code", flat=True))
    TrainingModule.objects.filter(code__in=[c for c in codes if c not in used]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("tutoring", "0002_tutors_version_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
