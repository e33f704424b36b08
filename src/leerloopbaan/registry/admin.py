from django.contrib import admin

from leerloopbaan.registry.models import Clb, ImportRun, School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("school_number", "name", "network", "level", "district", "clb")
    list_filter = ("network", "level", "district")
    search_fields = ("school_number", "name")


@admin.register(Clb)
class ClbAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "user", "source", "status", "dry_run")
    list_filter = ("status", "source")

    def has_change_permission(self, request, obj=None):
        return False
