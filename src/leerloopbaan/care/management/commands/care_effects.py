"""``leerloopbaan care_effects --school-year YYYY-YYYY [--out DIR]``: the yearly effect run.

Writes the effect report of every support offer as a PDF (``effects-<offer>-<year>.pdf`` in DIR)
and prints a summary table. Aggregates only: the PDFs and the table render the figures of one
disclosure release over every offer (``effects.publish_effects``), as the pages do.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import UnitOfWorkCommand


class Command(UnitOfWorkCommand):
    help = "Effect reports of every support offer for a school year (PDF per offer) and a summary table."

    def add_arguments(self, parser):
        parser.add_argument("--school-year", required=True, help="YYYY-YYYY")
        parser.add_argument(
            "--out", default=".", help="directory for the PDF reports (default: the current directory)"
        )

    def handle(self, *args, school_year, out, **options):
        from leerloopbaan.care.effects import selectors as effects
        from leerloopbaan.care.effects.pdf import effect_pdf
        from leerloopbaan.kernel.audit.services import audit_record
        from leerloopbaan.kernel.schoolyear import parse_school_year

        try:
            parse_school_year(school_year)
        except ValueError as exc:
            raise CommandError(f"--school-year {school_year!r}: {exc}", returncode=2) from None
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        today = clock.today()
        offers = list(effects.every_offer())
        published = effects.publish_effects(
            [effects.offer_effect(o, school_year, today=today) for o in offers], "care effects: yearly run"
        )

        def f(v):  # a difference in the B share, in percentage points
            return "" if v is None else f"{100 * v:.2f}"

        self.stdout.write(
            "offer\ttitle\ttreated\tmatched\tunmatched\tB_effect_pp\tB_low_pp\tB_high_pp\tB_p_holm\tpdf"
        )
        written = []
        for offer, effect in zip(offers, published, strict=True):
            path = folder / f"effects-{offer.pk}-{school_year}.pdf"
            path.write_bytes(effect_pdf(effect, today))
            written.append(offer.pk)
            b = effect.row("b_rate")
            estimate = (
                [f(b["values"][k]) for k in ("effect", "low", "high")] + [b["p_holm"]]
                if b["shown"]
                else ["", "", "", ""]
            )
            self.stdout.write(
                "\t".join(
                    [
                        str(offer.pk),
                        offer.title,
                        str(effect.treated),
                        str(effect.matched),
                        str(effect.unmatched),
                        *estimate,
                        str(path),
                    ]
                )
            )
        audit_record(
            action="export",
            subject_type="aggregate",
            purpose="effect monitoring: yearly run",
            detail={"school_year": school_year, "offers": written, "out": str(folder)},
        )
