"""Forms of the youth's and parent's side of the portfolio, and of the verify page."""

from __future__ import annotations

import datetime
import json

from django import forms
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.forms import IdMultipleChoiceField, bootstrap_widgets
from leerloopbaan.portfolio.youth.selectors import (
    Audience,
    EntryKind,
    EntrySource,
    credential_not_valid,
    esco_skills,
    requestable_achievements,
    verified_issuers,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=EntryKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("What did you do or learn?"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    where = forms.CharField(label=_("Where (club, school, company, ...)"), max_length=200, required=False)
    started_on = forms.DateField(label=_("From"), widget=DATE_INPUT)
    ended_on = forms.DateField(label=_("Until (empty if it goes on)"), required=False, widget=DATE_INPUT)
    esco_skill = forms.ModelChoiceField(label=_("Competence (ESCO)"), queryset=None, required=False,
                                        help_text=_("Optional: the skill in the European ESCO list that fits best."))
    evidence_text = forms.CharField(label=_("Evidence: text"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_url = forms.URLField(label=_("Evidence: link"), required=False, assume_scheme="https")
    evidence_file = forms.FileField(label=_("Evidence: file (PDF, picture, sound or video, at most 5 MB)"), required=False)
    parent_visible = forms.BooleanField(label=_("My parent may see this"), required=False)

    def __init__(self, *args, show_parent_choice: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_parent_choice:
            del self.fields["parent_visible"]
        self.fields["esco_skill"].queryset = esco_skills()
        self.fields["esco_skill"].label_from_instance = lambda skill: skill.label()
        bootstrap_widgets(self)


class SettingsForm(forms.Form):
    display_name = forms.CharField(label=_("The name organisations see"), max_length=60,
                                   help_text=_("Only organisations you share with see it. It is never inside a credential."))
    parent_sees_all = forms.BooleanField(label=_("My parent may see my whole portfolio"), required=False)

    def __init__(self, *args, is_self: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_self:
            del self.fields["parent_sees_all"]
        bootstrap_widgets(self)


class RequestForm(forms.Form):
    issuer = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    achievement = forms.ModelChoiceField(label=_("Which achievement (optional)"), queryset=None, required=False)
    entry = forms.ModelChoiceField(label=_("Evidence: one of your entries (optional)"), queryset=None, required=False)
    message = forms.CharField(label=_("What did you do, and what do you ask?"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = verified_issuers()
        self.fields["achievement"].queryset = requestable_achievements()
        self.fields["achievement"].label_from_instance = lambda a: f"{a.name} ({a.issuer.name})"
        self.fields["entry"].queryset = entries.filter(source=EntrySource.SELF)
        bootstrap_widgets(self)


class GrantForm(forms.Form):
    audience = forms.ChoiceField(label=_("Who do you share with?"), choices=Audience.choices)
    audience_name = forms.CharField(label=_("Name of the employer, school or programme"), max_length=200)
    expires_on = forms.DateField(label=_("The link works until"), widget=DATE_INPUT)
    entries = IdMultipleChoiceField(label=_("What do you share?"), queryset=None, widget=forms.CheckboxSelectMultiple)
    share_not_valid = forms.BooleanField(label=_("Share it anyway: the recipient sees that it is not valid"),
                                         required=False)

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        entries = entries.select_related("credential")
        self.fields["entries"].queryset = entries
        self.not_valid = [(e, credential_not_valid(e)) for e in entries if credential_not_valid(e)]
        if not self.not_valid:
            del self.fields["share_not_valid"]

        def label(entry) -> str:
            why = credential_not_valid(entry)
            text = f"{entry.title} · {entry.get_source_display()}"
            return f"{text} · ⚠ {why}" if why else text

        self.fields["entries"].label_from_instance = label
        self.fields["expires_on"].initial = clock.today() + datetime.timedelta(days=30)
        bootstrap_widgets(self)

    def clean(self):
        data = super().clean()
        chosen = [(e, credential_not_valid(e)) for e in data.get("entries") or []]
        chosen = [f"{e.title} ({why})" for e, why in chosen if why]
        if chosen and not data.get("share_not_valid"):
            self.add_error("entries", _("Not valid now: %(items)s. Leave it out, or tick the box below to share "
                                        "it anyway.") % {"items": ", ".join(chosen)})
        return data


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("Credential file (.json)"), required=False)
    text = forms.CharField(label=_("or paste the credential"), required=False, max_length=512 * 1024,
                           widget=forms.Textarea(attrs={"rows": 6}))

    MAX_BYTES = 512 * 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload is None and not text:
            raise forms.ValidationError(_("Choose a credential file or paste the credential."))
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(_("The file is larger than 512 kB; a credential is much smaller."))
            raw = upload.read()
        else:
            raw = text.encode()
        try:
            data["credential"] = json.loads(raw)
        except RecursionError:
            raise forms.ValidationError(_("This JSON is nested too deeply to be a credential.")) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise forms.ValidationError(
                _("This is not JSON (%(error)s). Expected the credential file as downloaded.") % {"error": str(exc)[:120]}
            ) from None
        return data
