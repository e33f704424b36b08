"""Admin site: the administrator manages the tutoring initiatives (coordinators, weights, rules, capacity) and
the training modules. Tutors are not in the admin site: their records are read through the audited
coordinator pages only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.models import User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.tutoring.models import Initiative, TrainingModule


class InitiativeAdminForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = ("name", "kind", "organisation", "description", "capacity", "weights", "rules", "coordinators", "active")
        help_texts = {
            "weights": _("For example {\"subject\": 25, \"level\": 20, \"distance\": 20, \"language\": 15, \"quality\": 20}; "
                         "whole numbers of 0 or more, at least one above 0; empty ({}) for the defaults."),
            "rules": _("Which pupils its tutors may take, for example {\"open\": true, \"age_groups\": [\"primary\"], "
                       "\"districts\": [\"Deurne\"]}. \"open\": also pupils whose school asked another initiative; the lists "
                       "(age_groups, subjects, districts) restrict. Empty ({}): only the pupils whose school asked this initiative."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinators"].queryset = User.objects.filter(role=Role.TUTOR_COORDINATOR, is_active=True).order_by("email")
        self.fields["weights"].required = False
        self.fields["rules"].required = False

    def clean_weights(self):
        weights = self.cleaned_data.get("weights")
        return {} if weights in (None, "") else weights

    def clean_rules(self):
        rules = self.cleaned_data.get("rules")
        return {} if rules in (None, "") else rules


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    form = InitiativeAdminForm
    list_display = ("name", "kind", "organisation", "capacity", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    filter_horizontal = ("coordinators",)
    autocomplete_fields = ("organisation",)

    def save_model(self, request, obj, form, change):
        from django.db.models import F

        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "required", "order")
    list_editable = ("required", "order")
    ordering = ("order", "code")
    prepopulated_fields = {"code": ("title",)}

