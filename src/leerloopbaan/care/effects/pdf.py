"""The yearly effect report of a support offer as a PDF (fpdf2), from the published figures of the
offer (``care.effects.selectors.PublishedEffect``, the same release as the report page).

Fonts as in ``ews.pdf``: DejaVu Sans when present, otherwise Helvetica with Latin-1 text.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from leerloopbaan.ews.school.pdf import _Doc

METHOD = (
    "How to read this: every pupil who received the offer is compared with one pupil who did not, of the same grade and OKI level "
    "and with a risk score close to theirs (within 0.05) around the same date. For absences and the risk score the figure is the "
    "change after the start minus the change of the comparison pupils over the same 90 days (difference in differences); for the "
    "C-attest it is the difference in shares. The interval is a 95% interval for that difference: if it contains 0, no clear "
    "effect can be shown. This is not a randomised trial: pupils who get support may differ in ways the data do not show."
)


def effect_pdf(effect, generated_on=None) -> bytes:
    doc = _Doc()
    doc.pdf.set_title(doc.t(f"{effect.offer_title} {effect.school_year}"))
    doc.heading(_("Effect report"), 16)
    doc.heading(f"{effect.offer_title} · {effect.provider} · {effect.school_year}", 12)
    if generated_on:
        doc.para(_("Made on %(date)s.") % {"date": generated_on.isoformat()}, 8)
    doc.table([_("Received the offer"), _("Matched"), _("Not matched")],
              [[str(effect.treated), str(effect.matched), str(effect.unmatched)]], [60, 60, 60])
    if effect.few_treated:
        doc.para(_("Fewer than 5 pupils received this offer in this school year (<5): no estimate is shown."))
    elif not effect.estimated:
        doc.para(_("Fewer than 5 matched pairs: no estimate is shown."))
    if effect.estimated:
        doc.heading(_("Before and after"))
        doc.table([_("Outcome"), _("Pairs"), _("Offer: before"), _("after"), _("Comparison: before"), _("after"), _("Difference"), _("95% interval")],
                  [[str(r["short"]), r["n"], r["treated_pre"], r["treated_post"], r["control_pre"], r["control_post"], r["effect"],
                    r["interval"]] for r in effect.rows], [34, 12, 22, 16, 30, 16, 24, 36])
        for r in effect.rows:
            if r["shown"]:
                doc.para(f"{r['label']}: {r['verdict']}", 8)
    if effect.any_hidden:
        doc.para(_("Numbers under 5 are shown as <5; × is hidden as well, so that such a number cannot be worked out."), 8)
    doc.heading(_("Method"))
    doc.para(_(METHOD), 8)
    return bytes(doc.pdf.output())
