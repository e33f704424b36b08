"""Forms of the tutor journey. They check the input and give a clear message per field; the services
check it again (the same rules, ``services_tutors.clean_profile``)."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.forms import IdMultipleChoiceField, bootstrap_widgets
from leerloopbaan.registry.vocabulary import District
from leerloopbaan.tutoring.tutors.selectors import (
    Decision,
    ScreeningItemName,
    ScreeningStatus,
    TutorKind,
    open_initiatives,
    schools,
    training_modules,
)
from leerloopbaan.tutoring.tutors.services import PHONE, POSTCODE
from leerloopbaan.tutoring.vocabulary import LEVELS, WEIGHT_KEYS, AgeGroup, Language, Mode, Subject

DAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
PARTS = [pgettext_lazy("part of the day", "morning"), pgettext_lazy("part of the day", "afternoon"),
         pgettext_lazy("part of the day", "evening")]
SLOT_CHOICES = [(str(d * 3 + p), format_lazy("{} {}", DAYS[d], PARTS[p])) for d in range(7) for p in range(3)]
SUBJECT_RANKS = len(Subject.choices)
LEVEL_CHOICES = [(str(v), label) for v, label in LEVELS]


def slot_label(slot: int) -> str:
    return f"{DAYS[slot // 3]} {PARTS[slot % 3]}"


def level_label(level: int) -> str:
    return dict(LEVELS).get(level, "")


class BootstrapForm(forms.Form):
    """Bootstrap classes on the inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def add_service_errors(self, exc) -> None:
        """Show a service's ``TutorError`` at the fields it names, the rest above the form."""
        placed = False
        for field, message in getattr(exc, "errors", {}).items():
            target = field if field in self.fields else "subject_1" if field == "subjects" and "subject_1" in self.fields else None
            if target is not None and target not in self.errors:
                self.add_error(target, message)
                placed = True
        if not placed:
            self.add_error(None, str(exc))


