"""Forms of the organisation and city side of the talent portfolio. They check the input and give a clear
message per field; the services check it again and their ``PortfolioError`` lands on the same fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.kernel.forms import IdMultipleChoiceField, bootstrap_widgets
from leerloopbaan.portfolio.youth.selectors import CredentialStatus, esco_skills
from leerloopbaan.registry.vocabulary import District

VALIDITY_CHOICES = [("unlimited", _("Unlimited")), ("years", _("A number of years"))]


class OrgForm(forms.Form):
    """Bootstrap classes on the inputs; a service's ``PortfolioError`` shown at the fields it names."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def add_service_errors(self, exc) -> None:
        """Put the messages of a ``PortfolioError`` at its fields; the general message above the form."""
        for name, message in (getattr(exc, "fields", None) or {}).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        self.add_error(None, getattr(exc, "message", "") or str(exc))


def _skill_choice(skill) -> tuple[str, str]:
    group = skill.group()
    return str(skill.pk), f"{skill.label()} ({group})" if group else skill.label()


# --- public ---------------------------------------------------------------------------------

class RegisterForm(OrgForm):
    name = forms.CharField(label=_("Name of the organisation"), max_length=200,
                           error_messages={"required": _("Fill in the organisation's name.")})
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=[("", "–")] + list(Organisation.Kind.choices),
                             error_messages={"required": _("Choose the kind of organisation."),
                                             "invalid_choice": _("Choose the kind of organisation from the list.")})
    contact_name = forms.CharField(label=_("Contact person"), max_length=200,
                                   error_messages={"required": _("Fill in who we can contact.")},
                                   widget=forms.TextInput(attrs={"autocomplete": "name"}))
    contact_email = forms.EmailField(label=_("E-mail address of the contact person"), max_length=254,
                                     help_text=_("After verification, the account of your organisation is sent to this "
                                                 "address."),
                                     error_messages={"required": _("Fill in the contact person's e-mail address."),
                                                     "invalid": _("This is not a valid e-mail address.")},
                                     widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    description = forms.CharField(label=_("What does your organisation do with young people?"), max_length=3000,
                                  required=False, widget=forms.Textarea(attrs={"rows": 4}))
    website = forms.URLField(label=_("Website"), max_length=200, required=False, assume_scheme="https",
                             error_messages={"invalid": _("This is not a valid web address, for example "
                                                          "https://www.example.be.")})
    district = forms.ChoiceField(label=_("District"), choices=[("", "–")] + list(District.choices), required=False)
    # spam guard: people do not see this field, robots fill it in
    nickname = forms.CharField(label=_("Leave this field empty"), required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    @property
    def is_spam(self) -> bool:
        return bool((self.data.get("nickname") or "").strip())

    def register_values(self) -> dict:
        d = self.cleaned_data
        return {k: d[k] for k in ("name", "kind", "contact_name", "contact_email", "description", "website", "district")}


# --- organisation ---------------------------------------------------------------------------

class EscoPickerMixin:
    """A search word and a choice among the results, so the picker works without JavaScript."""

    def _skill_choices(self, results, chosen_ids) -> list[tuple[str, str]]:
        skills = list(results or [])
        known = {s.pk for s in skills}
        missing = [int(v) for v in chosen_ids if v and str(v).isdigit() and int(v) not in known]
        skills += list(esco_skills().filter(pk__in=missing))
        return [_skill_choice(s) for s in skills]


class AchievementForm(EscoPickerMixin, OrgForm):
    name = forms.CharField(label=_("Name of the achievement"), max_length=200,
                           error_messages={"required": _("Give the achievement a name.")})
    description = forms.CharField(label=_("Description"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _("Describe the achievement.")})
    criteria = forms.CharField(label=_("Criteria: what does a young person show to earn it?"), max_length=3000,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               error_messages={"required": _("Say what a young person shows to earn it.")})
    esco_query = forms.CharField(label=_("Search an ESCO skill"), max_length=100, required=False,
                                 help_text=_("Type a word, for example \"teamwork\", and press Search."),
                                 widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    esco_skill = forms.ChoiceField(label=_("ESCO skill"), choices=[], widget=forms.RadioSelect,
                                   error_messages={"required": _("Search and choose the ESCO skill this achievement is "
                                                                 "about."),
                                                   "invalid_choice": _("Choose an ESCO skill from the search results.")})
    competent_code = forms.CharField(label=_("Competent code (VDAB), optional"), max_length=40, required=False)

    def __init__(self, *args, results=None, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = [self.data.get(self.add_prefix("esco_skill"))] if self.is_bound else []
        self.fields["esco_skill"].choices = self._skill_choices(results, chosen)

    def clean_esco_skill(self):
        return esco_skills().filter(pk=int(self.cleaned_data["esco_skill"])).first()

    def achievement_values(self) -> dict:
        d = self.cleaned_data
        return {k: d[k] for k in ("name", "description", "criteria", "esco_skill", "competent_code")}


class CodeForm(OrgForm):
    code = forms.CharField(label=_("The young person's code"), max_length=20,
                           help_text=_("8 letters and digits, for example K7PM-3QXR."),
                           error_messages={"required": _("Fill in the code the young person gave you.")},
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false"}))


class AttestForm(OrgForm):
    """Attest a competence: one of the organisation's achievements, a note, how long it is valid."""

    achievement = forms.ModelChoiceField(label=_("Achievement"), queryset=None, empty_label="–",
                                         error_messages={"required": _("Choose the achievement you attest."),
                                                         "invalid_choice": _("Choose an achievement from the list.")})
    note = forms.CharField(label=_("Note for the young person (optional)"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("What the young person did. Without a note, the description of the "
                                       "achievement is used."))
    validity = forms.ChoiceField(label=_("Valid"), choices=VALIDITY_CHOICES, initial="unlimited", widget=forms.RadioSelect,
                                 error_messages={"required": _("Choose how long the credential is valid.")})
    valid_years = forms.IntegerField(label=_("Number of years"), min_value=1, max_value=50, required=False,
                                     widget=forms.NumberInput(attrs={"min": 1, "max": 50}),
                                     error_messages={"min_value": _("Between 1 and 50."), "max_value": _("Between 1 and 50."),
                                                     "invalid": _("Give a whole number.")})

    def __init__(self, *args, issuer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = issuer.achievements.filter(active=True).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("validity") == "years" and not data.get("valid_years") and "valid_years" not in self.errors:
            self.add_error("valid_years", _("Give the number of years, or choose unlimited."))
        return data

    def issue_values(self) -> dict:
        d = self.cleaned_data
        return {"achievement": d["achievement"], "note": d["note"],
                "valid_years": d["valid_years"] if d["validity"] == "years" else None}


class DeclineForm(OrgForm):
    answer = forms.CharField(label=_("Why do you decline?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The young person reads this answer."),
                             error_messages={"required": _("Tell the young person why.")})


class CredentialStatusForm(OrgForm):
    status = forms.ChoiceField(choices=CredentialStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("status") in (CredentialStatus.SUSPENDED, CredentialStatus.REVOKED) and not (
                data.get("reason") or "").strip():
            self.add_error("reason", _("Say why."))
        return data


class KeyRevokeForm(OrgForm):
    key = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why is this key revoked?"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Say why the key is revoked.")})


class PlaceForm(OrgForm):
    name = forms.CharField(label=_("Name of the place"), max_length=200,
                           error_messages={"required": _("Give the place a name.")})
    district = forms.ChoiceField(label=_("District"), choices=[("", "–")] + list(District.choices),
                                 error_messages={"required": _("Choose the district."),
                                                 "invalid_choice": _("Choose the district from the list.")})
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    description = forms.CharField(label=_("Description"), max_length=3000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def place_values(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("name", "district", "address", "description")}


class ActivityForm(EscoPickerMixin, OrgForm):
    place = forms.ModelChoiceField(label=_("Place"), queryset=None, empty_label="–",
                                   error_messages={"required": _("Choose the place of the activity."),
                                                   "invalid_choice": _("Choose a place from the list.")})
    title = forms.CharField(label=_("Activity"), max_length=200, error_messages={"required": _("Give the activity a name.")})
    description = forms.CharField(label=_("Description"), max_length=3000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    age_from = forms.IntegerField(label=_("From age"), min_value=3, max_value=30, initial=12,
                                  error_messages={"required": _("Give the lowest age."),
                                                  "min_value": _("An age between 3 and 30."),
                                                  "max_value": _("An age between 3 and 30."), "invalid": _("Give a whole number.")})
    age_to = forms.IntegerField(label=_("To age"), min_value=3, max_value=30, initial=25,
                                error_messages={"required": _("Give the highest age."),
                                                "min_value": _("An age between 3 and 30."),
                                                "max_value": _("An age between 3 and 30."), "invalid": _("Give a whole number.")})
    schedule = forms.CharField(label=_("When"), max_length=200, required=False,
                               help_text=_("For example: every Wednesday 14:00–16:00."))
    esco_query = forms.CharField(label=_("Search ESCO skills"), max_length=100, required=False,
                                 help_text=_("Type a word and press Search; tick the skills young people practise."),
                                 widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    skills = forms.MultipleChoiceField(label=_("ESCO skills"), choices=[], required=False, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"invalid_choice": _("Choose ESCO skills from the search results.")})
    achievements = IdMultipleChoiceField(label=_("Achievements you can earn"), queryset=None, required=False,
                                                  widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, issuer, results=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = issuer.places.filter(active=True).order_by("name")
        self.fields["achievements"].queryset = issuer.achievements.filter(active=True).order_by("name")
        chosen = self.data.getlist(self.add_prefix("skills")) if self.is_bound and hasattr(self.data, "getlist") else []
        self.fields["skills"].choices = self._skill_choices(results, chosen)

    def clean_skills(self):
        ids = [int(v) for v in self.cleaned_data["skills"]]
        return list(esco_skills().filter(pk__in=ids))

    def clean(self):
        data = super().clean()
        lo, hi = data.get("age_from"), data.get("age_to")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("age_to", _("The highest age is below the lowest age."))
        return data

    def activity_values(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("place", "title", "description", "age_from", "age_to", "schedule", "skills",
                                                  "achievements")}


# --- city -----------------------------------------------------------------------------------

class IssuerDecisionForm(OrgForm):
    issuer = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("Decision"), choices=[("verify", _("Verify")), ("refuse", _("Refuse"))],
                                 widget=forms.RadioSelect, error_messages={"required": _("Choose verify or refuse.")})
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required when you refuse: the organisation reads it."))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the registration is refused."))
        return data
