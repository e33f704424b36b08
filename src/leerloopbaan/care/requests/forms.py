from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.care.requests.selectors import AssignedKind, Outcome, Subject, active_offers, clbs
from leerloopbaan.care.vocabulary import OfferLevel, Predictor
from leerloopbaan.kernel.forms import CompactForm
from leerloopbaan.registry.vocabulary import District, Track


class OfferForm(CompactForm):
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Organisation.objects.all())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    levels = forms.MultipleChoiceField(label=_("Target level"), choices=OfferLevel.choices, widget=forms.CheckboxSelectMultiple)
    predictors = forms.MultipleChoiceField(label=_("Works on"), choices=Predictor.choices, widget=forms.CheckboxSelectMultiple)
    age_min = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0, max_value=30)
    age_max = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0, max_value=30)
    tracks = forms.MultipleChoiceField(label=_("Tracks (none: all)"), choices=Track.choices, required=False, widget=forms.CheckboxSelectMultiple)
    districts = forms.MultipleChoiceField(label=_("Districts (none: the whole city)"), choices=District.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    capacity = forms.IntegerField(label=_("Capacity (pupils or groups per school year)"), required=False, min_value=0)
    how_to_request = forms.CharField(label=_("How to request it"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evaluation_criteria = forms.CharField(label=_("Evaluation criteria"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is not None:
            self.fields["provider"].queryset = providers

    @staticmethod
    def initial_from(offer) -> dict:
        return {f: getattr(offer, f) for f in ("title", "description", "levels", "predictors", "age_min", "age_max", "tracks", "districts",
                                               "capacity", "how_to_request", "evaluation_criteria", "active")} | {"provider": offer.provider_id}


class RequestForm(CompactForm):
    subject_level = forms.ChoiceField(label=_("About"), choices=Subject.choices)
    pupil_key = forms.CharField(widget=forms.HiddenInput, required=False)
    school = forms.CharField(widget=forms.HiddenInput, required=False)
    group_label = forms.CharField(label=_("Group or class"), max_length=100, required=False)
    description = forms.CharField(label=_("Your question"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    name_attached = forms.BooleanField(label=_("Share the pupil's name with the city's support team"), required=False)


class IntakeForm(CompactForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(IntakeForm):
    kind = forms.ChoiceField(label=_("Assign to"), choices=AssignedKind.choices)
    offer = forms.ModelChoiceField(label=_("Support offer"), queryset=active_offers(), required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation (provider, local team, CMP)"), queryset=Organisation.objects.all(), required=False)
    clb = forms.ModelChoiceField(label=_("CLB"), queryset=clbs(), required=False)


class CloseForm(IntakeForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
