"""The city dashboard: early school leaving (VSV) and risk, grouped, through disclosure control.

Only counts and rates leave this module, never pupils. Everything is computed in one pass over
plain rows (registry facts, as in ``registry.outflow``) and one aggregate query on the risk scores,
so the cost grows linearly with the registry and never with one query per pupil.

Disclosure (docs/privacy.md, rule 3): every figure of the page -- the group table and its city
total, the trajectories and their pooled row, the trend per district -- is declared in ONE
``kernel.disclosure.Release``, with the relations a reader can see or infer (a total is the sum of
the groups, leavers = unqualified + qualified, scored = high + not high, the trend's year total of
the current year is the table's city total), and the page renders only from what it publishes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.kernel import disclosure
from leerloopbaan.kernel.disclosure import SHOWN, Figure, Release
from leerloopbaan.kernel.schoolyear import next_school_year
from leerloopbaan.registry import measures
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


@dataclass(frozen=True)
class Trajectory:
    programme: str
    track: str
    leavers: Figure
    qualified: Figure
    unqualified: Figure
    rate: Figure  # qualification rate
    programmes: int = 1  # >1 only for the row that pools the small programmes

    @property
    def state(self) -> str:
        return _state(self.leavers, self.qualified, self.unqualified)


@dataclass
class Dashboard:
    years: list[str]
    year: str
    by: str
    rows: list[GroupRow] = field(default_factory=list)
    total: GroupRow | None = None
    reference_date: datetime.date | None = None
    model_version: str = ""
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


# --- registry facts: leavers per school year in one pass ----------------------------------------

@dataclass(frozen=True)
class Leaver:
    pupil: int
    status: str  # "qualified" | "unqualified"
    enrol: measures.Enrol  # the last secondary enrolment in the school year
    school: School | None


def leavers_by_year(years: list[str], *, facts=None, version: str = measures.CURRENT_VSV) -> dict[str, list[Leaver]]:
    """The leavers of each school year in ``years`` (as ``registry.outflow.leavers``), in one pass
    over the pupils: only the school years in which a pupil has a secondary enrolment are tested."""
    births, schools, enrolments, quals = facts or flows._facts()
    wanted = set(years)
    out: dict[str, list[Leaver]] = {y: [] for y in years}
    for pid, rows in enrolments.items():
        secondary = defaultdict(list)
        for e in rows:
            if e.grade in measures.SECONDARY and e.school_year in wanted:
                secondary[e.school_year].append(e)
        for year, in_year in secondary.items():
            status = measures.vsv_status(birth_date=births[pid], enrolments=rows, qualifications=quals.get(pid, ()),
                                         school_year=year, version=version)
            if status is None:
                continue
            last = max(in_year, key=lambda e: e.start_date)
            out[year].append(Leaver(pid, status, last, schools.get(int(last.school))))
    return out


def years_with_outcomes(all_years: list[str]) -> list[str]:
    """School years whose following school year is in the registry too (so that "not enrolled in
    the next school year" can be known); all school years if there is only one."""
    present = set(all_years)
    done = [y for y in all_years if next_school_year(y) in present]
    return done or list(all_years)


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


def _leaver_key(by: str, leaver: Leaver) -> str:
    school = leaver.school
    if by == "track":
        return leaver.enrol.track or UNKNOWN
    if school is None:
        return UNKNOWN
    return {"district": school.district, "network": school.network, "school": school.school_number}[by]


# --- risk scores -------------------------------------------------------------------------------

def latest_scoring() -> tuple[datetime.date | None, ModelRun | None]:
    """The latest reference date with scores, and the latest model run that scored it."""
    latest = RiskScore.objects.order_by("-reference_date", "-model_run__created_at", "-model_run_id").values(
        "reference_date", "model_run_id").first()
    if latest is None:
        return None, None
    return latest["reference_date"], ModelRun.objects.get(pk=latest["model_run_id"])


def risk_by(by: str, reference_date, run) -> dict[str, tuple[int, float | None, int]]:
    """Per group: (pupils scored, mean risk, pupils in the high band), by one aggregate query."""
    if reference_date is None:
        return {}
    name = _SCORE_FIELD[by]
    rows = (RiskScore.objects.filter(reference_date=reference_date, model_run=run).values(name)
            .annotate(n=Count("id"), mean=Avg("risk"), high=Count("id", filter=Q(band=RiskScore.Band.HIGH))).order_by())
    out: dict[str, tuple[int, float | None, int]] = {}
    for row in rows:
        key = row[name] or UNKNOWN
        n, mean, high = out.get(key, (0, None, 0))
        total = n + row["n"]
        merged = ((mean or 0) * n + (row["mean"] or 0) * row["n"]) / total if total else None
        out[key] = (total, merged, high + row["high"])
    return out


# --- the dashboard -----------------------------------------------------------------------------

def _vsv_cell(release: Release, key: tuple, n: int, u: int, *, displayed: bool) -> None:
    """Leavers and unqualified leavers of one population, and the qualified leavers the page does
    not print but a reader can work out (leavers - unqualified)."""
    release.count((*key, "n"), n, displayed=displayed)
    release.count((*key, "u"), u, displayed=displayed)
    release.count((*key, "q"), n - u, displayed=False)
    release.relate((*key, "n"), [(*key, "u"), (*key, "q")])
    release.ratio((*key, "rate"), (*key, "u"), (*key, "n"))


def _vsv_total(release: Release, key: tuple, parts: list[tuple], *, displayed: bool) -> None:
    """A total of VSV cells: declared once, every other breakdown of it related to it."""
    for part in ("n", "u", "q"):
        total, members = (*key, part), [(*p, part) for p in parts]
        if total in release.counts:
            release.relate(total, members)
        else:
            release.total(total, members, displayed=displayed and part != "q")
    if (*key, "rate") not in release.derived:
        release.relate((*key, "n"), [(*key, "u"), (*key, "q")])
        release.ratio((*key, "rate"), (*key, "u"), (*key, "n"))


def _risk_cell(release: Release, key: tuple, scored: int, mean: float | None, high: int) -> None:
    release.count((*key, "scored"), scored)
    release.count((*key, "high"), high)
    release.count((*key, "not high"), scored - high, displayed=False)
    release.relate((*key, "scored"), [(*key, "high"), (*key, "not high")])
    release.statistic((*key, "mean"), mean, over=(*key, "scored"))
    release.ratio((*key, "share"), (*key, "high"), (*key, "scored"))


def _vsv(pub, key: tuple) -> Vsv:
    return Vsv(pub[(*key, "n")], pub[(*key, "u")], pub[(*key, "rate")])


def _risk(pub, key: tuple) -> Risk:
    return Risk(pub[(*key, "scored")], pub[(*key, "mean")], pub[(*key, "high")], pub[(*key, "share")])


def dashboard(*, school_year: str | None = None, by: str = "district") -> Dashboard:
    """Every figure of the city dashboard for a school year (default: the latest with outcomes),
    published through one release."""
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    years = years_with_outcomes(flows.school_years())
    facts = flows._facts() if years else None
    found = leavers_by_year(years, facts=facts) if years else {}
    if school_year not in found:
        with_leavers = [y for y in years if found[y]]
        school_year = (with_leavers or years or [""])[-1]
    board = Dashboard(years=years, year=school_year, by=by)
    board.reference_date, run = latest_scoring()
    board.model_version = run.version if run else ""
    label = _labeller(by)
    release = Release("city dashboard")

    # VSV and risk per group, and the city total (the same population as the trend's current year)
    vsv: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for leaver in found.get(school_year, []):
        cell = vsv[_leaver_key(by, leaver)]
        cell[0] += 1
        cell[1] += leaver.status == "unqualified"
    risk = risk_by(by, board.reference_date, run)
    keys = sorted(set(vsv) | set(risk), key=lambda k: (k == UNKNOWN, label(k).lower()))
    city_vsv = ("vsv", school_year, "city")
    for k in keys:
        n, u = vsv[k] if k in vsv else (0, 0)
        _vsv_cell(release, ("vsv", school_year, by, k), n, u, displayed=True)
        scored, mean, high = risk.get(k, (0, None, 0))
        _risk_cell(release, ("risk", by, k), scored, mean, high)
    _vsv_total(release, city_vsv, [("vsv", school_year, by, k) for k in keys], displayed=True)
    scored_all = sum(v[0] for v in risk.values())
    mean_all = sum((v[1] or 0) * v[0] for v in risk.values()) / scored_all if scored_all else None
    release.total(("risk", "city", "scored"), [("risk", by, k, "scored") for k in keys])
    release.total(("risk", "city", "high"), [("risk", by, k, "high") for k in keys])
    release.total(("risk", "city", "not high"), [("risk", by, k, "not high") for k in keys], displayed=False)
    _risk_cell(release, ("risk", "city"), scored_all, mean_all, sum(v[2] for v in risk.values()))

    # trajectories: the study programmes of the leavers of the last few school years
    traj = None
    if school_year:
        index = years.index(school_year)
        board.trajectory_years = years[max(0, index - TRAJECTORY_YEARS + 1): index + 1]
        traj = _declare_trajectories(release, found, board.trajectory_years, by=by, city=city_vsv)

    # VSV trend per district: a rate per district-year over counts the page does not print, whose
    # year totals are the city's leavers of that year (the table's city total in the current year)
    board.trend_years = years
    per_district: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for year in years:
        for leaver in found[year]:
            cell = per_district[_leaver_key("district", leaver)][year]
            cell[0] += 1
            cell[1] += leaver.status == "unqualified"
    district_label = _labeller("district")
    districts = sorted(per_district, key=lambda k: (k == UNKNOWN, district_label(k).lower()))
    for year in years:
        for key in districts:
            n, u = per_district[key].get(year, (0, 0))
            _vsv_cell(release, ("vsv", year, "district", key), n, u, displayed=False)
        _vsv_total(release, ("vsv", year, "city"), [("vsv", year, "district", k) for k in districts],
                   displayed=year == school_year)

    pub = release.publish()
    board.rows = [GroupRow(k, label(k), _vsv(pub, ("vsv", school_year, by, k)), _risk(pub, ("risk", by, k))) for k in keys]
    board.total = GroupRow("all", _("City"), _vsv(pub, city_vsv), _risk(pub, ("risk", "city")))
    if traj is not None:
        board.trajectories, board.small_programmes = _trajectory_rows(pub, *traj)
    for key in districts:
        rates = [pub[("vsv", year, "district", key, "rate")] for year in years]
        if any(r.shown for r in rates):
            board.trend[district_label(key)] = rates
    return board


def trajectory_counts(found: dict[str, list[Leaver]], years: list[str]) -> dict[tuple[str, str], list[int]]:
    """Per study programme and track of the last secondary enrolment: [leavers, qualified] of the
    pupils who left secondary in ``years`` (each pupil once, in the latest of those years)."""
    last: dict[int, Leaver] = {}
    for year in years:
        for leaver in found.get(year, []):
            last[leaver.pupil] = leaver
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for leaver in last.values():
        cell = groups[(leaver.enrol.programme or UNKNOWN, leaver.enrol.track or UNKNOWN)]
        cell[0] += 1
        cell[1] += leaver.status == "qualified"
    return dict(groups)


def _declare_trajectories(release: Release, found, years: list[str], *, by: str, city: tuple):
    """Declare the trajectories: every programme (those with fewer than the threshold leavers are
    not printed, only pooled), the pooled row, and, when the window is the dashboard's one school
    year, that the programmes add up to the city total and, grouped by track, to the track rows."""
    groups = trajectory_counts(found, years)
    window = tuple(years)
    keys = {g: ("traj", window, *g) for g in groups}
    small = [g for g, (n, _q) in groups.items() if n < threshold()]
    for g, (n, q) in groups.items():
        key, shown = keys[g], g not in small
        release.count((*key, "n"), n, displayed=shown)
        release.count((*key, "q"), q, displayed=shown)
        release.count((*key, "u"), n - q, displayed=shown)
        release.relate((*key, "n"), [(*key, "q"), (*key, "u")])
        release.ratio((*key, "rate"), (*key, "q"), (*key, "n"))
    pooled = ("traj", window, "pooled")
    if small:
        for part in ("n", "q", "u"):
            release.total((*pooled, part), [(*keys[g], part) for g in small])
        release.relate((*pooled, "n"), [(*pooled, "q"), (*pooled, "u")])
        release.ratio((*pooled, "rate"), (*pooled, "q"), (*pooled, "n"))
    if len(years) == 1 and groups:  # the same leavers as the group table
        for part in ("n", "q", "u"):
            release.relate((*city, part), [(*keys[g], part) for g in groups])
        if by == "track":
            tracks: dict[str, list[tuple]] = defaultdict(list)
            for g in groups:
                tracks[g[1]].append(keys[g])
            for track, members in tracks.items():
                for part in ("n", "q", "u"):
                    release.relate(("vsv", years[0], "track", track, part), [(*m, part) for m in members])
    return groups, keys, small, pooled


def _trajectory_rows(pub, groups, keys, small, pooled) -> tuple[list[Trajectory], Trajectory | None]:
    """The published trajectories, lowest qualification rate first (rows whose rate is suppressed
    last, by name: their place must not tell their rate), and the pooled row."""
    tracks = dict(Track.choices)
    name = lambda v: _("unknown") if v == UNKNOWN else v  # noqa: E731

    def row(key, programme="", track="", programmes=1) -> Trajectory:
        return Trajectory(programme, track, pub[(*key, "n")], pub[(*key, "q")], pub[(*key, "u")], pub[(*key, "rate")], programmes)

    rows = [row(keys[g], name(g[0]), name(str(tracks.get(g[1], g[1])))) for g in groups if g not in small]
    rows.sort(key=lambda t: (0, t.rate.value, -t.leavers.value, t.programme.lower()) if t.rate.shown
              else (1, 0, 0, t.programme.lower()))
    return rows, (row(pooled, programmes=len(small)) if small else None)


# --- charts (inline SVG, no JavaScript, no external files) -------------------------------------

PALETTE = ("#0b5394", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6a3d9a", "#7f7f00", "#000000", "#b15928")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def _pct(value: float) -> str:
    return f"{number_format(100 * value, 1)}%"


def trend_chart(years: list[str], series: dict[str, list[float | None]], *, title: str) -> str:
    """A line per district of the VSV rate per school year; gaps where a year is suppressed."""
    width, height, pad, right = 720, 300, 44, 170
    top = max([r for rates in series.values() for r in rates if r is not None] + [0.1])
    n = max(len(years) - 1, 1)

    def xy(i, rate):
        return round(pad + (width - pad - right) * i / n, 1), round(height - pad - (height - 2 * pad) * rate / top, 1)

    parts = []
    for s, (name, rates) in enumerate(series.items()):
        colour, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, rate in enumerate(rates):
            if rate is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append("{},{}".format(*xy(i, rate)))
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(format_html('<polyline fill="none" stroke="{}" stroke-width="2" stroke-dasharray="{}" points="{}"/>',
                                     colour, dash, " ".join(seg)))
        parts.append(format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} {}: {}</title></circle>',
                                      ((*xy(i, r), colour, name, years[i], _pct(r)) for i, r in enumerate(rates) if r is not None)))
        ly = pad + 16 * s
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>'
                                 '<text x="{}" y="{}" font-size="11">{}</text>',
                                 width - right + 10, ly, width - right + 34, ly, colour, dash, width - right + 40, ly + 4, name))
    step = max(1, -(-len(years) // 6))
    labels = format_html_join("", '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                              ((xy(i, 0)[0], height - pad + 15, y) for i, y in enumerate(years) if i % step == 0 or i == len(years) - 1))
    axis = format_html('<text x="4" y="{}" font-size="10">{}</text><text x="4" y="{}" font-size="10">0%</text>'
                       '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>',
                       pad, _pct(top), height - pad, pad, height - pad, width - right, height - pad)
    return format_html('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
                       'id="city-trend-chart">{}{}{}</svg>', width, height, title, axis, format_html_join("", "{}", ((p,) for p in parts)), labels)


def bar_chart(items: list[tuple[str, float]], *, title: str, chart_id: str) -> str:
    """Horizontal bars of a rate per group (only groups that are shown)."""
    width, bar, gap, left = 720, 16, 6, 260
    height = max(1, len(items)) * (bar + gap) + 10
    top = max([v for _l, v in items] + [0.1])
    rows = format_html_join(
        "", '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="#0b5394">'
        '<title>{}: {}</title></rect><text x="{}" y="{}" font-size="11">{}</text>',
        ((left - 6, 5 + i * (bar + gap) + bar - 4, label[:40], left, 5 + i * (bar + gap), round((width - left - 60) * v / top, 1), bar,
          label, _pct(v), left + round((width - left - 60) * v / top, 1) + 4, 5 + i * (bar + gap) + bar - 4, _pct(v))
         for i, (label, v) in enumerate(items)))
    return format_html('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" id="{}">{}</svg>',
                       width, height, title, chart_id, rows)
