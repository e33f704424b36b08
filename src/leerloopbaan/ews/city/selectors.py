"""The city dashboard: early school leaving (VSV) and risk, grouped, through disclosure control.

Only counts and rates leave this module, never pupils. Everything is computed in one pass over
plain rows (registry facts, as in ``registry.outflow``) and one aggregate query on the risk scores,
so the cost grows linearly with the registry and never with one query per pupil.

Disclosure (docs/privacy.md, rule 3): the leavers' figures -- the group table and its city total,
the trajectories, the trend per district -- are the outflow's publication
(``registry.outflow.report.published``, one release per school year holding every grouping, the
schools nested in their district and network, and the year's trajectories), so the dashboard and the
outflow page show the same states; the risk figures are one release holding every grouping. Which
grouping or school year a request asks for changes what is rendered, never what is published: two
requests together give away no more than one.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext as _

from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.kernel import disclosure
from leerloopbaan.kernel.disclosure import SHOWN, Figure, Release
from leerloopbaan.registry.models import District, Network, School, Track
from leerloopbaan.registry.outflow import report as flows

DIMENSIONS = ("district", "network", "track", "school")
TRAJECTORY_YEARS = 3
UNKNOWN = "unknown"

_SCORE_FIELD = {"district": "school__district", "network": "school__network", "track": "track", "school": "school__school_number"}


def threshold() -> int:
    return disclosure.threshold()


def _state(*figures: Figure) -> str:
    """The state of a row: shown when its first figure is, else the first suppressed state."""
    for f in figures:
        if not f.shown:
            return f.state
    return SHOWN


@dataclass(frozen=True)
class Vsv:
    leavers: Figure
    unqualified: Figure
    rate: Figure  # unqualified / leavers

    @property
    def state(self) -> str:
        return _state(self.leavers, self.unqualified)


@dataclass(frozen=True)
class Risk:
    scored: Figure
    mean: Figure
    high: Figure  # pupils in the high band (used for the share)
    high_share: Figure

    @property
    def state(self) -> str:
        return self.scored.state


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    vsv: Vsv
    risk: Risk


Trajectory = flows.Trajectory


@dataclass
class Dashboard:
    years: list[str]
    year: str
    by: str
    rows: list[GroupRow] = field(default_factory=list)
    total: GroupRow | None = None
    reference_date: datetime.date | None = None
    model_version: str = ""
    model_run: ModelRun | None = None  # the run whose scores the risk figures count (``model_line``)
    trajectory_years: list[str] = field(default_factory=list)
    trajectories: list[Trajectory] = field(default_factory=list)
    small_programmes: Trajectory | None = None
    trend_years: list[str] = field(default_factory=list)
    trend: dict[str, list[Figure]] = field(default_factory=dict)  # district label -> VSV rate per year

    @property
    def hidden_any(self) -> bool:
        rows = [*self.rows, *([self.total] if self.total else [])]
        figures = [f for r in rows for f in (r.vsv.leavers, r.vsv.unqualified, r.risk.scored)]
        figures += [f for t in [*self.trajectories, *([self.small_programmes] if self.small_programmes else [])]
                    for f in (t.leavers, t.qualified, t.unqualified)]
        figures += [f for rates in self.trend.values() for f in rates]
        return any(f.hidden for f in figures)


def years_with_outcomes(all_years: list[str]) -> list[str]:
    """School years whose following school year is in the registry too (so that "not enrolled in
    the next school year" can be known); all school years if there is only one."""
    return flows.final_years(all_years) or list(all_years)


# --- labels ------------------------------------------------------------------------------------

def _labeller(by: str):
    if by == "district":
        names = dict(District.choices)
    elif by == "network":
        names = dict(Network.choices)
    elif by == "track":
        names = dict(Track.choices)
    else:
        names = {number: f"{name} ({number})" for number, name in School.objects.values_list("school_number", "name")}
    return lambda key: _("unknown") if key == UNKNOWN else str(names.get(key, key))


# --- risk scores -------------------------------------------------------------------------------

def latest_scoring() -> tuple[datetime.date | None, ModelRun | None]:
    """The latest reference date with scores, and the latest model run that scored it, among the runs
    that may score (an approved model or the rule baseline: an unapproved run's scores are never shown)."""
    latest = RiskScore.objects.filter(model_run_id__in=ModelRun.objects.that_may_score()).order_by(
        "-reference_date", "-model_run__created_at", "-model_run_id").values("reference_date", "model_run_id").first()
    if latest is None:
        return None, None
    return latest["reference_date"], ModelRun.objects.get(pk=latest["model_run_id"])


def _merge(out: dict, key: str, n: int, mean: float | None, high: int) -> None:
    had, had_mean, had_high = out.get(key, (0, None, 0))
    total = had + n
    merged = ((had_mean or 0) * had + (mean or 0) * n) / total if total else None
    out[key] = (total, merged, had_high + high)


def risk_by_all(reference_date, run) -> tuple[dict[str, dict[str, tuple[int, float | None, int]]], dict[str, tuple[str, str]]]:
    """Per dimension and group: (pupils scored, mean risk, pupils in the high band), by two aggregate
    queries (per school, per track); and the district and network of every school scored."""
    out: dict[str, dict[str, tuple[int, float | None, int]]] = {by: {} for by in DIMENSIONS}
    where: dict[str, tuple[str, str]] = {}
    if reference_date is None:
        return out, where
    scores = RiskScore.objects.filter(reference_date=reference_date, model_run=run)
    agg = {"n": Count("id"), "mean": Avg("risk"), "high": Count("id", filter=Q(band=RiskScore.Band.HIGH))}
    for row in scores.values("school__school_number", "school__district", "school__network").annotate(**agg).order_by():
        number = row["school__school_number"] or UNKNOWN
        district, network = row["school__district"] or UNKNOWN, row["school__network"] or UNKNOWN
        where[number] = (district, network)
        for by, k in (("school", number), ("district", district), ("network", network)):
            _merge(out[by], k, row["n"], row["mean"], row["high"])
    for row in scores.values("track").annotate(**agg).order_by():
        _merge(out["track"], row["track"] or UNKNOWN, row["n"], row["mean"], row["high"])
    return out, where


def _risk_cell(release: Release, key: tuple, scored: int, mean: float | None, high: int) -> None:
    release.count((*key, "scored"), scored)
    release.count((*key, "high"), high)
    release.count((*key, "not high"), scored - high, displayed=False)
    release.relate((*key, "scored"), [(*key, "high"), (*key, "not high")])
    release.statistic((*key, "mean"), mean, over=(*key, "scored"))
    release.ratio((*key, "share"), (*key, "high"), (*key, "scored"))


def risk_published(reference_date, run):
    """The risk figures of the dashboard, grouped by every dimension, in ONE release whichever
    grouping a page shows (the city total is shared by all, and a school's figures add up to its
    district's and its network's): the dashboard asked for by district and by network shows the
    same states, so nothing can be worked out by combining two requests."""
    groups, where = risk_by_all(reference_date, run)
    release = Release("city dashboard risk")
    for by in DIMENSIONS:
        for k, (scored, mean, high) in groups[by].items():
            _risk_cell(release, ("risk", by, k), scored, mean, high)
    every = groups["school"].values()
    scored_all = sum(v[0] for v in every)
    mean_all = sum((v[1] or 0) * v[0] for v in every) / scored_all if scored_all else None
    _risk_cell(release, ("risk", "city"), scored_all, mean_all, sum(v[2] for v in every))
    for by in DIMENSIONS:
        for part in ("scored", "high", "not high"):
            release.relate(("risk", "city", part), [("risk", by, k, part) for k in groups[by]])
    for by, index in (("district", 0), ("network", 1)):
        members: dict[str, list[str]] = defaultdict(list)
        for number in sorted(where):
            members[where[number][index]].append(number)
        for group, numbers in members.items():
            for part in ("scored", "high", "not high"):
                release.relate(("risk", by, group, part), [("risk", "school", n, part) for n in numbers])
    return release.publish(), groups


def _risk(pub, key: tuple) -> Risk:
    return Risk(pub[(*key, "scored")], pub[(*key, "mean")], pub[(*key, "high")], pub[(*key, "share")])


# --- the dashboard -----------------------------------------------------------------------------

_ZERO = Vsv(Figure(SHOWN, 0), Figure(SHOWN, 0), Figure(SHOWN, None))  # a group with scores but no leavers


def dashboard(*, school_year: str | None = None, by: str = "district") -> Dashboard:
    """Every figure of the city dashboard for a school year (default: the latest with outcomes).

    The leavers' figures (group table, city total, trajectories, district trend) are the outflow's
    publication (``registry.outflow.report.published``: one release per school year with every
    grouping, the schools nested in their district and network, and the year's trajectories) -- the
    same leavers as the outflow page, so the two pages show the same states; the risk figures are one
    release with every grouping. Which grouping or year a page shows does not change what is
    published, so no two requests together give more away than one."""
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    all_years = flows.school_years()
    years = years_with_outcomes(all_years)
    figures = flows.published(all_years) if all_years else flows.Published([])
    if school_year not in years:
        with_leavers = [y for y in years if figures.has_leavers.get(y)]
        school_year = (with_leavers or years or [""])[-1]
    board = Dashboard(years=years, year=school_year, by=by)
    board.reference_date, run = latest_scoring()
    board.model_version = run.version if run else ""
    board.model_run = run
    label = _labeller(by)
    risk_pub, risk_groups = risk_published(board.reference_date, run)

    lines = {line.group: line for line in figures.groups.get((school_year, by), [])}
    keys = sorted(set(lines) | set(risk_groups[by]), key=lambda k: (k == UNKNOWN, label(k).lower()))

    def vsv(line) -> Vsv:
        return _ZERO if line is None else Vsv(line.leavers, line.unqualified, line.rate)

    board.rows = [GroupRow(k, label(k), vsv(lines.get(k)), _risk(risk_pub, ("risk", by, k))) for k in keys]
    if school_year:
        board.total = GroupRow("all", _("City"), vsv(figures.lines(school_year)[0]), _risk(risk_pub, ("risk", "city")))
        board.trajectory_years = [y for y in figures.windows[school_year] if y in years] or [school_year]
        tracks = dict(Track.choices)
        name = lambda v: _("unknown") if v == UNKNOWN else v  # noqa: E731
        named = [dataclasses.replace(t, programme=name(t.programme), track=name(str(tracks.get(t.track, t.track))))
                 for t in figures.trajectories[school_year]]
        # lowest qualification rate first; rows whose rate is suppressed last, by name (their place
        # must not tell their rate)
        board.trajectories = sorted(named, key=lambda t: (
            (0, t.rate.value, -t.leavers.value, t.programme.lower()) if t.rate.shown else (1, 0, 0, t.programme.lower())))
        board.small_programmes = figures.pooled[school_year]
    elif keys:
        board.total = GroupRow("all", _("City"), _ZERO, _risk(risk_pub, ("risk", "city")))

    # VSV trend per district: the outflow's district lines of every school year with outcomes
    board.trend_years = years
    per_district = {y: {line.group: line.rate for line in figures.groups.get((y, "district"), [])} for y in years}
    district_label = _labeller("district")
    districts = sorted({d for y in years for d in per_district[y]}, key=lambda k: (k == UNKNOWN, district_label(k).lower()))
    for key in districts:
        rates = [per_district[y].get(key, Figure(SHOWN, None)) for y in years]
        if any(r.shown and r.value is not None for r in rates):
            board.trend[district_label(key)] = rates
    return board
