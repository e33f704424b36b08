"""What city roles see of one pupil: a pseudonymised record that hides in a group of at least ``K``.

City analysts and admins (``selectors.PSEUDONYM_ROLES``) see individual pupils by pseudonym. A
pseudonym alone is not enough: birth date, sex and postcode single out almost every pupil of a city.
Every pupil-level view of those roles (the pupil list, the pupil page, the API's list and detail)
therefore shows the *quasi-identifiers* of a pupil only as released here:

    birth   (year and quarter, e.g. ``2012-Q3``)
    sex
    district (derived from the postcode, ``vocabulary.district_of_postcode``; never the postcode)
    school   (of the current or last enrolment)
    grade    (of the current or last enrolment)

and of the school history only the released school year (that of the current or last enrolment, with
the released school and grade, and that year's attestation): earlier school years are never shown to
city roles (with them most pupils of a city are unique).

**The guarantee.** Over the whole released population (every pupil of the register), every combination
of the five shown values occurs for at least ``K`` = 5 pupils (k-anonymity, ``k = 5``), whatever page
or API call shows it. The released value of the current or last enrolment is also the one the school
history shows for that enrolment, so the history never shows it finer. (With fewer than ``K`` pupils
in the register nothing can be released: every value is then suppressed.)

**The ladder** (decided once; local recoding: each pupil is shown at the lowest level at which at
least ``K`` pupils share the pupil's combination of that level):

    level  birth               sex   district                  school   grade
    0      year and quarter    yes   district                  yes      grade
    1      year                yes   district                  yes      grade
    2      year                –     district                  yes      grade
    3      year                –     city / outside / unknown  yes      grade
    4      year                –     city / outside / unknown  yes      stage (K, P1-P2, ..., S5-S7)
    5      3-year band         –     city / outside / unknown  yes      stage
    6      3-year band         –     city / outside / unknown  –        stage
    7      –                   –     –                         –        –

Each level's values are a coarsening of the level below (a hierarchy), so pupils who share a
combination share every coarser one. Where some pupils of a level's combination are shown finer and
the rest would be fewer than ``K``, the finer ones are shown at that level too (they move as whole
groups, so no group left behind shrinks): every shown combination below the top then holds every
pupil with that combination, at least ``K``. If the top level (everything hidden) holds 1-4 pupils,
the smallest groups below join it whole. ``generalise``
is that rule on plain arrays (no database); ``release()`` applies it to the register, cached under the
data version (``kernel.caching``).

The released school year and its attestation outcome are held to the same guarantee over the five
values plus those two (``released_year``): where a combination would be rarer than ``K``, the outcome
and then the school year are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.caching import cached
from leerloopbaan.registry.vocabulary import District, Sex, district_of_postcode

K = 5
LEVELS = 8
HIDDEN = "–"
CITY = "city"                  # the district generalised: somewhere in the city
OUTSIDE = str(District.OUTSIDE)

STAGES = {
    "K1": "K", "K2": "K", "K3": "K", "P1": "P1-P2", "P2": "P1-P2", "P3": "P3-P4", "P4": "P3-P4",
    "P5": "P5-P6", "P6": "P5-P6", "S1": "S1-S2", "S2": "S1-S2", "S3": "S3-S4", "S4": "S3-S4",
    "S5": "S5-S7", "S6": "S5-S7", "S7": "S5-S7",
}
COLUMNS = ("birth", "sex", "district", "school", "grade")


# --- the rule, on plain data ---------------------------------------------------------------------

def _band(years: np.ndarray) -> np.ndarray:
    start = years - years % 3
    return np.array([f"{a}-{a + 2}" for a in start], dtype=object)


def ladder(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The five shown values of every pupil at each level of the ladder.

    ``frame``: one row per pupil with ``birth_year`` (int), ``birth_quarter`` (1-4), ``sex``,
    ``district`` ("" unknown, ``outside``, or a district), ``school`` (a string id, "" none) and
    ``grade`` ("" none). Returns ``LEVELS`` frames with the columns ``COLUMNS`` (strings)."""
    n = len(frame)
    years = frame["birth_year"].to_numpy(dtype=np.int64)
    year = years.astype(str).astype(object)
    quarter = np.array([f"{y}-Q{q}" for y, q in zip(years, frame["birth_quarter"].to_numpy(), strict=True)], dtype=object)
    band = _band(years)
    sex = frame["sex"].astype(str).to_numpy(dtype=object)
    district = frame["district"].astype(str).to_numpy(dtype=object)
    area = np.where(district == "", "", np.where(district == OUTSIDE, OUTSIDE, CITY)).astype(object)
    school = frame["school"].astype(str).to_numpy(dtype=object)
    grade = frame["grade"].astype(str).to_numpy(dtype=object)
    stage = np.array([STAGES.get(g, g) for g in grade], dtype=object)
    hidden = np.full(n, HIDDEN, dtype=object)
    rows = [
        (quarter, sex, district, school, grade),
        (year, sex, district, school, grade),
        (year, hidden, district, school, grade),
        (year, hidden, area, school, grade),
        (year, hidden, area, school, stage),
        (band, hidden, area, school, stage),
        (band, hidden, area, hidden, stage),
        (hidden, hidden, hidden, hidden, hidden),
    ]
    return [pd.DataFrame(dict(zip(COLUMNS, cols, strict=True)), index=frame.index) for cols in rows]


