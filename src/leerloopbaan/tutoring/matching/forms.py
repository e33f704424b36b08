"""Forms of the matching pages: needs, runs (weights), reviewing proposals, ending matches, check-ins.

Also the labels the pages show for the engine's codes (hard rules, reasons, criteria) and slots.
"""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.forms import CompactForm
from leerloopbaan.registry.vocabulary import District
from leerloopbaan.tutoring.access import coordinated_initiatives
from leerloopbaan.tutoring.matching.selectors import ConsentBy, EndReason, askable_initiatives
from leerloopbaan.tutoring.vocabulary import LEVELS, Language, Mode, Subject

DAY_LABELS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
PART_LABELS = [_("morning"), _("afternoon"), _("evening")]
# format_lazy: the label is put together in the language of each request, not of the first import
SLOT_CHOICES = [(str(d * 3 + p), format_lazy("{} {}", DAY_LABELS[d], PART_LABELS[p])) for d in range(7) for p in range(3)]

CRITERION_LABELS = {
    "subject": _("subject"), "level": _("level"), "distance": _("distance"), "language": _("language"), "quality": _("tutor quality"),
}
RULE_LABELS = {
    "not_eligible": _("the tutor is not screened and trained"),
    "subject": _("the tutor does not teach this subject"),
    "age_group": _("the tutor does not work with this age group"),
    "level": _("the pupil's level is outside the tutor's levels"),
    "language": _("no common language for tutoring"),
    "language_support": _("the pupil needs Dutch language support, the tutor does not offer it"),
    "slots": _("no common moment in the week"),
    "mode": _("no common way of working (online or face to face)"),
    "distance": _("too far for face to face tutoring"),
    "conflict_school": _("the tutor has a conflict of interest with the pupil's school"),
    "conflict_pupil": _("the tutor must not be matched with this pupil"),
    "initiative": _("the tutor's initiative does not take this pupil (its rules, or the school did not ask it)"),
    "capacity": _("the tutor has no place left"),
    "never": _("excluded: \"never again\" or rejected before"),
}
UNMATCHED_LABELS = {
    "no_eligible_tutor": _("no tutor in the city meets the rules"),
    "tutors_full": _("the suitable tutors are full"),
    "initiative_full": _("the initiative has reached its capacity"),
}


def slot_text(slots) -> str:
    labels = dict(SLOT_CHOICES)
    return ", ".join(str(labels[str(int(s))]) for s in sorted(int(s) for s in slots or []) if str(int(s)) in labels)


def rule_text(codes) -> list[str]:
    return [str(RULE_LABELS.get(c, c)) for c in codes or []]


class DateInput(forms.DateInput):
    input_type = "date"


