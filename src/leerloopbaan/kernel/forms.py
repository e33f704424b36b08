"""What every form of the platform shares: Bootstrap classes on its inputs."""

from __future__ import annotations

from django import forms

_TEXT_LIKE = (forms.TextInput, forms.NumberInput, forms.Textarea, forms.EmailInput, forms.DateInput, forms.URLInput,
              forms.ClearableFileInput)


def bootstrap_widgets(form: forms.BaseForm, *, compact: bool = False) -> None:
    """Give each input its Bootstrap class; choice lists (radio, checkboxes) are styled by the template.

    ``compact``: the small variants (``form-select-sm``, ``form-control-sm``), for forms in tables,
    inboxes and side panels."""
    small = " form-select-sm" if compact else ""
    small_text = " form-control-sm" if compact else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.HiddenInput)):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select" + small)
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, _TEXT_LIKE):
            widget.attrs.setdefault("class", "form-control" + small_text)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """``ModelMultipleChoiceField`` that refuses an id beyond the database's 64-bit integer as an invalid
    choice (Django's own field lets the lookup crash on it: SQLite raises OverflowError)."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        if key == "pk":
            for pk in value if isinstance(value, (list, tuple, set, frozenset)) else ():
                try:
                    too_big = abs(int(str(pk).strip())) >= 2**63
                except ValueError:
                    continue  # Django's own check reports it
                if too_big:
                    raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                                params={"pk": str(pk)[:30]})
        return super()._check_values(value)


class BootstrapForm(forms.Form):
    """A form whose inputs carry their Bootstrap classes."""

    compact = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self, compact=self.compact)


class CompactForm(BootstrapForm):
    """A form with small inputs (care inboxes and cases, the matching pages)."""

    compact = True
