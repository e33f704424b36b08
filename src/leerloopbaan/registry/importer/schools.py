"""schools.csv: the schools of the city, with their network, level, district and CLB (data-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from leerloopbaan.registry.importer import rules
from leerloopbaan.registry.importer.kinds import FileKind
from leerloopbaan.registry.models import Clb, School

if TYPE_CHECKING:
    from leerloopbaan.registry.importer.core import Importer


def load(imp: Importer, files: list[tuple[str, Path]]) -> None:
    rows: dict[str, tuple[str, dict]] = {}
    first_line: dict[str, tuple[str, int]] = {}
    for name, path in files:
        imp.count(name)
        for line, row in imp.rows(name, KIND, path):
            errs = []
            number = imp.field(row, "school_number", rules.school_number, errs)
            if number is not None:
                imp.schools_seen.add(number)
                if imp.allowed is not None and number not in imp.allowed:
                    errs.append(("school_number", number, "this school is not one of your schools",
                                 "one of: " + ", ".join(sorted(imp.allowed))))
                elif number in first_line:
                    f, ln = first_line[number]
                    errs.append(("school_number", number, f"school appears twice (also {f} line {ln})", "one row per school"))
                else:
                    first_line[number] = (name, line)
            values = {
                "name": imp.field(row, "name", str, errs),
                "network": imp.field(row, "network", lambda v: rules.choice(v, rules.NETWORKS), errs),
                "level": imp.field(row, "level", lambda v: rules.choice(v, rules.LEVELS), errs),
                "district": imp.field(row, "district", lambda v: rules.choice(v, rules.DISTRICTS), errs),
                "postcode": imp.field(row, "postcode", rules.postcode, errs, optional=True),
                "clb_name": row.get("clb", ""),
                "board": row.get("board", ""),
            }
            if len(values["name"] or "") > 200:
                errs.append(("name", values["name"][:40] + "...", "too long", "at most 200 characters"))
            if imp.report_row(name, line, errs):
                rows[number] = (name, values)
    if imp.errors or not rows:
        return
    clbs = {c.name: c for c in Clb.objects.all()}
    for _name, values in rows.values():
        clb_name = values.pop("clb_name")
        if clb_name and clb_name not in clbs:
            clbs[clb_name] = Clb.objects.create(name=clb_name)
        values["clb_id"] = clbs[clb_name].pk if clb_name else None
    existing = {s.school_number: s for s in School.objects.filter(school_number__in=list(rows))}
    fields = ["name", "network", "level", "district", "postcode", "clb_id", "board"]
    for number, (_n, values) in rows.items():
        values["number"] = number
    made = imp.upsert(School, "school", rows, existing,
                        lambda v: {"school_number": v["number"], **{f: v[f] for f in fields}}, fields,
                      instances=True)
    for number, inst in made.items():
        imp.schools[number] = inst.pk


KIND = FileKind(
    name="schools", label=gettext_lazy("schools"), order=10, owner="registry", load=load,
    required=("school_number", "name", "network", "level", "district"),
    optional=("postcode", "clb", "board"),
)