class NeedForm(CompactForm):
    pupil = forms.CharField(widget=forms.HiddenInput)
    subject = forms.ChoiceField(label=_("Subject"), choices=[("", _("choose a subject"))] + list(Subject.choices),
                                error_messages={"required": _("Choose a subject.")})
    level = forms.TypedChoiceField(label=_("Level"), choices=[(str(v), label) for v, label in LEVELS], coerce=int)
    language_support = forms.BooleanField(label=_("Needs Dutch language support"), required=False)
    languages = forms.MultipleChoiceField(label=_("Languages the pupil can be tutored in"), choices=Language.choices,
                                          widget=forms.CheckboxSelectMultiple, initial=[Language.NL.value])
    home_language = forms.ChoiceField(label=_("Home language"), choices=[("", _("not given"))] + list(Language.choices), required=False)
    slots = forms.MultipleChoiceField(label=_("When the pupil can be tutored"), choices=SLOT_CHOICES, widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("Tick at least one moment in the week when the pupil can be tutored.")})
    modes = forms.MultipleChoiceField(label=_("Online or face to face"), choices=Mode.choices, widget=forms.CheckboxSelectMultiple,
                                      initial=Mode.values, error_messages={"required": _("Choose online, face to face or both.")})
    district = forms.ChoiceField(label=_("District (for face to face tutoring)"), required=False,
                                 choices=[("", _("not given"))] + [c for c in District.choices if c[0] != District.OUTSIDE])
    description = forms.CharField(label=_("What the tutor should know"), max_length=1000, required=False,
                                  help_text=_("What the pupil wants to work on. No diagnoses, no medical information, no school results."),
                                  widget=forms.Textarea(attrs={"rows": 3}))
    consent_by = forms.ChoiceField(label=_("Consent given by"), choices=ConsentBy.choices, widget=forms.RadioSelect,
                                   error_messages={"required": _("Say who gave consent for tutoring: the pupil or a parent.")})
    consent_on = forms.DateField(label=_("Consent given on"), widget=DateInput,
                                 error_messages={"required": _("Give the date on which consent was given.")})
    initiatives = forms.ModelMultipleChoiceField(
        label=_("Tutoring initiatives to ask"), queryset=None, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only the coordinators of the initiatives you tick see this pupil, and only their tutors are matched."),
        error_messages={"required": _("Choose at least one tutoring initiative to ask.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiatives"].queryset = askable_initiatives()


class VersionForm(CompactForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class WeightsForm(CompactForm):
    initiative = forms.ModelChoiceField(label=_("Initiative"), queryset=None)
    subject = forms.IntegerField(label=_("Weight: subject"), min_value=0, max_value=100)
    level = forms.IntegerField(label=_("Weight: level"), min_value=0, max_value=100)
    distance = forms.IntegerField(label=_("Weight: distance"), min_value=0, max_value=100)
    language = forms.IntegerField(label=_("Weight: language"), min_value=0, max_value=100)
    quality = forms.IntegerField(label=_("Weight: tutor quality"), min_value=0, max_value=100)
    simulation = forms.BooleanField(label=_("Simulation only: compare, do not make a draft"), required=False)

    WEIGHTS = ("subject", "level", "distance", "language", "quality")

    def __init__(self, *args, initiatives=None, **kwargs):
        initiatives = initiatives if initiatives is not None else coordinated_initiatives(None)
        super().__init__(*args, **kwargs)
        if initiatives is not None:
            self.fields["initiative"].queryset = initiatives

    def clean(self):
        data = super().clean()
        if all(data.get(k) is not None for k in self.WEIGHTS) and sum(data[k] for k in self.WEIGHTS) <= 0:
            raise forms.ValidationError(_("Give at least one criterion a weight above 0."))
        return data

    def weights(self) -> dict[str, int]:
        return {k: self.cleaned_data[k] for k in self.WEIGHTS}


class RematchForm(WeightsForm):
    simulation = None


class ProposalForm(VersionForm):
    match = forms.IntegerField(widget=forms.HiddenInput)


class RejectForm(ProposalForm):
    never_again = forms.BooleanField(label=_("Never again: never propose this tutor for this pupil"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class OverrideForm(CompactForm):
    need = forms.IntegerField(widget=forms.HiddenInput)
    tutor = forms.ModelChoiceField(label=_("Another tutor"), queryset=None)
    reason = forms.CharField(label=_("Reason for the override"), max_length=500,
                             error_messages={"required": _("Give a reason for choosing another tutor.")})
    confirm = forms.BooleanField(label=_("I know this pair breaks rules of the matching; match them anyway"), required=False)

    def __init__(self, *args, tutors, notes: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tutor"].queryset = tutors
        notes = notes or {}
        self.fields["tutor"].label_from_instance = lambda t: " – ".join(x for x in (f"{t.first_name} {t.last_name}", notes.get(t.pk, "")) if x)


class EndForm(VersionForm):
    reason = forms.ChoiceField(label=_("Why the match ends"), choices=EndReason.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


SCALE = [(str(i), str(i)) for i in range(1, 6)]


class CheckInForm(CompactForm):
    sessions = forms.IntegerField(label=_("Sessions since the last check-in"), min_value=0, max_value=60, initial=0)
    rating = forms.TypedChoiceField(label=_("How is it going? (1 bad – 5 very good)"), choices=SCALE, coerce=int, widget=forms.RadioSelect)
    progress = forms.TypedChoiceField(label=_("Progress on the goal (1 none – 5 a lot)"), choices=SCALE, coerce=int, widget=forms.RadioSelect)
    concern = forms.BooleanField(label=_("I have a concern"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