def _keys(levels: list[pd.DataFrame]) -> np.ndarray:
    """One integer per shown combination, shape (levels, rows): equal integers, equal shown strings.

    Each column's strings are numbered over every level at once, then the numbers of the columns are
    combined one column at a time (renumbered after each step, so the number never overflows)."""
    n = len(levels[0])
    key = np.zeros(len(levels) * n, dtype=np.int64)
    for column in COLUMNS:
        codes, uniques = pd.factorize(np.concatenate([lv[column].to_numpy(dtype=object) for lv in levels]))
        key, _ = pd.factorize(key * len(uniques) + codes)
    return key.reshape(len(levels), n)


def _lowest_levels(keys: np.ndarray, k: int) -> np.ndarray:
    """Steps 1 and 2 of local recoding over a hierarchy of levels (``keys``: levels x rows, each level a
    coarsening of the one below, the top one the coarsest): the level each row is shown at. The top
    level's small groups are the caller's (step 3)."""
    n = keys.shape[1]
    top = keys.shape[0] - 1
    # 1. each pupil's lowest level at which at least k pupils share the pupil's combination
    level = np.full(n, top, dtype=np.int64)
    for lv in range(top - 1, -1, -1):
        counts = np.bincount(keys[lv])[keys[lv]]
        level[counts >= k] = lv
    # 2. a combination of level L is shown to fewer than k pupils when some who share it were shown
    #    finer: show them at L too. Everyone who shares a finer combination shares the coarser one
    #    (the ladder is a hierarchy), so whole groups move and no group left behind shrinks; after
    #    this every group of level L holds every pupil with its combination, at least k.
    for lv in range(top - 1, 0, -1):
        at = level == lv
        sizes = np.bincount(keys[lv][at], minlength=keys.max() + 1)
        small = (sizes > 0) & (sizes < k)
        if small.any():
            level[(level < lv) & small[keys[lv]]] = lv
    return level


def generalise(frame: pd.DataFrame, k: int = K) -> pd.DataFrame:
    """The shown values of every pupil of ``frame`` (see ``ladder``) and the ``level`` chosen, such
    that every shown combination occurs for at least ``k`` rows (when ``frame`` has at least ``k``)."""
    n = len(frame)
    levels = ladder(frame)
    if n == 0:
        return levels[0].assign(level=np.zeros(0, dtype=np.int64))
    keys = _keys(levels)
    top = LEVELS - 1
    rows = np.arange(n)
    if n < k:
        level = np.full(n, top, dtype=np.int64)
    else:
        level = _lowest_levels(keys, k)
        # 3. the top level (all hidden) with 1 to k-1 pupils: the smallest groups below join it whole
        at_top = level == top
        if 0 < at_top.sum() < k:
            shown = keys[level, rows]
            sizes = pd.Series(shown[~at_top]).value_counts(sort=False)
            need = k - int(at_top.sum())
            for key, size in sorted(sizes.items(), key=lambda kv: (kv[1], kv[0])):
                level[shown == key] = top
                need -= size
                if need <= 0:
                    break
    out = pd.DataFrame({c: np.empty(n, dtype=object) for c in COLUMNS}, index=frame.index)
    for lv in range(LEVELS):
        mask = level == lv
        if mask.any():
            out.loc[mask, list(COLUMNS)] = levels[lv].loc[mask, list(COLUMNS)].to_numpy()
    out["level"] = level
    return out


