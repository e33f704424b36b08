from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts import services
from leerloopbaan.accounts.models import Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("school", "organisation")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("email", "first_name", "last_name")
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("", {"fields": ("first_name", "last_name", "role", "language", "is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)
    actions = ["send_enrolment_link"]

    @admin.action(description=gettext_lazy("Mail a one-time link to set up the authenticator app"))
    def send_enrolment_link(self, request, queryset):
        for user in queryset:
            link = services.enrolment_invite(user=user, base_url=request.build_absolute_uri("/"), by=request.user)
            body = _("Open this link after logging in with your password to set up your authenticator app (it works once):") + f"\n{link}\n"
            email = user.email
            transaction.on_commit(lambda email=email, body=body: send_mail(_("Set up your authenticator app"), body, None, [email], fail_silently=True))
        self.message_user(request, _("%(n)d invitation(s) sent.") % {"n": queryset.count()})


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "verified_at")
    list_filter = ("kind",)
    search_fields = ("name",)
