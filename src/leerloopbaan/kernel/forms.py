"""What every form of the platform shares: Bootstrap classes on its inputs."""

from __future__ import annotations

from django import forms

_TEXT_LIKE = (forms.TextInput, forms.NumberInput, forms.Textarea, forms.EmailInput, forms.DateInput, forms.URLInput,
              forms.ClearableFileInput)


def bootstrap_widgets(form: forms.BaseForm) -> None:
    """Give each input its Bootstrap class; choice lists (radio, checkboxes) are styled by the template."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.HiddenInput)):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, _TEXT_LIKE):
            widget.attrs.setdefault("class", "form-control")
