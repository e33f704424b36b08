"""Effect monitoring of a support offer: matched comparison and difference-in-differences.

Django-free: the caller passes plain records. Method (docs/care-effects.md):

* **Absence as a share of enrolled half-days.** ``absence_share``: the half-days absent with a code
  ÷ the half-days the pupil was enrolled in the window, counting two half-days for every weekday
  (Monday to Friday) inside one of the pupil's enrolment periods. A pupil who changes school, arrives
  late or leaves school is measured over the days they were enrolled, not over calendar days (a
  leaver's missing days are no "improvement"). No enrolled day in the window: unknown.
* **Leaving school is an outcome.** A pupil who leaves school after the start stays in the analysis:
  the share who left (``left_school``, defined by the caller: ``care.effects.selectors``) is one of
  the outcomes, and their absences count over the days they were still enrolled.
* **Matching.** Every treated pupil is matched to at most one untreated candidate with the same grade
  and the same OKI level (bins 0, 1, 2+; an unknown OKI only matches an unknown OKI), a risk-score
  date within ``date_window`` days of the treated pupil's start, a risk score within ``caliper``
  (0.05) of the treated pupil's, and the same level and trend of problematic absence before the
  start: the B share over the 90 days before (``pre["b_rate"]``, the *level*) and its change from the
  first to the second half of those 90 days (``Unit.trend``, the *trend*), for the candidate over the
  same 90 days as the treated pupil when the caller gives ``baseline``, each within
  ``sd_caliper`` (0.5) pooled standard deviations (a value unknown on either side -- no enrolled day
  in that part of the 90 days, as for a pupil who just arrived -- is not compared). Of the
  candidates left, the nearest in the standardised distance over risk, level and trend wins (each
  difference divided by its pooled standard deviation); ties go to the nearest date, then the lowest
  candidate id. Treated pupils are matched in the order of their id, without replacement (a
  candidate pupil is used once), so the result is deterministic. Treated pupils without a candidate
  stay unmatched and are counted.
* **Balance.** For every matching variable (``BALANCE_VARIABLES``) the standardised mean difference
  (mean treated - mean comparison) / sqrt((variance treated + variance comparison) / 2), before
  matching (every treated pupil against every candidate) and after it (matched pairs); an absolute
  value under 0.1 is the usual mark of a balanced variable (``BALANCED``).
* **Estimate.** For the change outcomes (B and Z shares, risk score) the effect is the mean over
  matched pairs of ``(post - pre)_treated - (post - pre)_control`` (difference in differences). For
  the level outcomes (C-attest the following June, left school) it is the mean of
  ``post_treated - post_control`` (a difference in shares). Pairs with a missing value are left out
  of that outcome only.
* **Uncertainty.** A 95 % interval from the t distribution of the paired differences
  (``mean +- t(0.975, n-1) * sd / sqrt(n)``) and the two-sided p-value of the paired t test. Five
  outcomes are tested at once, so the p-values are corrected with Holm's step-down method over all
  outcomes (``holm``; an outcome without a p-value counts as p = 1, which keeps the correction
  conservative). No randomness, so no seed.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from scipy import stats

CHANGE_OUTCOMES = ("b_rate", "z_rate", "risk")
LEVEL_OUTCOMES = ("c_attest", "left_school")
OUTCOMES = CHANGE_OUTCOMES + LEVEL_OUTCOMES
BALANCE_VARIABLES = ("risk", "b_level", "b_trend", "grade", "oki")
CALIPER = 0.05
SD_CALIPER = 0.5
DATE_WINDOW_DAYS = 45
BALANCED = 0.1
ALPHA = 0.05


def oki_bin(oki: int | None) -> str:
    if oki is None:
        return "?"
    return "2+" if oki >= 2 else str(int(oki))


# --- absence per enrolled half-day -----------------------------------------------------------

Period = tuple[datetime.date, "datetime.date | None"]  # start, end (inclusive; None: still enrolled)


def _spans(
    periods: Iterable[Period], since: datetime.date, until: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """The parts of ``[since, until)`` inside the periods, merged (half-open, sorted)."""
    parts = []
    for start, end in periods:
        a = max(start, since)
        b = min(until, end + datetime.timedelta(days=1)) if end is not None else until
        if a < b:
            parts.append((a, b))
    merged: list[tuple[datetime.date, datetime.date]] = []
    for a, b in sorted(parts):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def weekdays(since: datetime.date, until: datetime.date) -> int:
    """Mondays to Fridays in ``[since, until)``."""
    full, rest = divmod(max((until - since).days, 0), 7)
    first = since.weekday()
    return 5 * full + sum(1 for k in range(rest) if (first + k) % 7 < 5)


def enrolled_half_days(periods: Iterable[Period], since: datetime.date, until: datetime.date) -> int:
    """Half-days enrolled in ``[since, until)``: two for every weekday (Monday to Friday) that lies
    inside one of ``periods`` (start, end inclusive or None). Holidays are weekdays like any other:
    the registry has no school calendar, and they weigh the same for both groups."""
    return 2 * sum(weekdays(a, b) for a, b in _spans(periods, since, until))


def absence_share(
    days: Iterable[datetime.date], periods: Iterable[Period], since: datetime.date, until: datetime.date
) -> float | None:
    """Half-days absent ÷ half-days enrolled in ``[since, until)`` (``days``: one date per absent
    half-day; only those on an enrolled weekday count). None when the pupil was never enrolled then."""
    spans = _spans(periods, since, until)
    enrolled = 2 * sum(weekdays(a, b) for a, b in spans)
    if not enrolled:
        return None
    absent = 0
    for d in days:
        if since <= d < until and d.weekday() < 5:
            for a, b in spans:
                if a <= d < b:
                    absent += 1
                    break
    return absent / enrolled


def absence_trend(
    days: Sequence[datetime.date], periods: Sequence[Period], start: datetime.date, window_days: int
) -> float | None:
    """The change of the absence share before ``start``: the share over the second half of the
    ``window_days`` before it minus the share over the first half. None when either half has no
    enrolled day."""
    half = datetime.timedelta(days=window_days // 2)
    first = absence_share(days, periods, start - datetime.timedelta(days=window_days), start - half)
    second = absence_share(days, periods, start - half, start)
    return None if first is None or second is None else second - first


# --- matching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A pupil at a moment: ``date`` is the start of the offer (treated) or the risk-score date
    (candidate). ``pre``/``post`` map an outcome name to its value (None or absent: unknown);
    ``pre["b_rate"]`` is also the level matched on, ``trend`` the change of the B share before
    ``date`` (``absence_trend``)."""

    id: int
    grade: str
    oki: int | None
    risk: float
    date: datetime.date | None = None
    pre: Mapping[str, float | None] = field(default_factory=dict)
    post: Mapping[str, float | None] = field(default_factory=dict)
    trend: float | None = None