def smallest_group(shown: pd.DataFrame) -> int:
    """The size of the smallest group of rows sharing the shown combination (0 for no rows)."""
    if shown.empty:
        return 0
    return int(shown.groupby(list(COLUMNS), sort=False).size().min())


# --- the register ----------------------------------------------------------------------------

def _population() -> pd.DataFrame:
    """One row per pupil: birth year and quarter, sex, district, the school and grade of the current or
    last enrolment (the latest start). Plain values, no person identified: the input of ``generalise``."""
    from leerloopbaan.registry.models import Attestation, Enrolment, Pupil

    # the last enrolment of each pupil, chosen by the database (one index seek per pupil, not every
    # enrolment of the register through Python)
    latest = Enrolment.objects.filter(pupil=OuterRef("pk")).order_by("-start_date", "-pk").values("pk")[:1]
    with_last = Pupil.objects.annotate(last=Subquery(latest))
    pupils = pd.DataFrame.from_records(Pupil.objects.values_list("pk", "birth_date", "sex", "postcode"),
                                       columns=["pk", "birth_date", "sex", "postcode"])
    last = pd.DataFrame.from_records(
        Enrolment.objects.filter(pk__in=with_last.values("last")).values_list("pupil_id", "pk", "school_id", "grade", "school_year"),
        columns=["pk", "enrolment", "school_id", "grade", "school_year"]).set_index("pk")
    # the attestation of the released school year (at most one per pupil and school year), as shown
    outcomes = {(pupil, year): f"{result}|{qualification}" for pupil, year, result, qualification
                in Attestation.objects.values_list("pupil_id", "school_year", "result", "qualification")}
    pupils = pupils.set_index("pk").sort_index()
    births = pd.to_datetime(pupils["birth_date"].astype("datetime64[ns]"))
    school = last["school_id"].reindex(pupils.index)
    years = last["school_year"].reindex(pupils.index).fillna("").to_numpy(dtype=object)
    return pd.DataFrame({
        "birth_year": births.dt.year.to_numpy(dtype=np.int64),
        "birth_quarter": births.dt.quarter.to_numpy(dtype=np.int64),
        "sex": pupils["sex"].to_numpy(dtype=object),
        "district": [district_of_postcode(p or "") for p in pupils["postcode"]],
        "school": ["" if pd.isna(s) else str(int(s)) for s in school],
        "grade": last["grade"].reindex(pupils.index).fillna("").to_numpy(dtype=object),
        "enrolment": last["enrolment"].reindex(pupils.index).fillna(0).to_numpy(dtype=np.int64),
        "school_year": years,
        "outcome": [outcomes.get((pk, year), "") for pk, year in zip(pupils.index, years, strict=True)],
    }, index=pupils.index)


def _fingerprint() -> tuple:
    """Counts that change when pupils or enrolments are added or removed outside an import (the data
    version changes with every import)."""
    from leerloopbaan.registry.models import Enrolment, Pupil

    p = Pupil.objects.aggregate(n=Count("pk"), m=Max("pk"))
    e = Enrolment.objects.aggregate(n=Count("pk"), m=Max("pk"))
    return p["n"], p["m"], e["n"], e["m"]


