"""The readable PDF of a talent portfolio, for the export zip (fpdf2, see ews/pdf.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from leerloopbaan.ews.school.pdf import _Doc
from leerloopbaan.kernel import clock, formatting


def portfolio_pdf(portfolio, overview: dict) -> bytes:
    doc = _Doc()
    doc.pdf.set_title(doc.t(_("Talent portfolio")))
    doc.heading(_("Talent portfolio of %(name)s") % {"name": portfolio.display_name}, 16)
    doc.para(_("Exported on %(date)s. Attested competences are Open Badges 3.0 credentials; their files are in the "
               "folder credentials/ of this export and can be checked by any verifier.")
             % {"date": formatting.date(clock.today())}, 8)
    for area, entries in overview["by_area"]:
        doc.heading(area or _("Other"))
        for entry in entries:
            period = formatting.date(entry.started_on) + (f" – {formatting.date(entry.ended_on)}" if entry.ended_on else "")
            kind = entry.get_kind_display()
            source = entry.get_source_display()
            doc.pdf.set_font(doc.family, "B", 10)
            doc.pdf.multi_cell(0, 6, doc.t(f"{entry.title}  ({kind}, {source})"), new_x="LMARGIN", new_y="NEXT")
            lines = [period + (f" · {entry.where}" if entry.where else "")]
            if entry.description:
                lines.append(entry.description)
            if entry.esco_skill:
                lines.append(_("ESCO: %(label)s (%(uri)s)") % {"label": entry.esco_skill.label(), "uri": entry.esco_skill.uri})
            credential = getattr(entry, "credential", None)
            if credential is not None:
                lines.append(_("Attested by %(issuer)s on %(date)s · %(status)s · %(id)s") % {
                    "issuer": credential.issuer.name, "date": formatting.date(clock.date_of(credential.issued_at)),
                    "status": credential.get_status_display(), "id": credential.credential_id})
            for evidence in entry.evidence.all():
                lines.append(_("Evidence: %(what)s") % {"what": evidence.text or evidence.url or evidence.file_name})
            doc.para("\n".join(lines), 9)
    if not overview["entries"]:
        doc.para(_("No entries yet."))
    return bytes(doc.pdf.output())
