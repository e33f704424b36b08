from django.contrib import admin

from leerloopbaan.kernel.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Search the log: by actor, subject (a pupil key), request id, purpose; filter by action and role."""

    list_display = ("at", "actor_email", "role", "action", "subject_type", "subject_count", "purpose", "path")
    list_filter = ("action", "role", "subject_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_email", "subjects", "request_id", "purpose", "object_repr", "path")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
