from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leerloopbaan.assessments.selectors import instruments_in_use
from leerloopbaan.kernel import clock


class ResultForm(forms.Form):
    instrument = forms.ModelChoiceField(label=_("Test"), queryset=None)
    date = forms.DateField(label=_("Date of the test"), widget=forms.DateInput(attrs={"type": "date"}))
    scale_score = forms.FloatField(label=_("Scale score"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = instruments_in_use()
        self.fields["instrument"].widget.attrs["class"] = "form-select"
        self.fields["date"].widget.attrs.update({"class": "form-control", "max": clock.today().isoformat()})
        self.fields["scale_score"].widget.attrs.update({"class": "form-control", "step": "any"})
        self.fields["instrument"].label_from_instance = lambda i: f"{i.code} · {i.name} ({i.score_min:g}-{i.score_max:g})"
