"""Growth of tutored pupils against similar untutored pupils, and online against offline tutoring.

Django-free: the caller passes plain records. Method:

* **Gains.** Per pupil and domain the results are taken in date order; two consecutive results on
  the same scale version form a *pair*. The gain is the later scale score minus the earlier one; when
  the two results come from different instruments (e.g. P4 -> P6) it is divided by the norm SD of the
  baseline instrument (unit ``sd``), otherwise it stays in scale points (unit ``points``). A pair
  needs a norm for its baseline (the baseline band).
* **Tutored.** A pupil counts as tutored in a domain when a match on a related subject (maths ->
  maths; Dutch or reading -> dutch, reading) started after the earlier and on or before the later
  result of a pair. Each tutored pupil contributes one pair per domain: the first pair with a start
  in it. Its mode (online / offline) is the mode of the first match started in it.
* **Controls.** Pairs of pupils with no match on a related subject started on or before the later
  result (never tutored in that domain up to then).
* **Matching.** Every tutored pair is matched to at most one control pair with the same domain, unit,
  baseline moment, follow-up moment and baseline band; the nearest baseline score wins, ties go to
  the lowest pupil id. The control's baseline score is at most ``CALIPER`` (0.2) SDs of the baseline
  norm away: without it, the lowest scorers (often tutored, with few untutored pupils like them)
  would get controls that score higher and, regressing less to the mean, gain less. Tutored pairs are matched in the order of their pupil id, without replacement
  (a control pupil is used once per domain), so the result is deterministic. A tutored pair without a
  control in its cell stays unmatched and is counted.
* **Estimate.** The mean over matched pairs of ``gain(tutored) - gain(control)`` with the t
  distribution of the paired differences (``mean +- t(q, n-1) sd / sqrt(n)``, two-sided p-value).
* **Online vs offline, adjusted.** Who gets online tutoring is not random (a school may choose it for
  its weakest pupils), so the raw difference in mean gains mixes the mode with the starting point.
  The difference is the ``online`` coefficient of an ordinary least-squares regression of the gain of
  the tutored pairs on: online (1/0), the baseline band (fixed effects), the level (fixed effects of
  the baseline and follow-up test moments, i.e. the grades), the baseline score (in SDs of its norm,
  linear) and, for the pooled row, the domain (fixed effects). Its standard error is
  heteroskedasticity-robust (HC2: without covariates it equals Welch's), with ``n - k`` degrees of
  freedom. Covariates a group does not vary on are left out; when the mode cannot be told apart from
  the covariates (e.g. every online pupil in band E and every offline pupil in band A) there is no
  estimate, nor when fewer than ``MIN_DF`` residual degrees of freedom (or fewer than the number of
  coefficients) are left: a dozen pupils cannot carry eight coefficients, and robust standard errors
  on a handful of degrees of freedom come out too small. The raw Welch difference is kept as
  ``unadjusted`` (not for the page).
* **Several comparisons at once.** Intervals start at 95 %. A page that shows several comparisons
  together corrects them as one family with Holm's step-down method (``holm``): the Holm-adjusted
  p-values, and for each comparison the interval at its Holm level, ``1 - 0.05 / (m - j + 1)`` for the
  j-th smallest p-value while the differences hold and, from the first that does not, that step's
  level for every later one; so an interval excludes 0 exactly when its adjusted p-value is under
  0.05. (Only the first step's level, Bonferroni's, guarantees that all m intervals cover together.)
* Nothing is estimated for a group under ``min_n``.
"""

from __future__ import annotations

import datetime
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from leerloopbaan.assessments.engine.norms import Norm, band_index
from leerloopbaan.assessments.engine.subjects import SUBJECTS_OF_DOMAIN

POINTS, SD = "points", "sd"
ONLINE, OFFLINE = "online", "offline"
ALL_DOMAINS = ""
CALIPER = 0.2  # SDs of the baseline norm
ALPHA = 0.05  # the family-wise error rate of the comparisons a page shows together
MIN_DF = 10  # an adjusted difference needs this many residual degrees of freedom (and as many as coefficients)