class ProfileFields(BootstrapForm):
    """The profile: what, whom, when, where and how many pupils a tutor can help."""

    phone = forms.CharField(label=_("Phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    languages = forms.MultipleChoiceField(label=_("Languages you can tutor in"), choices=Language.choices,
                                          widget=forms.CheckboxSelectMultiple,
                                          error_messages={"required": _("Choose at least one language you can tutor in.")})
    min_level = forms.TypedChoiceField(label=_("From level"), choices=LEVEL_CHOICES, coerce=int, initial="1",
                                       error_messages={"required": _("Choose the lowest level you can tutor.")})
    max_level = forms.TypedChoiceField(label=_("To level"), choices=LEVEL_CHOICES, coerce=int, initial="12",
                                       error_messages={"required": _("Choose the highest level you can tutor.")})
    age_groups = forms.MultipleChoiceField(label=_("Age groups"), choices=AgeGroup.choices, widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": _("Choose at least one age group.")})
    language_support = forms.BooleanField(label=_("I can give Dutch language support"), required=False)
    slots = forms.MultipleChoiceField(label=_("When are you available each week?"), choices=SLOT_CHOICES,
                                      widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("Choose at least one moment in the week when you are available.")})
    modes = forms.MultipleChoiceField(label=_("Online or face to face"), choices=Mode.choices, widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("Choose online, face to face or both.")})
    district = forms.ChoiceField(label=_("District"), choices=[("", "–")] + list(District.choices), required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}))
    travel_km = forms.DecimalField(label=_("How far can you travel (km)?"), min_value=0, max_value=100, decimal_places=1,
                                   max_digits=4, initial=5,
                                   error_messages={"required": _("Give how far you can travel, 0 if only online.")})
    capacity = forms.TypedChoiceField(label=_("Pupils at a time"), choices=[("1", "1"), ("2", "2"), ("3", "3")], coerce=int,
                                      initial="1", error_messages={"required": _("Choose how many pupils you can help at a time.")})
    motivation = forms.CharField(label=_("Why do you want to be a tutor?"), max_length=2000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "–")] + list(Subject.choices)
        for rank in range(1, SUBJECT_RANKS + 1):
            label = _("Strongest subject") if rank == 1 else _("Subject %(n)s") % {"n": rank}
            self.fields[f"subject_{rank}"] = forms.ChoiceField(
                label=label, choices=choices, required=rank == 1,
                error_messages={"required": _("Choose at least one subject, your strongest first.")})
            self.fields[f"subject_{rank}"].widget.attrs["class"] = "form-select form-select-sm"

    def clean_postcode(self):
        value = (self.cleaned_data.get("postcode") or "").strip()
        if value and not POSTCODE.match(value):
            raise forms.ValidationError(_("A Belgian postcode has four digits, for example 2060."))
        return value

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if value and (not PHONE.match(value) or sum(c.isdigit() for c in value) < 8):
            raise forms.ValidationError(_("This does not look like a phone number, for example 0470 12 34 56."))
        return value

    def subject_fields(self):
        return [self[f"subject_{rank}"] for rank in range(1, SUBJECT_RANKS + 1)]

    def slot_rows(self):
        """The availability grid: one row per day, one checkbox per part of the day."""
        chosen = {str(v) for v in (self["slots"].value() or [])}
        return [{"day": DAYS[d], "cells": [{"value": str(d * 3 + p), "label": f"{DAYS[d]} {PARTS[p]}", "checked": str(d * 3 + p) in chosen}
                                           for p in range(3)]} for d in range(7)]

    @property
    def parts(self):
        return PARTS

    def clean(self):
        data = super().clean()
        subjects = []  # strongest first; empty ranks in between are skipped
        for rank in range(1, SUBJECT_RANKS + 1):
            value = data.get(f"subject_{rank}")
            if value and value in subjects:
                self.add_error(f"subject_{rank}", _("You chose this subject twice."))
            elif value:
                subjects.append(value)
        data["subjects"] = subjects
        lo, hi = data.get("min_level"), data.get("max_level")
        if lo and hi and lo > hi:
            self.add_error("max_level", _("The highest level is below the lowest level."))
        if Mode.OFFLINE in (data.get("modes") or []) and not (data.get("postcode") or "").strip():
            self.add_error("postcode", _("Give your postcode when you want to tutor face to face, so we can find pupils near you."))
        return data

    def profile_values(self) -> dict:
        d = self.cleaned_data
        values = {k: d[k] for k in ("phone", "languages", "min_level", "max_level", "age_groups", "language_support", "modes",
                                    "district", "postcode", "travel_km", "capacity", "motivation")}
        values["subjects"] = d["subjects"]
        values["slots"] = [int(s) for s in d["slots"]]
        return values

    @classmethod
    def initial_from(cls, tutor) -> dict:
        initial = {k: getattr(tutor, k) for k in ("phone", "languages", "age_groups", "language_support", "modes", "district",
                                                  "postcode", "travel_km", "capacity", "motivation", "min_level", "max_level")}
        initial["slots"] = [str(s) for s in tutor.slots]
        for rank, subject in enumerate(tutor.subjects, start=1):
            initial[f"subject_{rank}"] = subject
        return initial | {"version": tutor.version}