def _grade_number(grade: str) -> float | None:
    """P1..P6 -> 1..6, S1..S7 -> 7..13 (a number for the balance table; matching is exact)."""
    if len(grade or "") == 2 and grade[0] in "PS" and grade[1].isdigit():
        return int(grade[1]) + (6 if grade[0] == "S" else 0)
    return None


def variable(unit: Unit, name: str) -> float | None:
    """The value of a matching variable of a unit (None: unknown)."""
    if name == "risk":
        return unit.risk
    if name == "b_level":
        value = unit.pre.get("b_rate")
        return value if _known(value) else None
    if name == "b_trend":
        return unit.trend if _known(unit.trend) else None
    if name == "grade":
        return _grade_number(unit.grade)
    if name == "oki":
        return None if unit.oki is None else float(min(int(unit.oki), 2))
    raise ValueError(f"unknown matching variable {name!r}: expected one of {', '.join(BALANCE_VARIABLES)}")


DISTANCE_VARIABLES = ("risk", "b_level", "b_trend")


def _variance(values: list[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1)


def pooled_sd(a: Iterable[float | None], b: Iterable[float | None]) -> float:
    """sqrt((variance of a + variance of b) / 2) over the known values (sample variances); the
    standard deviation of one group alone when the other has fewer than 2 known values."""
    a = [v for v in a if _known(v)]
    b = [v for v in b if _known(v)]
    if len(a) < 2 or len(b) < 2:
        return math.sqrt(_variance(a if len(a) >= 2 else b))
    return math.sqrt((_variance(a) + _variance(b)) / 2)


def _order(u: Unit) -> tuple:
    """One order for units whatever the order given (sums, and so the figures, do not depend on it)."""
    return u.id, u.date or datetime.date.min


@dataclass(frozen=True)
class Pair:
    treated: Unit
    control: Unit


def match(
    treated: Iterable[Unit],
    pool: Iterable[Unit],
    *,
    caliper: float = CALIPER,
    sd_caliper: float = SD_CALIPER,
    date_window: int | None = DATE_WINDOW_DAYS,
    baseline: Callable[[Unit, datetime.date], Unit] | None = None,
) -> tuple[list[Pair], list[Unit]]:
    """Pairs (treated, control) and the treated pupils left unmatched. A pool unit whose id is a
    treated id is never a control. ``date_window=None`` ignores dates.

    ``baseline(candidate, day)`` may return the candidate with its level and trend measured over the
    90 days before ``day`` (the treated pupil's start), so both sides of a pair are compared over the
    same days; the pair holds that unit. Without it the candidate's own values are used. The standard
    deviations that scale the distance come from the units as given (the candidates at their own date)."""
    treated = sorted(treated, key=lambda u: u.id)
    treated_ids = {u.id for u in treated}
    pool = sorted((u for u in pool if u.id not in treated_ids), key=_order)
    scale = {}
    for name in DISTANCE_VARIABLES:
        sd = pooled_sd([variable(u, name) for u in treated], [variable(u, name) for u in pool])
        scale[name] = sd if sd > 1e-12 else 1.0
    cells: dict[tuple[str, str], list[Unit]] = {}
    for u in pool:
        cells.setdefault((u.grade, oki_bin(u.oki)), []).append(u)
    used: set[int] = set()
    pairs, unmatched = [], []
    at: dict[tuple, Unit] = {}
    for t in treated:
        tv = {name: variable(t, name) for name in DISTANCE_VARIABLES}
        best, best_key = None, None
        for c in cells.get((t.grade, oki_bin(t.oki)), ()):
            if c.id in used or abs(c.risk - t.risk) > caliper + 1e-12:
                continue
            dd = 0
            if date_window is not None and t.date is not None and c.date is not None:
                dd = abs((c.date - t.date).days)
                if dd > date_window:
                    continue
            if baseline is not None and t.date is not None:
                key = (c.id, c.date, t.date)
                if key not in at:
                    at[key] = baseline(c, t.date)
                c = at[key]
            distance, ok = 0.0, True
            for name in DISTANCE_VARIABLES:
                cv = variable(c, name)
                if tv[name] is None or cv is None:
                    continue  # unknown on either side (a pupil who just arrived has no trend): not compared
                z = abs(cv - tv[name]) / scale[name]
                if name != "risk" and z > sd_caliper + 1e-12:
                    ok = False
                    break
                distance += z * z
            if not ok:
                continue
            key = (round(distance, 12), dd, c.id, c.date or datetime.date.min)
            if best_key is None or key < best_key:
                best, best_key = c, key
        if best is None:
            unmatched.append(t)
        else:
            used.add(best.id)
            pairs.append(Pair(t, best))
    return pairs, unmatched


# --- balance -------------------------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def smd(treated: Iterable[float | None], comparison: Iterable[float | None]) -> float | None:
    """Standardised mean difference: (mean treated - mean comparison) / sqrt((var t + var c) / 2),
    over the known values, with sample variances (n - 1). None when a group has no known value, or
    when both variances are 0 and the means differ (no scale to express the difference in)."""
    t = [v for v in treated if _known(v)]
    c = [v for v in comparison if _known(v)]
    if not t or not c:
        return None
    diff = sum(t) / len(t) - sum(c) / len(c)
    sd = math.sqrt((_variance(t) + _variance(c)) / 2)
    if sd < 1e-12:
        return 0.0 if abs(diff) < 1e-12 else None
    return diff / sd


@dataclass(frozen=True)
class Balance:
    """One matching variable before and after matching."""

    variable: str
    treated_before: float | None  # mean over every treated pupil (with a risk score)
    pool_before: float | None  # mean over every candidate
    smd_before: float | None
    treated_after: float | None  # mean over the matched treated pupils
    control_after: float | None  # mean over their comparison pupils
    smd_after: float | None

    @property
    def balanced(self) -> bool:
        """|SMD| after matching under 0.1."""
        return self.smd_after is not None and abs(self.smd_after) < BALANCED


def balance(
    treated: Iterable[Unit],
    pool: Iterable[Unit],
    pairs: Iterable[Pair],
    variables: Iterable[str] = BALANCE_VARIABLES,
) -> list[Balance]:
    """The balance table: per matching variable, the means and the SMD before matching (every
    treated unit against every pool unit that is not treated) and after it (the matched pairs)."""
    treated, pairs = sorted(treated, key=_order), sorted(pairs, key=lambda p: _order(p.treated))
    ids = {u.id for u in treated}
    pool = sorted((u for u in pool if u.id not in ids), key=_order)
    out = []
    for name in variables:
        t_all = [variable(u, name) for u in treated]
        p_all = [variable(u, name) for u in pool]
        t_m = [variable(p.treated, name) for p in pairs]
        c_m = [variable(p.control, name) for p in pairs]
        out.append(
            Balance(
                variable=name,
                treated_before=_mean([v for v in t_all if v is not None]),
                pool_before=_mean([v for v in p_all if v is not None]),
                smd_before=smd(t_all, p_all),
                treated_after=_mean([v for v in t_m if v is not None]),
                control_after=_mean([v for v in c_m if v is not None]),
                smd_after=smd(t_m, c_m),
            )
        )
    return out


# --- estimates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    outcome: str
    n: int  # matched pairs with the outcome known on both sides
    treated_pre: float | None
    treated_post: float | None
    control_pre: float | None
    control_post: float | None
    effect: float | None
    low: float | None
    high: float | None
    p: float | None = None  # two-sided p-value of the paired t test
    p_holm: float | None = None  # corrected over every outcome (Holm)

    def covers(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high


@dataclass(frozen=True)
class Result:
    treated: int
    matched: int
    unmatched: int
    estimates: dict[str, Estimate]
    balance: list[Balance] = field(default_factory=list)


def interval(diffs: list[float], level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Mean of paired differences and its t interval; (mean, None, None) with fewer than 2 pairs."""
    mean, low, high, _p = paired_test(diffs, level)
    return mean, low, high


def paired_test(
    diffs: list[float], level: float = 0.95
) -> tuple[float | None, float | None, float | None, float | None]:
    """Mean of paired differences, its t interval and the two-sided p-value of the paired t test
    (mean 0). Fewer than 2 pairs: (mean, None, None, None). All differences equal: the interval is
    that value and p is 0 (1 when the value is 0)."""
    n = len(diffs)
    if n == 0:
        return None, None, None, None
    mean = sum(diffs) / n
    if n < 2:
        return mean, None, None, None
    se = math.sqrt(_variance(diffs)) / math.sqrt(n)
    if se < 1e-15:
        return mean, mean, mean, (1.0 if abs(mean) < 1e-15 else 0.0)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    p = float(2 * stats.t.sf(abs(mean) / se, n - 1))
    return mean, mean - half, mean + half, p


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment: sort the p-values, multiply the k-th smallest by (m - k + 1),
    keep them non-decreasing, cap at 1. An unknown p-value (None) counts as 1 in the family (it is
    part of the test but never makes another outcome significant) and stays None."""
    m = len(pvalues)
    filled = [1.0 if p is None else float(p) for p in pvalues]
    order = sorted(range(m), key=lambda i: filled[i])
    out: list[float | None] = [None] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * filled[i]))
        out[i] = None if pvalues[i] is None else running
    return out


def _known(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def estimate(pairs: Iterable[Pair], outcome: str) -> Estimate:
    pairs = list(pairs)
    change = outcome in CHANGE_OUTCOMES
    rows = []
    for p in pairs:
        tp, cp = p.treated.post.get(outcome), p.control.post.get(outcome)
        tb, cb = p.treated.pre.get(outcome), p.control.pre.get(outcome)
        if not (_known(tp) and _known(cp)) or change and not (_known(tb) and _known(cb)):
            continue
        rows.append((tb, tp, cb, cp))
    diffs = [(tp - tb) - (cp - cb) if change else tp - cp for tb, tp, cb, cp in rows]
    effect, low, high, p = paired_test(diffs)
    return Estimate(
        outcome=outcome,
        n=len(rows),
        treated_pre=_mean([r[0] for r in rows]) if change else None,
        treated_post=_mean([r[1] for r in rows]),
        control_pre=_mean([r[2] for r in rows]) if change else None,
        control_post=_mean([r[3] for r in rows]),
        effect=effect,
        low=low,
        high=high,
        p=p,
    )


def evaluate(
    treated: Iterable[Unit],
    pool: Iterable[Unit],
    *,
    caliper: float = CALIPER,
    sd_caliper: float = SD_CALIPER,
    date_window: int | None = DATE_WINDOW_DAYS,
    baseline=None,
    measure=None,
    outcomes: Iterable[str] = OUTCOMES,
) -> Result:
    """Match, check the balance, then estimate every outcome with Holm-corrected p-values.
    ``baseline`` as in ``match``. ``measure(control, treated) -> Unit`` may fill in the control's
    pre/post measures over the treated pupil's windows (after matching; the balance is of the values
    matched on)."""
    treated, pool = list(treated), list(pool)
    pairs, unmatched = match(
        treated, pool, caliper=caliper, sd_caliper=sd_caliper, date_window=date_window, baseline=baseline
    )
    table = balance(treated, pool, pairs)
    if measure is not None:
        pairs = [Pair(p.treated, measure(p.control, p.treated)) for p in pairs]
    outcomes = list(outcomes)
    raw = [estimate(pairs, o) for o in outcomes]
    adjusted = holm([e.p for e in raw])
    estimates = {e.outcome: dataclasses.replace(e, p_holm=q) for e, q in zip(raw, adjusted, strict=True)}
    return Result(
        treated=len(treated), matched=len(pairs), unmatched=len(unmatched), estimates=estimates, balance=table
    )