@dataclass(frozen=True)
class Result:
    """One scale score. ``instrument`` and ``scale_version`` key the norm; ``moment`` is the
    instrument's test moment."""

    pupil: int
    date: datetime.date
    domain: str
    instrument: str
    moment: str
    scale_version: str
    score: float


@dataclass(frozen=True)
class Tutoring:
    """A match (active or ended) on ``subject`` that started on ``started_on``."""

    pupil: int
    subject: str
    started_on: datetime.date
    mode: str


@dataclass(frozen=True)
class Pair:
    pupil: int
    domain: str
    unit: str
    base_moment: str
    next_moment: str
    base_score: float
    base_band: int  # 0 = A .. 4 = E
    gain: float
    tutored: bool
    mode: str = ""
    base_sd: float = 0.0  # the norm SD of the baseline (the caliper's unit); 0: no caliper
    base_z: float = 0.0  # the baseline score in SDs of its norm, from the norm's mean


@dataclass(frozen=True)
class Interval:
    """An estimate with a t interval at ``level``. ``se`` and ``df`` give the interval at any other
    level (``at_level``); ``p`` is the two-sided p-value of the estimate against 0 and ``p_adjusted``
    its Holm-adjusted p-value in the family of ``family`` comparisons (``holm``), None before."""

    estimate: float
    low: float
    high: float
    df: float
    se: float = math.nan
    p: float = math.nan
    level: float = 0.95
    p_adjusted: float | None = None
    family: int = 1

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def excludes_zero(self) -> bool:
        return not self.covers(0.0)

    @property
    def level_pct(self) -> float:
        """The level in %, to one decimal (95.0, 99.3)."""
        return round(100 * self.level, 1)

    def at_level(self, level: float) -> Interval:
        half = _half_width(self.se, self.df, level)
        return replace(self, low=self.estimate - half, high=self.estimate + half, level=level)


def _half_width(se: float, df: float, level: float) -> float:
    if se == 0:
        return 0.0
    return float(stats.t.ppf(0.5 + level / 2, df)) * se


def t_interval(estimate: float, se: float, df: float, level: float = 0.95) -> Interval:
    """``estimate`` with standard error ``se`` and a t interval on ``df`` degrees of freedom."""
    if se == 0:
        p = 1.0 if estimate == 0 else 0.0
    else:
        p = float(2 * stats.t.sf(abs(estimate) / se, df))
    half = _half_width(se, df, level)
    return Interval(estimate, estimate - half, estimate + half, float(df), se=float(se), p=p, level=level)


def holm(intervals: Sequence[Interval], alpha: float = ALPHA) -> list[Interval]:
    """The ``intervals`` corrected as one family (Holm-Bonferroni step-down), in the same order.

    Sorted by p-value (ties keep their order), the j-th (1-based) of m has the adjusted p-value
    ``max(min(1, (m - i + 1) p_i) for i <= j)`` and holds (rejects 0) while that is under ``alpha``.
    Its interval is at the level ``1 - alpha / (m - j + 1)``; from the first comparison that does not
    hold on, every later one gets that first one's level. So an interval excludes 0 exactly when its
    comparison holds."""
    m = len(intervals)
    if any(math.isnan(i.p) for i in intervals):
        raise ValueError("holm: every interval needs its p-value (build it with t_interval)")
    order = sorted(range(m), key=lambda i: intervals[i].p)
    adjusted = [0.0] * m
    running = 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, (m - j) * intervals[i].p))
        adjusted[i] = running
    held = sum(1 for i in order if adjusted[i] < alpha)
    out: list[Interval | None] = [None] * m
    for j, i in enumerate(order):
        level = 1 - alpha / (m - min(j, held))
        out[i] = replace(intervals[i].at_level(level), p_adjusted=adjusted[i], family=m)
    return out


@dataclass(frozen=True)
class GrowthComparison:
    domain: str  # ALL_DOMAINS for the pooled row
    unit: str
    tutored: int
    matched: int
    unmatched: int
    mean_gain_tutored: float | None  # over the matched tutored pairs
    mean_gain_control: float | None
    difference: Interval | None  # None under min_n matched pairs