class SignUpForm(ProfileFields):
    initiative = forms.ModelChoiceField(label=_("Tutoring initiative"), queryset=open_initiatives(),
                                        empty_label="–", error_messages={"required": _("Choose the initiative you sign up for."),
                                                                         "invalid_choice": _("Choose an initiative from the list.")})
    kind = forms.ChoiceField(label=_("I am"), choices=TutorKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": _("Choose whether you are a volunteer, a student or an employee.")})
    institution = forms.CharField(label=_("School, university college or company"), max_length=200, required=False,
                                  help_text=_("Students: your school or university college. Employees: your company."))
    first_name = forms.CharField(label=_("First name"), max_length=100, error_messages={"required": _("Fill in your first name.")},
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=100, error_messages={"required": _("Fill in your last name.")},
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             error_messages={"required": _("Fill in your e-mail address."),
                                             "invalid": _("This is not a valid e-mail address.")},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    consent = forms.BooleanField(label=_("I agree that the city and the initiative keep these data to screen, train and match me "
                                         "as a tutor, and delete them when I leave."),
                                 error_messages={"required": _("We need your agreement to handle your application.")})
    # spam guard: people do not see this field, robots fill it in
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    field_order = ["initiative", "kind", "institution", "first_name", "last_name", "email", "phone"]

    def clean(self):
        data = super().clean()
        if data.get("kind") in (TutorKind.STUDENT, TutorKind.EMPLOYEE) and not (data.get("institution") or "").strip():
            self.add_error("institution", _("Fill in your school or university college.") if data["kind"] == TutorKind.STUDENT
                           else _("Fill in your company."))
        return data

    @property
    def is_spam(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def sign_up_values(self) -> dict:
        d = self.cleaned_data
        return self.profile_values() | {k: d[k] for k in ("initiative", "kind", "institution", "first_name", "last_name", "email")}


class ProfileForm(ProfileFields):
    """The tutor's own profile."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class CoordinatorProfileForm(ProfileForm):
    """A coordinator edits a tutor's profile and identity; the e-mail address only while there is no account."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    kind = forms.ChoiceField(label=_("Kind"), choices=TutorKind.choices)
    institution = forms.CharField(label=_("School, university college or company"), max_length=200, required=False)

    conflict_schools = IdMultipleChoiceField(
        label=_("Schools with a conflict of interest"), required=False, queryset=None,
        help_text=_("Where the tutor works or has children: pupils of these schools are never proposed."))

    field_order = ["first_name", "last_name", "email", "kind", "institution", "phone"]

    def __init__(self, *args, has_account: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conflict_schools"].queryset = schools()
        self.fields["conflict_schools"].widget.attrs.update({"class": "form-select", "size": "6"})
        if has_account:
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _("The tutor's login; the administrator changes it in the account.")

    def clean(self):
        data = super().clean()
        if data.get("kind") in (TutorKind.STUDENT, TutorKind.EMPLOYEE) and not (data.get("institution") or "").strip():
            self.add_error("institution", _("Fill in the school, university college or company."))
        return data

    @classmethod
    def initial_from(cls, tutor) -> dict:
        return super().initial_from(tutor) | {k: getattr(tutor, k) for k in ("first_name", "last_name", "email", "kind", "institution")} | {
            "conflict_schools": list(tutor.conflict_schools.values_list("pk", flat=True))}

    def profile_values(self) -> dict:
        d = self.cleaned_data
        values = super().profile_values() | {k: d[k] for k in ("first_name", "last_name", "kind", "institution")}
        if not self.fields["email"].disabled:
            values["email"] = d["email"]
        return values


class ScreeningForm(BootstrapForm):
    """The checklist: per item a status and what was seen; the certificate of good conduct (model 2) with
    the date on the document. There is deliberately no file field: documents are seen, never stored."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item, label in ScreeningItemName.choices:
            self.fields[f"{item}_status"] = forms.ChoiceField(label=_("%(item)s: status") % {"item": label},
                                                              choices=ScreeningStatus.choices,
                                                              widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
            self.fields[f"{item}_evidence"] = forms.CharField(
                label=_("%(item)s: what you checked") % {"item": label}, max_length=500, required=False,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
            if item == ScreeningItemName.GOOD_CONDUCT:
                self.fields[f"{item}_document_date"] = forms.DateField(
                    label=_("%(item)s: date on the document") % {"item": label}, required=False,
                    widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
                    error_messages={"invalid": _("Give the date as year-month-day, for example 2026-03-14.")})

    def item_rows(self):
        return [{"item": item, "label": label, "status": self[f"{item}_status"], "evidence": self[f"{item}_evidence"],
                 "date": self[f"{item}_document_date"] if item == ScreeningItemName.GOOD_CONDUCT else None}
                for item, label in ScreeningItemName.choices]

    def clean(self):
        data = super().clean()
        today = clock.today()
        for item, label in ScreeningItemName.choices:
            status = data.get(f"{item}_status")
            if status and status != ScreeningStatus.PENDING and not (data.get(f"{item}_evidence") or "").strip():
                self.add_error(f"{item}_evidence", _("Write what you checked for: %(item)s.") % {"item": label})
        date = data.get("good_conduct_document_date")
        if date and date > today:
            self.add_error("good_conduct_document_date", _("The date on the certificate of good conduct cannot be in the future."))
        elif data.get("good_conduct_status") == ScreeningStatus.OK and not date and "good_conduct_document_date" not in self.errors:
            self.add_error("good_conduct_document_date", _("Give the date on the certificate of good conduct (model 2)."))
        return data

    def items(self) -> dict:
        d = self.cleaned_data
        return {item: {"status": d[f"{item}_status"], "evidence": d[f"{item}_evidence"],
                       "document_date": d.get(f"{item}_document_date")} for item in ScreeningItemName.values}

    @staticmethod
    def initial_from(tutor, items) -> dict:
        initial = {"version": tutor.version}
        for row in items:
            initial[f"{row.item}_status"] = row.status
            initial[f"{row.item}_evidence"] = row.evidence
            if row.item == ScreeningItemName.GOOD_CONDUCT:
                initial[f"{row.item}_document_date"] = row.document_date
        return initial


class DecisionForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect,
                                 error_messages={"required": _("Choose a decision.")})
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required when the tutor is not admitted."))

    def clean(self):
        data = super().clean()
        if data.get("decision") == Decision.REJECT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason why this tutor is not admitted."))
        return data


class TrainingForm(BootstrapForm):
    module = forms.ModelChoiceField(label=_("Module"), queryset=None, empty_label="–",
                                    error_messages={"required": _("Choose a module."), "invalid_choice": _("Choose a module from the list.")})
    completed_on = forms.DateField(label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   error_messages={"required": _("Give the date the module was completed."),
                                                   "invalid": _("Give the date as year-month-day, for example 2026-03-14.")})

    def __init__(self, *args, modules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = modules if modules is not None else training_modules()
        self.fields["completed_on"].initial = clock.today

    def clean_completed_on(self):
        value = self.cleaned_data["completed_on"]
        if value > clock.today():
            raise forms.ValidationError(_("The completion date cannot be in the future."))
        return value


class StatusForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(a, a) for a in ("screening", "pause", "resume", "leave", "invite")], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("action") in ("pause", "leave") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason."))
        return data


class ReviewForm(BootstrapForm):
    score = forms.TypedChoiceField(label=_("Score"), choices=[(str(i), str(i)) for i in range(1, 6)], coerce=int,
                                   widget=forms.RadioSelect, error_messages={"required": _("Give a score from 1 to 5.")})
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("What goes well, what could be better. No details about pupils."))


class InitiativeForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    capacity = forms.IntegerField(label=_("Capacity (active matches)"), min_value=0, required=False,
                                  help_text=_("Empty: no limit."),
                                  error_messages={"min_value": _("The capacity cannot be negative."),
                                                  "invalid": _("Give a whole number.")})

    LABELS = {"subject": _("Subject"), "level": _("Level"), "distance": _("Distance"), "language": _("Language"),
              "quality": _("Quality (peer reviews)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in WEIGHT_KEYS:
            self.fields[f"weight_{key}"] = forms.IntegerField(
                label=self.LABELS[key], min_value=0, max_value=1000,
                error_messages={"required": _("Give a weight (0 or more)."), "min_value": _("A weight cannot be negative."),
                                "max_value": _("Keep weights at 1000 or less."), "invalid": _("Give a whole number.")},
                widget=forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 1000}))

    rule_open = forms.BooleanField(label=_("Also take pupils whose school asked another initiative"), required=False,
                                   help_text=_("Off: only the pupils whose school asked this initiative."))
    rule_age_groups = forms.MultipleChoiceField(label=_("Only these age groups"), choices=AgeGroup.choices, required=False,
                                                widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every age group."))
    rule_subjects = forms.MultipleChoiceField(label=_("Only these subjects"), choices=Subject.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every subject."))
    rule_districts = forms.MultipleChoiceField(label=_("Only these districts"), required=False, widget=forms.CheckboxSelectMultiple,
                                               choices=[c for c in District.choices if c[0] != District.OUTSIDE],
                                               help_text=_("None ticked: every district."))

    def weight_fields(self):
        return [self[f"weight_{k}"] for k in WEIGHT_KEYS]

    def rule_fields(self):
        return [self["rule_open"], self["rule_age_groups"], self["rule_subjects"], self["rule_districts"]]

    def rules(self) -> dict:
        """The initiative's rules as stored (``Initiative.rules``): only what restricts or opens."""
        d = self.cleaned_data
        out: dict = {"open": True} if d.get("rule_open") else {}
        for key in ("age_groups", "subjects", "districts"):
            if d.get(f"rule_{key}"):
                out[key] = list(d[f"rule_{key}"])
        return out

    def clean(self):
        data = super().clean()
        values = [data.get(f"weight_{k}") for k in WEIGHT_KEYS]
        if all(v is not None for v in values) and not any(values):
            self.add_error(None, _("At least one criterion needs a weight above 0."))
        return data

    def weights(self) -> dict:
        return {k: self.cleaned_data[f"weight_{k}"] for k in WEIGHT_KEYS}

    @staticmethod
    def initial_from(initiative, weights: dict) -> dict:
        rules = initiative.rules or {}
        return ({"version": initiative.version, "capacity": initiative.capacity} | {f"weight_{k}": v for k, v in weights.items()}
                | {"rule_open": bool(rules.get("open")), "rule_age_groups": rules.get("age_groups", []),
                   "rule_subjects": rules.get("subjects", []), "rule_districts": rules.get("districts", [])})
