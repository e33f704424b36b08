"""The yearly effect report of a support offer as a PDF (fpdf2), from the published figures of the
offer (``care.effects.selectors.PublishedEffect``, the same release as the report page).

Fonts as in ``ews.pdf``: DejaVu Sans when present, otherwise Helvetica with Latin-1 text.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.ews.school.pdf import _Doc
from leerloopbaan.kernel import formatting

# The method in plain words for the page and the PDF (Dutch in the catalogue): how the groups are
# formed, what is measured, how sure the figures are, and what they can and cannot say.
METHOD = (
    gettext_lazy(
        "How we compare: every pupil who received the offer is paired with one pupil who did not: of the same grade and "
        "OKI level, with a risk score close to theirs (within 0.05) around the same date, and with about as much problematic "
        "absence in the 90 days before the start, rising or falling in the same way. The balance table shows how alike the "
        "two groups are: a standardised difference under 0.1 counts as alike."
    ),
    gettext_lazy(
        "What we measure: absences are counted per half-day the pupil was enrolled (half-days absent divided by half-days "
        "enrolled), so a pupil who leaves school or changes school does not count as less absent. A pupil who leaves school "
        "stays in the comparison: leaving school without a qualification before the end of the school year is one of the "
        "outcomes. For absences and the risk score the figure is the change after the start minus the change in the "
        "comparison group over the same 90 days; for the C-attest and leaving school it is the difference in shares."
    ),
    gettext_lazy(
        "How sure we are: the interval is a 95% interval for that difference. Because five outcomes are checked at once, "
        "one of them can differ by chance; the p-values are corrected for that (Holm). Only a difference that stays under "
        '0.05 after the correction is called lower or higher; "not significant after correction" means it may be chance.'
    ),
    gettext_lazy(
        "What this can and cannot say: this is a comparison of similar pupils, not a randomised trial. It shows whether "
        "pupils who got the offer did better or worse than similar pupils who did not. It cannot prove that the offer "
        "caused the difference: pupils who get support may differ in ways the data do not show (motivation, the situation "
        "at home, other help). No clear difference does not prove that the offer does not work either: the group may be "
        "too small to show it."
    ),
)


def method() -> list[str]:
    """The method paragraphs in the active language."""
    return [str(p) for p in METHOD]


def effect_pdf(effect, generated_on=None) -> bytes:
    doc = _Doc()
    doc.pdf.set_title(doc.t(f"{effect.offer_title} {effect.school_year}"))
    doc.heading(_("Effect report"), 16)
    doc.heading(f"{effect.offer_title} · {effect.provider} · {effect.school_year}", 12)
    if generated_on:
        doc.para(_("Made on %(date)s.") % {"date": formatting.date(generated_on)}, 8)
    doc.table(
        [_("Received the offer"), _("Matched"), _("Not matched")],
        [[str(effect.treated), str(effect.matched), str(effect.unmatched)]],
        [60, 60, 60],
    )
    if effect.few_treated:
        doc.para(_("Fewer than 5 pupils received this offer in this school year (<5): no estimate is shown."))
    elif not effect.estimated:
        doc.para(_("Fewer than 5 matched pairs: no estimate is shown."))
    if effect.estimated:
        doc.heading(_("Before and after"))
        doc.table(
            [
                _("Outcome"),
                _("Pairs"),
                _("Offer: before"),
                _("after"),
                _("Comparison: before"),
                _("after"),
                _("Difference"),
                _("95% interval"),
            ],
            [
                [
                    str(r["short"]),
                    r["n"],
                    r["treated_pre"],
                    r["treated_post"],
                    r["control_pre"],
                    r["control_post"],
                    r["effect"],
                    r["interval"],
                ]
                for r in effect.rows
            ],
            [32, 11, 21, 15, 29, 15, 22, 45],
        )
        doc.table(
            [_("Outcome"), _("p"), _("p after correction (Holm)"), _("Reading")],
            [[str(r["short"]), r["p"], r["p_holm"], str(r["verdict"])] for r in effect.rows if r["shown"]],
            [32, 16, 40, 102],
        )
    if effect.balance_shown:
        doc.heading(_("Balance: how alike the two groups are"))
        doc.table(
            [
                _("Matched on"),
                _("Before matching"),
                _("After matching"),
                _("Alike (SMD between -0.1 and 0.1)"),
            ],
            [
                [
                    str(b["label"]),
                    b["before"],
                    b["after"],
                    "–" if not b["shown"] else _("yes") if b["balanced"] else _("no"),
                ]
                for b in effect.balance
            ],
            [90, 30, 30, 40],
        )
        doc.para(
            _(
                "Standardised mean difference between the pupils who received the offer and the comparison group, before "
                "matching (against all %(candidates)s pupils who could serve as comparison) and after it (the matched pairs)."
            )
            % {"candidates": effect.candidates},
            8,
        )
    if effect.any_hidden:
        doc.para(
            _(
                "Numbers under 5 are shown as <5; × is hidden as well, so that such a number cannot be worked out."
            ),
            8,
        )
    doc.heading(_("Method"))
    for paragraph in method():
        doc.para(paragraph, 8)
    return bytes(doc.pdf.output())