@dataclass(frozen=True)
class ModeComparison:
    domain: str
    unit: str
    online: int
    offline: int
    mean_online: float | None
    mean_offline: float | None
    difference: Interval | None  # online minus offline, adjusted; None under min_n or not identified
    unadjusted: Interval | None = None  # the raw difference in means (Welch), for comparison only


def paired_t_interval(diffs: Sequence[float], level: float = 0.95) -> Interval | None:
    """Mean of paired differences with a t interval; None for fewer than two."""
    n = len(diffs)
    if n < 2:
        return None
    mean = math.fsum(diffs) / n
    var = math.fsum((d - mean) ** 2 for d in diffs) / (n - 1)
    return t_interval(mean, math.sqrt(var / n), float(n - 1), level)


def welch_interval(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval | None:
    """mean(a) - mean(b) with a Welch t interval; None when a side has fewer than two values."""
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return None
    ma, mb = math.fsum(a) / na, math.fsum(b) / nb
    va = math.fsum((x - ma) ** 2 for x in a) / (na - 1)
    vb = math.fsum((x - mb) ** 2 for x in b) / (nb - 1)
    se2 = va / na + vb / nb
    diff = ma - mb
    if se2 == 0:
        return t_interval(diff, 0.0, float(na + nb - 2), level)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    return t_interval(diff, math.sqrt(se2), float(df), level)


def _dummies(values: Sequence) -> list[np.ndarray]:
    """One 0/1 column per value but the first (sorted): fixed effects next to an intercept."""
    levels = sorted(set(values))
    return [np.array([v == lv for v in values], dtype=np.float64) for lv in levels[1:]]


def adjusted_difference(
    y: Sequence[float], treated: Sequence[bool], covariates: Sequence[np.ndarray], level: float = 0.95,
    *, min_df: int = MIN_DF,
) -> Interval | None:
    """The coefficient of ``treated`` in an OLS regression of ``y`` on an intercept, ``treated`` and the
    ``covariates`` (columns), with an HC2 robust t interval on ``n - k`` degrees of freedom. Columns
    that add nothing to the ones before them are dropped; None when ``treated`` is then a combination of
    the others, or when ``n - k`` is under ``min_df`` or under ``k``."""
    yv = np.asarray(y, dtype=np.float64)
    n = len(yv)
    cols = [np.ones(n)]
    for c in covariates:
        candidate = np.column_stack([*cols, c])
        if np.linalg.matrix_rank(candidate) > len(cols):
            cols.append(np.asarray(c, dtype=np.float64))
    base_rank = len(cols)
    x = np.column_stack([*cols, np.asarray(treated, dtype=np.float64)])
    k = x.shape[1]
    if np.linalg.matrix_rank(x) == base_rank or n - k < max(min_df, k, 1):
        return None
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ yv
    resid = yv - x @ beta
    leverage = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        # an observation its own fixed effect fits exactly (leverage 1) says nothing about the rest
        weights = np.where(leverage < 1 - 1e-9, resid**2 / (1 - leverage), 0.0)
    cov = xtx_inv @ (x.T * weights) @ x @ xtx_inv
    se = math.sqrt(max(float(cov[-1, -1]), 0.0))
    return t_interval(float(beta[-1]), se, float(n - k), level)


def build_pairs(results: Iterable[Result], tutoring: Iterable[Tutoring],
                norms: Mapping[tuple[str, str], Norm]) -> list[Pair]:
    """The tutored pairs and the control candidates (see the module doc).

    ``norms`` maps (instrument, scale_version) to its Norm; a pair whose baseline has no norm is left out.
    """
    starts: dict[tuple[int, str], list[tuple[datetime.date, str]]] = defaultdict(list)
    for t in tutoring:
        for domain, subjects in SUBJECTS_OF_DOMAIN.items():
            if t.subject in subjects:
                starts[(t.pupil, domain)].append((t.started_on, t.mode))
    for v in starts.values():
        v.sort()
    series: dict[tuple[int, str], list[Result]] = defaultdict(list)
    for r in results:
        series[(r.pupil, r.domain)].append(r)
    pairs: list[Pair] = []
    for (pupil, domain), rs in sorted(series.items()):
        rs.sort(key=lambda r: (r.date, r.instrument))
        st = starts.get((pupil, domain), [])
        first_start = st[0][0] if st else None
        tutored_done = False
        for r0, r1 in zip(rs, rs[1:], strict=False):
            if r1.date <= r0.date or r1.scale_version != r0.scale_version:
                continue
            norm = norms.get((r0.instrument, r0.scale_version))
            if norm is None:
                continue
            same = r0.instrument == r1.instrument
            if not same and not norm.sd > 0:
                continue
            gain = (r1.score - r0.score) if same else (r1.score - r0.score) / norm.sd
            inside = [(d, m) for d, m in st if r0.date < d <= r1.date]
            common = dict(pupil=pupil, domain=domain, unit=POINTS if same else SD, base_moment=r0.moment,
                          next_moment=r1.moment, base_score=float(r0.score), base_band=band_index(r0.score, norm.cuts),
                          gain=float(gain), base_sd=float(norm.sd),
                          base_z=(float(r0.score) - norm.mean) / norm.sd if norm.sd > 0 else 0.0)
            if inside and not tutored_done:
                pairs.append(Pair(**common, tutored=True, mode=inside[0][1]))
                tutored_done = True
            elif first_start is None or first_start > r1.date:
                pairs.append(Pair(**common, tutored=False))
    return pairs


def _nearest(cell: list[tuple[float, int, Pair]], score: float, skip, caliper: float = math.inf) -> int | None:
    """Index of the candidate nearest to ``score`` (ties: lowest pupil id) not skipped and at most
    ``caliper`` away, or None."""
    i = bisect_left(cell, (score, -1))
    best, best_key = None, None
    j = i  # rightwards: scores >= score, pupil ids ascending within a score
    while j < len(cell) and cell[j][0] - score <= caliper:
        if not skip(cell[j][2]):
            best, best_key = j, (cell[j][0] - score, cell[j][1])
            break
        j += 1
    j = i - 1  # leftwards: scores < score; the lowest id of the nearest score is the last one seen
    found = None
    while j >= 0:
        s, pupil, cand = cell[j]
        if (found is not None and s != found) or score - s > caliper:
            break
        if not skip(cand):
            key = (score - s, pupil)
            if best_key is None or key < best_key:
                best, best_key = j, key
            found = s
        j -= 1
    return best


def match_pairs(pairs: Iterable[Pair], *, caliper: float = CALIPER) -> tuple[list[tuple[Pair, Pair]], list[Pair]]:
    """(tutored, control) pairs and the tutored pairs left unmatched, per the module doc.
    ``caliper``: the largest baseline difference, in SDs of the baseline norm."""
    pairs = list(pairs)
    treated = sorted((p for p in pairs if p.tutored), key=lambda p: (p.pupil, p.domain, p.unit, p.base_moment))
    cells: dict[tuple, list[tuple[float, int, Pair]]] = defaultdict(list)
    for p in pairs:
        if not p.tutored:
            cells[(p.domain, p.unit, p.base_moment, p.next_moment, p.base_band)].append((p.base_score, p.pupil, p))
    for c in cells.values():
        c.sort(key=lambda x: (x[0], x[1]))
    used: set[tuple[int, str]] = set()  # a control pupil is used once per domain
    matched: list[tuple[Pair, Pair]] = []
    unmatched: list[Pair] = []
    for t in treated:
        cell = cells.get((t.domain, t.unit, t.base_moment, t.next_moment, t.base_band), [])
        limit = caliper * t.base_sd if t.base_sd > 0 else math.inf
        best = _nearest(cell, t.base_score, lambda c, t=t: (c.pupil, t.domain) in used or c.pupil == t.pupil, limit)
        if best is None:
            unmatched.append(t)
            continue
        control = cell.pop(best)[2]
        used.add((control.pupil, t.domain))
        matched.append((t, control))
    return matched, unmatched


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _drop_single_pool(groups: dict) -> None:
    """The pooled row ("all domains", unit sd) only when at least two domains are pooled."""
    if sum(1 for d, u in groups if d != ALL_DOMAINS and u == SD) < 2:
        groups.pop((ALL_DOMAINS, SD), None)


def compare_growth(pairs: Iterable[Pair], *, min_n: int = 5, level: float = 0.95, caliper: float = CALIPER) -> list[GrowthComparison]:
    """Per domain and unit, and pooled over two or more domains for unit ``sd``: tutored vs matched
    untutored pupils."""
    pairs = list(pairs)
    matched, unmatched = match_pairs(pairs, caliper=caliper)
    groups: dict[tuple[str, str], dict] = {}

    def group(domain, unit):
        return groups.setdefault((domain, unit), {"tutored": 0, "unmatched": 0, "pairs": []})

    for p in pairs:
        if p.tutored:
            group(p.domain, p.unit)["tutored"] += 1
            if p.unit == SD:
                group(ALL_DOMAINS, SD)["tutored"] += 1
    for p in unmatched:
        group(p.domain, p.unit)["unmatched"] += 1
        if p.unit == SD:
            group(ALL_DOMAINS, SD)["unmatched"] += 1
    for t, c in matched:
        group(t.domain, t.unit)["pairs"].append((t, c))
        if t.unit == SD:
            group(ALL_DOMAINS, SD)["pairs"].append((t, c))
    _drop_single_pool(groups)
    out = []
    for (domain, unit), g in sorted(groups.items(), key=lambda kv: (kv[0][0] == ALL_DOMAINS, kv[0])):
        ps = g["pairs"]
        n = len(ps)
        enough = n >= max(min_n, 2)
        diffs = [t.gain - c.gain for t, c in ps]
        out.append(GrowthComparison(
            domain=domain, unit=unit, tutored=g["tutored"], matched=n, unmatched=g["unmatched"],
            mean_gain_tutored=_mean([t.gain for t, _c in ps]) if enough else None,
            mean_gain_control=_mean([c.gain for _t, c in ps]) if enough else None,
            difference=paired_t_interval(diffs, level) if enough else None,
        ))
    return out


def mode_difference(pairs: Sequence[Pair], *, level: float = 0.95) -> Interval | None:
    """Online minus offline gain of tutored ``pairs``, adjusted for the baseline band, the level (test
    moments), the baseline score and the domain (see the module doc)."""
    covariates = [
        *_dummies([p.base_band for p in pairs]),
        *_dummies([(p.base_moment, p.next_moment) for p in pairs]),
        *_dummies([p.domain for p in pairs]),
        np.array([p.base_z for p in pairs], dtype=np.float64),
    ]
    return adjusted_difference([p.gain for p in pairs], [p.mode == ONLINE for p in pairs], covariates, level)


def compare_modes(pairs: Iterable[Pair], *, min_n: int = 5, level: float = 0.95) -> list[ModeComparison]:
    """Per domain and unit (and pooled for ``sd``): gains of online vs offline tutored pupils, the
    difference adjusted for who got which mode (``mode_difference``)."""
    groups: dict[tuple[str, str], list[Pair]] = {}
    for p in pairs:
        if not p.tutored or p.mode not in (ONLINE, OFFLINE):
            continue
        keys = [(p.domain, p.unit)] + ([(ALL_DOMAINS, SD)] if p.unit == SD else [])
        for k in keys:
            groups.setdefault(k, []).append(p)
    _drop_single_pool(groups)
    out = []
    for (domain, unit), ps in sorted(groups.items(), key=lambda kv: (kv[0][0] == ALL_DOMAINS, kv[0])):
        on = [p.gain for p in ps if p.mode == ONLINE]
        off = [p.gain for p in ps if p.mode == OFFLINE]
        enough = len(on) >= max(min_n, 2) and len(off) >= max(min_n, 2)
        out.append(ModeComparison(
            domain=domain, unit=unit, online=len(on), offline=len(off),
            mean_online=_mean(on) if len(on) >= max(min_n, 2) else None,
            mean_offline=_mean(off) if len(off) >= max(min_n, 2) else None,
            difference=mode_difference(ps, level=level) if enough else None,
            unadjusted=welch_interval(on, off, level) if enough else None,
        ))
    return out