def released_year(shown: pd.DataFrame, school_year: pd.Series, outcome: pd.Series, k: int = K) -> pd.DataFrame:
    """The school year of the released enrolment and that year's attestation outcome, as shown next to
    the five released values (``shown``, from ``generalise``): each hidden (``HIDDEN``) where showing it
    would leave a pupil in a group of fewer than ``k`` over the five values, the school year and the
    outcome. "" (no enrolment, no attestation) is a value of its own. Levels: 0 both shown, 1 the school
    year only, 2 neither; level 2 is the five values' own group (at least ``k``), so no one is left worse.
    Returns the columns ``school_year`` and ``outcome``."""
    n = len(shown)
    year = school_year.astype(str).to_numpy(dtype=object)
    result = outcome.astype(str).to_numpy(dtype=object)
    hidden = np.full(n, HIDDEN, dtype=object)
    out = pd.DataFrame({"school_year": hidden.copy(), "outcome": hidden.copy()}, index=shown.index)
    if n < k or n == 0:
        return out
    base = _keys([shown[list(COLUMNS)]])[0]
    levels = [(year, result), (year, hidden), (hidden, hidden)]
    key = np.tile(base, len(levels))
    for i in range(2):  # combined one column at a time, renumbered after each step (as ``_keys``)
        codes, uniques = pd.factorize(np.concatenate([lv[i] for lv in levels]))
        key, _ = pd.factorize(key * len(uniques) + codes)
    keys = key.reshape(len(levels), n)
    level = _lowest_levels(keys, k)
    # a pupil's five-value group with 1 to k-1 pupils left at the top: the smallest groups of that
    # five-value group shown finer join the top whole until it holds k (as ``generalise`` step 3)
    top = len(levels) - 1
    rows = np.arange(n)
    at_top = pd.Series(level == top).groupby(base).sum()
    for group in at_top.index[(at_top > 0) & (at_top < k)]:
        members = base == group
        shown_keys = keys[level, rows]
        sizes = pd.Series(shown_keys[members & (level < top)]).value_counts(sort=False)
        need = k - int(at_top[group])
        for key, size in sorted(sizes.items(), key=lambda kv: (kv[1], kv[0])):
            level[members & (shown_keys == key)] = top
            need -= size
            if need <= 0:
                break
    for lv, (y, r) in enumerate(levels):
        mask = level == lv
        out.loc[mask, "school_year"] = y[mask]
        out.loc[mask, "outcome"] = r[mask]
    return out


def _compute() -> dict:
    population = _population()
    shown = generalise(population)
    shown["enrolment"] = population["enrolment"]
    shown[["school_year", "outcome"]] = released_year(shown, population["school_year"], population["outcome"])
    return {"shown": shown}


def release() -> pd.DataFrame:
    """Every pupil's shown values (index: the pupil's pk; ``COLUMNS``, ``level`` and ``enrolment``: the
    pk of the current or last enrolment, 0 for none). Cached under the data version. Not a read of
    anyone: the pages that show a row record their own read."""
    return cached("pseudonymised-release", _compute, *_fingerprint())["shown"]


# --- what a page or the API shows ------------------------------------------------------------

SEX_LABELS = dict(Sex.choices)


@dataclass(frozen=True)
class Shown:
    """One pupil's released values, for a page or the API."""

    pupil_key: str
    short_key: str
    birth: str
    sex: str
    district: str
    school: str         # school number, or HIDDEN
    school_name: str
    grade: str
    enrolment: int      # the pk of the enrolment the school and grade come from (0: none)
    school_year: str = HIDDEN  # the school year of that enrolment ("" none, HIDDEN not shown)
    outcome: str = HIDDEN      # that year's attestation as "result|qualification" ("" none, HIDDEN not shown)

    @property
    def sex_label(self) -> str:
        return str(SEX_LABELS.get(self.sex, self.sex))

    @property
    def district_label(self) -> str:
        if self.district == CITY:
            return str(_("Antwerp (city)"))
        if self.district == OUTSIDE:
            return str(District.OUTSIDE.label)
        return self.district or HIDDEN


def _school_names(ids) -> dict[str, tuple[str, str]]:
    from leerloopbaan.registry.models import School

    wanted = {int(i) for i in ids if i and i != HIDDEN}
    return {str(pk): (number, name) for pk, number, name in School.objects.filter(pk__in=wanted).values_list("pk", "school_number", "name")}


def shown_for(pupils) -> list[Shown]:
    """The released values of ``pupils`` (rows already read through the selectors), in their order."""
    pupils = list(pupils)
    table = release()
    rows = table.reindex([p.pk for p in pupils])
    schools = _school_names(rows["school"].dropna())
    out = []
    for p, (_pk, row) in zip(pupils, rows.iterrows(), strict=True):
        if pd.isna(row["birth"]):  # a pupil added after the release was computed: nothing to show
            out.append(Shown(p.pupil_key, p.short_key, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, 0))
            continue
        number, name = schools.get(row["school"], (row["school"] or HIDDEN, row["school"] or HIDDEN))
        out.append(Shown(p.pupil_key, p.short_key, row["birth"], row["sex"], row["district"], number, name,
                         row["grade"] or HIDDEN, int(row["enrolment"]), row["school_year"], row["outcome"]))
    return out


