"""The school portrait as a PDF (fpdf2), from the dict ``ews.selectors.school_portrait`` returns.

fpdf2 bundles no fonts: DejaVu Sans (Debian's fonts-dejavu-core) is used when present, so every
character prints; otherwise the core Helvetica font with the text reduced to Latin-1.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF

from leerloopbaan.kernel import formatting

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _latin1(text: str) -> str:
    text = str(text).replace("–", "-").replace("—", "-").replace("’", "'").replace("≥", ">=").replace("↓", "v")
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(decomposed or "?")
    return "".join(out)


class _Doc:
    def __init__(self):
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.unicode = DEJAVU.exists() and DEJAVU_BOLD.exists()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(DEJAVU))
            self.pdf.add_font("DejaVu", "B", str(DEJAVU_BOLD))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.pdf.add_page()

    def t(self, text) -> str:
        return str(text) if self.unicode else _latin1(str(text))

    def heading(self, text, size=12):
        self.pdf.set_font(self.family, "B", size)
        self.pdf.ln(2)
        self.pdf.multi_cell(0, 7, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def para(self, text, size=9):
        self.pdf.set_font(self.family, "", size)
        self.pdf.multi_cell(0, 5, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]):
        self.pdf.set_font(self.family, "B", 8)
        for text, w in zip(header, widths, strict=True):
            self.pdf.cell(w, 6, self.t(text), border=1)
        self.pdf.ln()
        self.pdf.set_font(self.family, "", 8)
        for row in rows:
            for text, w in zip(row, widths, strict=True):
                self.pdf.cell(w, 5.5, self.t(text), border=1)
            self.pdf.ln()


def portrait_pdf(data: dict) -> bytes:
    """The portrait's figures, VSV trend with value added and the school's comment, as PDF bytes."""
    school = data["school"]
    doc = _Doc()
    doc.pdf.set_title(doc.t(f"{school.name} {data['school_year']}"))
    doc.heading(_("School portrait"), 16)
    doc.heading(f"{school.name} ({school.school_number}) · {data['school_year']}", 12)
    if data.get("quintile"):
        doc.para(_("Compared with %(n)s schools of the same level in OKI quintile %(q)s (1 = lowest OKI).")
                 % {"n": data["peer_count"], "q": data["quintile"]})
    if data.get("suppressed"):
        doc.para(_("Numbers under 5 are shown as <5."))
    doc.heading(_("Key figures"))
    doc.table([_("Figure"), _("This school"), _("Similar OKI"), _("City")],
              [[f.label, f.school, f.group, f.city] for f in data["figures"]], [85, 33, 33, 33])
    if data.get("reference_date"):
        doc.para(_("Risk scores of %(date)s.") % {"date": formatting.date(data["reference_date"])})
    if data.get("model_line"):
        doc.para(f"{data['model_line'].text} · {_('model card')}: {data.get('model_card_url', '')}", 8)
    doc.heading(_("Early school leaving and value added"))
    doc.table([_("School year"), _("Leavers"), _("Unqualified"), _("VSV"), _("Expected"), _("Actual - expected"), _("Similar OKI"), _("City")],
              [[r["year"], r["leavers"], r["unqualified"], r["rate"], r["expected"], r["value_added"], r["group_rate"], r["city_rate"]]
               for r in data["vsv_rows"]], [22, 18, 22, 18, 22, 32, 23, 23])
    doc.para(_("Expected: the city's VSV rate per OKI level applied to the school's leavers (indirect standardisation). "
               "A negative difference means fewer early school leavers than the intake predicts."), 8)
    doc.heading(_("The school's comment"))
    comment = data.get("comment")
    doc.para(comment.text if comment and comment.text else _("No comment yet."))
    return bytes(doc.pdf.output())
