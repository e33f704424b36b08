"""Monitoring the early warning after release, for the city analyst: were past lists right, how
stable are consecutive lists, and how far have the model's features drifted since training.

Only counts, rates and statistics leave this module, never pupils, and every one of them is
published through ``kernel.disclosure``:

- one release per reference date holds that date's lists (per school and for the city: the pupils
  on the list and not, with and without a qualification, for the high band and for the top 10 %,
  and the pupils whose outcome is not yet known) and the stability of that list into the next one
  (pupils on both lists, in the high band on the first, still in it on the second), with every
  relation a reader can work out between them (the two-by-two tables and their margins, the city as
  the sum of its schools, the scored pupils as those on both lists and those gone). Which date a
  page shows per school changes what is rendered, never what is published;
- the drift release holds the population of each measurement and the PSI of every feature over it.

One list per calendar month is monitored: the last reference date of the month with scores (every
import scores the pupils of that day, so a month may hold several lists), scored by the latest
model run that scored it. The latest reference date is the one the city dashboard shows (``ews.city.selectors``); its list
is not evaluated here (its outcomes are not known yet), so this page and the dashboard never
publish the same population twice.

A pupil's outcome counts for a list when it is known today: the pupil left secondary education
(``registry.outflow.report.pupil_outcomes``, the VSV definition) in the school year of the list or
later, and that school year is final (the next one is in the registry, so "not enrolled the next
year" is known). Everyone else on the list is "not yet known": still at school, moved out, or left
in a school year that is not final yet.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import Count, Max
from django.utils.translation import get_language

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.city.monitoring import metrics
from leerloopbaan.ews.engine.features import AREAS, FEATURE_BY_NAME
from leerloopbaan.ews.models import FeatureDrift, ModelRun, RiskScore
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.disclosure import Figure, Release
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry.models import School
from leerloopbaan.registry.outflow import report as flows

# who sees the page: the city analyst (and admins); not programme managers, school staff or the CLB
MONITORING_ROLES = frozenset({Role.CITY_ANALYST, Role.ADMIN})
CITY = "city"


def may_monitor(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in MONITORING_ROLES)


DRIFT_MEASURES = 12  # the latest measurements shown


# --- what a page renders ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    """One school's list (or the city's) on one reference date, as published."""

    key: str
    label: str
    pending_share: Figure  # share of the list whose outcome is not yet known
    known: Figure  # pupils on the list whose outcome is known
    unq: Figure  # of whom left without a qualification
    high: Figure  # in the high band, outcome known
    high_unq: Figure  # of whom left without a qualification
    high_precision: Figure
    high_recall: Figure
    top: Figure  # in the top 10 % of the school's list, outcome known
    top_unq: Figure
    top_precision: Figure
    top_recall: Figure


@dataclass(frozen=True)
class StabilityRow:
    key: str
    label: str
    both: Figure  # on both lists
    high: Figure  # of whom in the high band on the first
    still: Figure  # of whom still in the high band on the second
    still_share: Figure
    spearman: Figure  # rank correlation of the risks of the pupils on both lists


@dataclass
class ListDate:
    reference_date: datetime.date
    model_version: str
    city: ListRow
    schools: list[ListRow] = field(default_factory=list)

    @property
    def any_known(self) -> bool:
        return not (self.city.known.shown and self.city.known.value == 0)


@dataclass
class StabilityPair:
    before: datetime.date
    after: datetime.date
    before_version: str
    after_version: str
    city: StabilityRow
    schools: list[StabilityRow] = field(default_factory=list)

    @property
    def model_changed(self) -> bool:
        return self.before_version != self.after_version


@dataclass(frozen=True)
class FeaturePsi:
    feature: str
    psi: Figure
    level: str  # stable | watch | shifted | unknown (suppressed)


@dataclass
class DriftMeasure:
    import_id: int
    finished_at: datetime.datetime | None
    reference_date: datetime.date
    model_version: str
    population: Figure
    features: list[FeaturePsi] = field(default_factory=list)  # highest PSI first

    def count(self, level: str) -> int:
        return sum(1 for f in self.features if f.level == level)


@dataclass
class Monitoring:
    latest_date: datetime.date | None = None  # on the city dashboard, not evaluated here
    latest_version: str = ""
    lists: list[ListDate] = field(default_factory=list)  # past reference dates, oldest first
    pairs: list[StabilityPair] = field(default_factory=list)  # consecutive reference dates, oldest first
    drifts: list[DriftMeasure] = field(default_factory=list)  # newest first
    final_years: list[str] = field(default_factory=list)
    hidden_any: bool = False

    def list_on(self, day: datetime.date | None) -> ListDate | None:
        with_known = [d for d in self.lists if d.any_known]
        default = (with_known or self.lists or [None])[-1]
        return next((d for d in self.lists if d.reference_date == day), default)

    def pair_from(self, day: datetime.date | None) -> StabilityPair | None:
        return next((p for p in self.pairs if p.before == day), self.pairs[-1] if self.pairs else None)


# --- reading ------------------------------------------------------------------------------------


def scored_dates() -> list[tuple[datetime.date, ModelRun]]:
    """Every reference date with stored scores and the model run that scored it (the latest run,
    when more than one did), oldest first; only runs that may score (never an unapproved run's)."""
    rows = (
        RiskScore.objects.that_may_show()
        .values("reference_date", "model_run_id")
        .annotate(n=Count("id"))
        .values_list("reference_date", "model_run_id")
        .order_by()
    )
    runs = {r.pk: r for r in ModelRun.objects.filter(pk__in={run for _d, run in rows})}
    chosen: dict[datetime.date, ModelRun] = {}
    for day, run_id in rows:
        run = runs[run_id]
        if day not in chosen or (run.created_at, run.pk) > (chosen[day].created_at, chosen[day].pk):
            chosen[day] = run
    return sorted(chosen.items())


def monthly(dates: list[tuple[datetime.date, ModelRun]]) -> list[tuple[datetime.date, ModelRun]]:
    """One list per calendar month: its last reference date with scores (after every import the
    day's pupils are scored, so a month may hold several lists; the page compares months)."""
    last: dict[tuple[int, int], tuple[datetime.date, ModelRun]] = {}
    for day, run in dates:
        last[(day.year, day.month)] = (day, run)
    return [last[k] for k in sorted(last)]


def scores_of(day: datetime.date, run: ModelRun) -> pd.DataFrame:
    rows = (
        RiskScore.objects.filter(reference_date=day, model_run=run)
        .values_list("pupil_id", "school_id", "risk", "band")
        .order_by()
    )
    return pd.DataFrame.from_records(list(rows), columns=["pupil_id", "school_id", "risk", "band"])


def outcomes_known() -> tuple[pd.DataFrame, list[str]]:
    """Per pupil whose outcome is known today: ``outcome`` (unqualified | qualified) and
    ``leaving_year`` (a final school year); and the final school years."""
    final = flows.final_years(flows.school_years())
    done = set(final)
    rows = [
        (pid, status, year)
        for pid, (status, year) in flows.pupil_outcomes().items()
        if status in ("unqualified", "qualified") and year in done
    ]
    frame = pd.DataFrame.from_records(rows, columns=["pupil_id", "outcome", "leaving_year"]).set_index(
        "pupil_id"
    )
    return frame, final


def _for_list(outcomes: pd.DataFrame, day: datetime.date) -> pd.Series:
    """The outcomes that count for a list of ``day``: a leaving year of the list's school year or later."""
    return outcomes.loc[outcomes["leaving_year"] >= school_year_of(day), "outcome"]


def _school_labels(ids) -> dict[int, tuple[str, str]]:
    """school id -> (school number, "name (number)")."""
    return {
        pk: (number, f"{name} ({number})")
        for pk, number, name in School.objects.filter(pk__in=list(ids)).values_list(
            "pk", "school_number", "name"
        )
    }


# --- publishing ---------------------------------------------------------------------------------


def _declare(release: Release, prefix: tuple, counts: pd.DataFrame, cells, relations, displayed) -> list:
    """Declare ``cells`` per school (rows of ``counts``) and for the city (their sums), with the
    relations within each and the city as the sum of the schools. Returns the school ids."""
    schools = [int(s) for s in counts.index]
    for s, row in counts.iterrows():
        for cell in cells:
            release.count((*prefix, int(s), cell), int(row[cell]), displayed=cell in displayed)
    for cell in cells:
        release.total(
            (*prefix, CITY, cell), [(*prefix, s, cell) for s in schools], displayed=cell in displayed
        )
    for key in [*schools, CITY]:
        for total, parts in relations:
            release.relate((*prefix, key, total), [(*prefix, key, p) for p in parts])
    return schools


_LIST_SHOWN = {"unq", "high", "high_unq", "top", "top_unq"}  # printed; the rest only in rates or derivable
_STAB_SHOWN = {"both", "high", "still"}


def _list_row(pub, prefix: tuple, key, label: str) -> ListRow:
    k = (*prefix, key)
    return ListRow(
        str(key),
        label,
        pub[(*k, "pending share")],
        pub[(*k, "known")],
        pub[(*k, "unq")],
        pub[(*k, "high")],
        pub[(*k, "high_unq")],
        pub[(*k, "high precision")],
        pub[(*k, "high recall")],
        pub[(*k, "top")],
        pub[(*k, "top_unq")],
        pub[(*k, "top precision")],
        pub[(*k, "top recall")],
    )


def _stability_row(pub, prefix: tuple, key, label: str) -> StabilityRow:
    k = (*prefix, key)
    return StabilityRow(
        str(key),
        label,
        pub[(*k, "both")],
        pub[(*k, "high")],
        pub[(*k, "still")],
        pub[(*k, "still share")],
        pub[(*k, "spearman")],
    )


def date_release(day: datetime.date, lists: pd.DataFrame | None, stability=None) -> Release:
    """The release of one reference date: its lists (``metrics.list_counts``, None when the date is
    not evaluated) and their stability into the next date (``metrics.stability_counts``, None for
    the last date)."""
    release = Release(f"early warning monitoring {day}")
    if lists is not None:
        prefix = ("list", day)
        for key in [
            *_declare(release, prefix, lists, metrics.LIST_CELLS, metrics.LIST_RELATIONS, _LIST_SHOWN),
            CITY,
        ]:
            k = (*prefix, key)
            release.ratio((*k, "pending share"), (*k, "pending"), (*k, "scored"))
            for part in ("high", "top"):
                release.ratio((*k, f"{part} precision"), (*k, f"{part}_unq"), (*k, part))
                release.ratio((*k, f"{part} recall"), (*k, f"{part}_unq"), (*k, "unq"))
    if stability is not None:
        counts, per_school, city = stability
        if lists is not None:  # a school whose pupils are all gone by the next date: zeros
            counts = counts.reindex(sorted({*lists.index, *counts.index}), fill_value=0)
        prefix = ("stability", day)
        for key in [
            *_declare(
                release, prefix, counts, metrics.STABILITY_CELLS, metrics.STABILITY_RELATIONS, _STAB_SHOWN
            ),
            CITY,
        ]:
            k = (*prefix, key)
            release.ratio((*k, "still share"), (*k, "still"), (*k, "high"))
            release.statistic(
                (*k, "spearman"), city if key == CITY else per_school.get(key), over=(*k, "both")
            )
            if lists is not None:
                # the pupils scored on this date are those on both lists and those gone by the next one
                scored = ("list", day, key, "scored")
                gone = release.count(
                    ("gone", day, key), release.counts[scored] - release.counts[(*k, "both")], displayed=False
                )
                release.relate(scored, [(*k, "both"), gone])
    return release


def monitoring() -> Monitoring:
    """Every figure of the monitoring page (cache it: ``kernel.caching.cached``)."""
    out = Monitoring()
    dates = monthly(scored_dates())
    if dates:
        out.latest_date, latest_run = dates[-1]
        out.latest_version = latest_run.version
    outcomes, out.final_years = outcomes_known() if len(dates) > 1 else (None, [])
    frames = {day: scores_of(day, run) for day, run in dates}
    labels = _school_labels({int(s) for f in frames.values() for s in f["school_id"].unique()})
    order = sorted(labels, key=lambda s: labels[s][1].lower())
    hidden = False
    for i, (day, run) in enumerate(dates):
        past = i < len(dates) - 1
        lists = metrics.list_counts(frames[day], _for_list(outcomes, day)) if past else None
        stability = None
        if past:
            nxt, next_run = dates[i + 1]
            stability = metrics.stability_counts(frames[day], frames[nxt])
        if lists is None and stability is None:
            continue
        pub = date_release(day, lists, stability).publish()
        hidden = hidden or pub.any_hidden
        if lists is not None:
            prefix = ("list", day)
            out.lists.append(
                ListDate(
                    day,
                    run.version,
                    _list_row(pub, prefix, CITY, ""),
                    [_list_row(pub, prefix, s, labels[s][1]) for s in order if s in lists.index],
                )
            )
        if stability is not None:
            prefix = ("stability", day)
            out.pairs.append(
                StabilityPair(
                    day,
                    nxt,
                    run.version,
                    next_run.version,
                    _stability_row(pub, prefix, CITY, ""),
                    [_stability_row(pub, prefix, s, labels[s][1]) for s in order if s in stability[0].index],
                )
            )
    out.drifts, drift_hidden = drift_measures()
    out.hidden_any = hidden or drift_hidden
    return out


def drift_measures(limit: int = DRIFT_MEASURES) -> tuple[list[DriftMeasure], bool]:
    """The latest feature drift measurements (one per finished import), through disclosure: the PSI
    of a feature is a statistic over the population measured."""
    measures = list(
        FeatureDrift.objects.select_related("model_run", "import_run").order_by("-reference_date", "-pk")[
            :limit
        ]
    )
    release = Release("early warning feature drift")
    for m in measures:
        release.count(("drift", m.pk, "population"), m.population)
        for feature, value in m.psi.items():
            release.statistic(("drift", m.pk, feature), value, over=("drift", m.pk, "population"))
    pub = release.publish()
    out = []
    for m in measures:
        features = []
        for feature in m.psi:
            figure = pub[("drift", m.pk, feature)]
            features.append(
                FeaturePsi(feature, figure, metrics.psi_level(figure.value) if figure.shown else "unknown")
            )
        features.sort(key=lambda f: (f.psi.value is None, -(f.psi.value or 0), f.feature))
        out.append(
            DriftMeasure(
                m.import_run_id,
                m.import_run.finished_at,
                m.reference_date,
                m.model_run.version,
                pub[("drift", m.pk, "population")],
                features,
            )
        )
    return out, pub.any_hidden


def cached_monitoring() -> Monitoring:
    """``monitoring()`` computed once per data version (an import, a scoring, a drift measured)."""
    return cached("city-monitoring", monitoring, drift_version())


def drift_version() -> int | None:
    """Changes whenever a drift is measured (part of the page's cache key)."""
    return FeatureDrift.objects.aggregate(m=Max("pk"))["m"]


# --- words --------------------------------------------------------------------------------------


def feature_label(name: str, lang: str | None = None) -> tuple[str, str]:
    """A feature in words (its reason sentence with "…" for the pupil's value) and its area, in the
    language ``lang`` (nl or en; default the active language)."""
    lang = "nl" if (lang or get_language() or "nl")[:2] == "nl" else "en"
    feature = FEATURE_BY_NAME.get(name)
    if feature is None:
        return name, ""
    return getattr(feature, lang).replace("{v}", "…"), AREAS.get(feature.area, {}).get(lang, feature.area)
