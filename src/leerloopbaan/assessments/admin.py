from django.contrib import admin

from leerloopbaan.assessments.models import Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    """Instruments are not personal data; results are (they are read through the selectors only)."""

    list_display = ("code", "name", "domain", "moment", "scale_version", "score_min", "score_max", "active")
    list_filter = ("domain", "moment", "scale_version", "active")
    search_fields = ("code", "name")