def pupil_ids_at_school(school_number: str) -> list[int]:
    """The pupils whose *shown* school is ``school_number`` (a filter may not reveal a hidden school)."""
    from leerloopbaan.registry.models import School

    school = School.objects.filter(school_number=school_number).values_list("pk", flat=True).first()
    if school is None:
        return []
    table = release()
    return sorted(int(i) for i in table.index[table["school"] == str(school)])


@dataclass(frozen=True)
class YearRow:
    school_year: str
    school: str        # school number, or HIDDEN
    school_name: str
    grade: str


def history(shown: Shown, records: dict) -> dict:
    """What city roles see of the school history of ``records`` (``selectors.pupil_records``): only the
    released school year (that of the current or last enrolment, as ``released_year`` shows it) with the
    released school and grade, and that year's attestation (its grade as released) where it is shown.
    Earlier school years, their schools, grades and attestations are never shown to city roles: with
    them most pupils of a city are unique (``history_shown`` is False to say so)."""
    year = shown.school_year
    if not shown.enrolment or year in ("", HIDDEN):
        return {"years": [], "attestations": [], "history_shown": False}
    years = [YearRow(year, shown.school, shown.school_name, shown.grade)]
    attestations = []
    if shown.outcome not in ("", HIDDEN):
        for a in records.get("attestations", []):
            if a.school_year == year:
                attestations.append({"school_year": a.school_year, "grade": shown.grade, "result": a.result,
                                     "result_label": a.get_result_display(), "qualification": a.qualification,
                                     "qualification_label": a.get_qualification_display() if a.qualification else ""})
    return {"years": years, "attestations": attestations, "history_shown": False}


def released_school_year(pupil) -> str:
    """The school year city roles may see records of for ``pupil`` (a row read through the selectors):
    that of the current or last enrolment as released, "" when none is shown. Panels that show records
    per school year (absences, test results) show this year's only."""
    year = shown_for([pupil])[0].school_year
    return "" if year in ("", HIDDEN) else year


# --- the selectors of city roles (scoped and audited like every read of a pupil) --------------

@dataclass(frozen=True)
class Record:
    """One pupil as city roles see them: the released values and the history by school year."""

    shown: Shown
    years: list[YearRow]
    attestations: list[dict]
    history_shown: bool = False  # earlier school years are never shown to city roles

    def __getattr__(self, name):  # the released values read as the record's own (pupil_key, birth, ...)
        if name.startswith("_") or name == "shown":
            raise AttributeError(name)
        return getattr(self.shown, name)


def pupil_list(*, user, school_number: str | None = None, limit: int = 100, offset: int = 0,
               purpose: str = "pupil list") -> list[Shown]:
    """A page of pupils the user may see, as released (optionally those whose *shown* school is
    ``school_number``), audited as one read."""
    from leerloopbaan.kernel.access import access_for
    from leerloopbaan.registry.models import Pupil

    qs = Pupil.objects.all()
    if school_number:
        qs = qs.filter(pk__in=pupil_ids_at_school(school_number))
    pupils = access_for(user).list(qs.order_by("pk"), purpose=purpose, limit=limit, offset=offset,
                                   detail={"school": school_number, "offset": offset, "pseudonymised": True})
    return shown_for(pupils)


def pupil_record(*, user, pupil_key: str, purpose: str = "pupil record") -> Record:
    """One pupil the user may see, as released, with the history by school year; Http404 outside the
    scope; audited."""
    from leerloopbaan.registry import selectors

    pupil = selectors.pupil_get(user=user, pupil_key=pupil_key, purpose=purpose)
    records = selectors.pupil_records(user=user, pupil=pupil)
    shown = shown_for([pupil])[0]
    found = history(shown, records)
    return Record(shown, found["years"], found["attestations"], found["history_shown"])
