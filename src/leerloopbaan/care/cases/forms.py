"""Forms of the case pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.models import Organisation, User
from leerloopbaan.care.cases import services
from leerloopbaan.care.cases.selectors import (
    CaseRole,
    ConsentCategory,
    ConsentGivenBy,
    ConsentRecipient,
    GoalStatus,
)
from leerloopbaan.care.vocabulary import Predictor
from leerloopbaan.kernel.forms import CompactForm

PARTNER_ROLES = [c for c in CaseRole.choices if c[0] != CaseRole.MANAGER]


def first_error(form) -> str:
    """The message the action view shows when ``form`` is invalid: its first error."""
    for errors in form.errors.values():
        return str(errors[0])
    return str(_("Please fill in the form completely."))


class DateInput(forms.DateInput):
    input_type = "date"


class CaseForm(CompactForm):
    summary = forms.CharField(label=_("Summary of the situation"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4}))


class VersionForm(CompactForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class SummaryForm(VersionForm):
    summary = forms.CharField(label=_("Summary of the situation"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ParticipantAddForm(VersionForm):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role in the case"), choices=[("", _("from their role"))] + PARTNER_ROLES, required=False)

    def __init__(self, *args, people=None, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        if people is not None:
            self.fields["user"].queryset = people
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.get_role_display()})"

    def clean_user(self):
        user = self.cleaned_data["user"]
        if self.case is not None and services.needs_consent_to_take_part(self.case, user):
            raise forms.ValidationError(services.no_consent_message())
        return user


class ParticipantRemoveForm(VersionForm):
    user = forms.IntegerField(widget=forms.HiddenInput)


class GoalForm(VersionForm):
    predictor = forms.ChoiceField(label=_("Works on"), choices=Predictor.choices)
    description = forms.CharField(label=_("Goal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    target = forms.CharField(label=_("Target"), max_length=300, required=False)
    review_date = forms.DateField(label=_("Review on"), widget=DateInput)


class GoalUpdateForm(VersionForm):
    goal = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    review_date = forms.DateField(label=_("Review on"), required=False, widget=DateInput)


class NoteForm(CompactForm):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ConsentForm(CompactForm):
    given_by = forms.ChoiceField(label=_("Given by"), choices=ConsentGivenBy.choices)
    what = forms.CharField(label=_("What may be shared"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    categories = forms.MultipleChoiceField(label=_("Categories"), choices=ConsentCategory.choices, widget=forms.CheckboxSelectMultiple)
    recipient_organisation = forms.ModelChoiceField(label=_("Shared with the organisation"), queryset=Organisation.objects.order_by("name"),
                                                    required=False, empty_label=_("no organisation"))
    recipient_role = forms.ChoiceField(label=_("Or shared with"), required=False,
                                       choices=[("", _("the school, the CLB and the city support team"))] + ConsentRecipient.choices)
    to_whom = forms.CharField(label=_("With whom (in their words)"), max_length=300, required=False)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("recipient_organisation") is not None and data.get("recipient_role") not in ("", None, ConsentRecipient.PROVIDER):
            raise forms.ValidationError(_("A consent names an organisation or a role, not both: leave the role empty when you choose an organisation."))
        return data


class ConsentWithdrawForm(CompactForm):
    consent = forms.IntegerField(widget=forms.HiddenInput)
