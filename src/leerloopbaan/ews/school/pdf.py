"""The school portrait as a one-page A4 brief (fpdf2), from the dict ``ews.selectors.school_portrait``
returns: the same titled charts as the page (its SVG, drawn by fpdf2), the plain sentences, the key
figures and the VSV table, in the reader's locale (nl-BE: decimal comma).

fpdf2 bundles no fonts: DejaVu Sans (Debian's fonts-dejavu-core) is used when present, so every
character prints; otherwise the core Helvetica font with the text reduced to Latin-1.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF

from leerloopbaan.kernel import formatting

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
MARGIN = 12
PAGE_W, PAGE_H = 210, 297
BODY_W = PAGE_W - 2 * MARGIN
BOTTOM = PAGE_H - 10


def _latin1(text: str) -> str:
    text = (
        str(text)
        .replace("–", "-")
        .replace("—", "-")
        .replace("’", "'")
        .replace("≥", ">=")
        .replace("↓", "v")
        .replace("…", "...")
    )
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
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(auto=False)  # one page: the layout below is measured to fit
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

    def heading(self, text, size=10, gap=1.5):
        self.pdf.set_y(self.pdf.get_y() + gap)
        self.pdf.set_font(self.family, "B", size)
        self.pdf.multi_cell(BODY_W, size * 0.5, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def para(self, text, size=8, height=3.8, bullet=False):
        self.pdf.set_font(self.family, "", size)
        if bullet:
            self.pdf.set_x(MARGIN + 3)
            self.pdf.multi_cell(
                BODY_W - 3, height, self.t("• " + str(text)), align="L", new_x="LMARGIN", new_y="NEXT"
            )
        else:
            self.pdf.multi_cell(BODY_W, height, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], height=4.2, size=7):
        self.pdf.set_font(self.family, "B", size)
        self.pdf.set_fill_color(233, 236, 239)
        for i, (text, w) in enumerate(zip(header, widths, strict=True)):
            self.pdf.cell(w, height + 0.6, self.t(text), border="B", fill=True, align="L" if i == 0 else "R")
        self.pdf.ln()
        self.pdf.set_font(self.family, "", size)
        for row in rows:
            for i, (text, w) in enumerate(zip(row, widths, strict=True)):
                self.pdf.cell(w, height, self.t(text), border="B", align="L" if i == 0 else "R")
            self.pdf.ln()

    def chart(self, svg: str, x: float, y: float, w: float) -> float:
        """Draw an SVG chart of ``kernel.charts`` at (x, y), ``w`` wide; returns its height (mm)."""
        if not svg:
            return 0.0
        box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
        h = w * float(box.group(2)) / float(box.group(1)) if box else w / 2
        text = re.sub(
            r"<title[^>]*>.*?</title>|<desc[^>]*>.*?</desc>", "", str(svg), flags=re.S
        )  # read by screen readers, not drawn
        text = text.replace('width="100%" ', "")
        if self.unicode:
            text = text.replace('font-family="sans-serif"', 'font-family="DejaVu"')
        else:
            text = _latin1(text)
        self.pdf.image(io.BytesIO(text.encode()), x=x, y=y, w=w, h=h)
        return h


def portrait_pdf(data: dict) -> bytes:
    """The portrait's brief on one A4 page, as PDF bytes."""
    school = data["school"]
    doc = _Doc()
    pdf = doc.pdf
    pdf.set_title(doc.t(f"{school.name} {data['school_year']}"))
    # header: what, whom, compared with whom; OKI in one line
    pdf.set_font(doc.family, "B", 15)
    pdf.cell(BODY_W * 0.7, 7, doc.t(_("School portrait")))
    pdf.set_font(doc.family, "", 10)
    pdf.cell(BODY_W * 0.3, 7, doc.t(data["school_year"]), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.heading(f"{school.name} ({school.school_number})", 11, gap=0.5)
    line = []
    if data.get("quintile"):
        line.append(
            _("Compared with %(n)s schools of the same level in OKI quintile %(q)s (1 = lowest OKI).")
            % {"n": data["peer_count"], "q": data["quintile"]}
        )
    if data.get("suppressed"):
        line.append(_("Numbers under 5 are shown as <5."))
    if line:
        doc.para(" ".join(line), 8)
    if data.get("oki_line"):
        doc.para(data["oki_line"], 7.5, 3.4)
    # in short: the sentences
    if data.get("sentences"):
        doc.heading(_("In short"), 10)
        for sentence in data["sentences"]:
            doc.para(sentence, 8.5, 4, bullet=True)
    # the school on the range of similar schools
    y = pdf.get_y() + 2
    y += doc.chart(data.get("range_svg", ""), MARGIN, y, BODY_W * 0.92)
    # risk bands beside the VSV trend (the OKI mix takes a place left empty)
    half = (BODY_W - 6) / 2
    pair = [svg for svg in (data.get("risk_svg"), data.get("vsv_svg"), data.get("oki_svg")) if svg][:2]
    heights = [doc.chart(svg, MARGIN + i * (half + 6), y + 2, half) for i, svg in enumerate(pair)]
    pdf.set_y(y + 2 + max(heights, default=0))
    if data.get("reference_date"):
        doc.para(_("Risk scores of %(date)s.") % {"date": formatting.date(data["reference_date"])}, 7, 3.2)
    if data.get("model_line"):
        doc.para(f"{data['model_line'].text} · {_('model card')}: {data.get('model_card_url', '')}", 7, 3.2)
    doc.heading(_("Key figures"), 10)
    doc.table(
        [_("Figure"), _("This school"), _("Similar OKI"), _("City")],
        [[f.label, f.school, f.group, f.city] for f in data["figures"]],
        [96, 30, 30, 30],
    )
    if data.get("vsv_rows"):
        doc.heading(_("Early school leaving and value added"), 10)
        doc.table(
            [
                _("School year"),
                _("Leavers"),
                _("Unqualified"),
                _("VSV"),
                _("Expected"),
                _("Actual - expected"),
                _("Similar OKI"),
                _("City"),
            ],
            [
                [
                    r["year"],
                    r["leavers"],
                    r["unqualified"],
                    r["rate"],
                    r["expected"],
                    r["value_added"],
                    r["group_rate"],
                    r["city_rate"],
                ]
                for r in data["vsv_rows"]
            ],
            [20, 22, 30, 14, 20, 34, 30, 16],
        )
        doc.para(
            _(
                "Expected: the city's VSV rate per OKI level applied to the school's leavers (indirect standardisation). "
                "A negative difference means fewer early school leavers than the intake predicts."
            ),
            7,
            3.2,
        )
    doc.heading(_("The school's comment"), 10)
    comment = data.get("comment")
    text = comment.text if comment and comment.text else _("No comment yet.")
    room = max(int((BOTTOM - pdf.get_y()) / 3.8), 1)  # the comment takes the lines that are left
    pdf.set_font(doc.family, "", 8)
    lines = pdf.multi_cell(BODY_W, 3.8, doc.t(text), dry_run=True, output="LINES")
    if len(lines) > room:
        text = " ".join(lines[:room]).rstrip()[:-1] + "…"
    doc.para(text, 8)
    return bytes(pdf.output())
