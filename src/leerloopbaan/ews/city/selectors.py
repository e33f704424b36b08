"""The city dashboard: early school leaving (VSV) and risk, grouped, with small cells suppressed.

Only counts and rates leave this module, never pupils. Everything is computed in one pass over
plain rows (registry facts, as in ``registry.outflow``) and one aggregate query on the risk scores,
so the cost grows linearly with the registry and never with one query per pupil.

Suppression (docs/privacy.md, rule 3): a group with fewer than ``settings.SMALL_CELL_THRESHOLD``
leavers (or scored pupils) shows ``<5`` and none of the rates derived from it. Because the page also
shows the city total, a single small group could be worked out as "total minus the others"; when
exactly one group of a table is small (and not empty), the smallest other group is hidden as well
(complementary suppression, shown as ``–``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.kernel.schoolyear import next_school_year
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import District, Network, School, Track
from leerloopbaan.registry.outflow import report as flows

DIMENSIONS = ("district", "network", "track", "school")
TRAJECTORY_YEARS = 3
SHOWN, SMALL, HIDDEN = "shown", "small", "hidden"
UNKNOWN = "unknown"

_SCORE_FIELD = {"district": "school__district", "network": "school__network", "track": "track", "school": "school__school_number"}


# --- suppression -------------------------------------------------------------------------------

def threshold() -> int:
    return settings.SMALL_CELL_THRESHOLD


def suppression(counts: dict[str, int]) -> dict[str, str]:
    """Per group: SHOWN, SMALL (under the threshold, shown as <5) or HIDDEN (complementary)."""
    states = {k: (SMALL if n < threshold() else SHOWN) for k, n in counts.items()}
    small = [k for k, s in states.items() if s == SMALL]
    if len(small) == 1 and counts[small[0]] > 0:
        shown = sorted((n, k) for k, n in counts.items() if states[k] == SHOWN)
        if shown:
            states[shown[0][1]] = HIDDEN
    return states


@dataclass(frozen=True)
class Vsv:
    state: str
    leavers: int | None = None
    unqualified: int | None = None
    rate: float | None = None

    @classmethod
    def of(cls, n: int, u: int, state: str) -> Vsv:
        return cls(SHOWN, n, u, measures.vsv_rate(u, n)) if state == SHOWN else cls(state)

    @property
    def rate_pct(self) -> float | None:
        return None if self.rate is None else 100 * self.rate


@dataclass(frozen=True)
class Risk:
    state: str
    scored: int | None = None
    mean: float | None = None
    high: int | None = None
    high_share: float | None = None

    @classmethod
    def of(cls, n: int, mean: float | None, high: int, state: str) -> Risk:
        if state != SHOWN:
            return cls(state)
        return cls(SHOWN, n, mean, high, high / n if n else None)

    @property
    def mean_pct(self) -> float | None:
        return None if self.mean is None else 100 * self.mean

    @property
    def high_pct(self) -> float | None:
        return None if self.high_share is None else 100 * self.high_share


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
    state: str
    leavers: int | None = None
    qualified: int | None = None
    unqualified: int | None = None
    rate: float | None = None  # qualification rate
    programmes: int = 1  # >1 only for the row that pools the small programmes

    @property
    def rate_pct(self) -> float | None:
        return None if self.rate is None else 100 * self.rate


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
    trend: dict[str, list[float | None]] = field(default_factory=dict)  # district label -> rate per year

    @property
    def hidden_any(self) -> bool:
        return any(r.vsv.state == HIDDEN or r.risk.state == HIDDEN for r in self.rows)


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

def dashboard(*, school_year: str | None = None, by: str = "district") -> Dashboard:
    """Every figure of the city dashboard for a school year (default: the latest with outcomes)."""
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

    # VSV and risk per group, and the city total
    vsv: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for leaver in found.get(school_year, []):
        cell = vsv[_leaver_key(by, leaver)]
        cell[0] += 1
        cell[1] += leaver.status == "unqualified"
    risk = risk_by(by, board.reference_date, run)
    keys = sorted(set(vsv) | set(risk), key=lambda k: (k == UNKNOWN, label(k).lower()))
    vsv_state = suppression({k: vsv[k][0] if k in vsv else 0 for k in keys})
    risk_state = suppression({k: risk.get(k, (0, None, 0))[0] for k in keys})
    for k in keys:
        n, u = vsv[k] if k in vsv else (0, 0)
        scored, mean, high = risk.get(k, (0, None, 0))
        board.rows.append(GroupRow(k, label(k), Vsv.of(n, u, vsv_state[k]), Risk.of(scored, mean, high, risk_state[k])))
    n_all = sum(c[0] for c in vsv.values())
    u_all = sum(c[1] for c in vsv.values())
    scored_all = sum(v[0] for v in risk.values())
    mean_all = sum((v[1] or 0) * v[0] for v in risk.values()) / scored_all if scored_all else None
    high_all = sum(v[2] for v in risk.values())
    small = lambda n: SHOWN if n >= threshold() else SMALL  # noqa: E731
    board.total = GroupRow("all", _("City"), Vsv.of(n_all, u_all, small(n_all)),
                           Risk.of(scored_all, mean_all, high_all, small(scored_all)))

    # trajectories: the study programmes of the leavers of the last few school years
    if school_year:
        index = years.index(school_year)
        board.trajectory_years = years[max(0, index - TRAJECTORY_YEARS + 1): index + 1]
        board.trajectories, board.small_programmes = trajectories(found, board.trajectory_years)

    # VSV trend per district
    board.trend_years = years
    per_district: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for year in years:
        for leaver in found[year]:
            cell = per_district[_leaver_key("district", leaver)][year]
            cell[0] += 1
            cell[1] += leaver.status == "unqualified"
    district_label = _labeller("district")
    for key in sorted(per_district, key=lambda k: (k == UNKNOWN, district_label(k).lower())):
        rates = []
        for year in years:
            n, u = per_district[key].get(year, (0, 0))
            rates.append(measures.vsv_rate(u, n) if n >= threshold() else None)
        if any(r is not None for r in rates):
            board.trend[district_label(key)] = rates
    return board


def trajectories(found: dict[str, list[Leaver]], years: list[str]) -> tuple[list[Trajectory], Trajectory | None]:
    """Per study programme (and track) of the last secondary enrolment: the pupils who left
    secondary in ``years`` (each pupil once, in the latest of those years), with and without a
    qualification, sorted by the lowest qualification rate. Programmes with fewer than the
    threshold leavers are pooled in one row (returned separately)."""
    last: dict[int, Leaver] = {}
    for year in years:
        for leaver in found.get(year, []):
            last[leaver.pupil] = leaver
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for leaver in last.values():
        cell = groups[(leaver.enrol.programme or UNKNOWN, leaver.enrol.track or UNKNOWN)]
        cell[0] += 1
        cell[1] += leaver.status == "qualified"
    tracks = dict(Track.choices)
    name = lambda v: _("unknown") if v == UNKNOWN else v  # noqa: E731
    rows, pooled = [], [0, 0, 0]
    for (programme, track), (n, q) in groups.items():
        if n < threshold():
            pooled[0] += n
            pooled[1] += q
            pooled[2] += 1
            continue
        rows.append(Trajectory(name(programme), name(str(tracks.get(track, track))), SHOWN, n, q, n - q, q / n))
    rows.sort(key=lambda t: (t.rate, -t.leavers, t.programme.lower()))
    small = None
    if pooled[2]:
        n, q, count = pooled
        small = (Trajectory("", "", SHOWN, n, q, n - q, q / n, programmes=count) if n >= threshold()
                 else Trajectory("", "", SMALL, programmes=count))
    return rows, small


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
