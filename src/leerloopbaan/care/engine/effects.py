"""Effect monitoring of a support offer: matched comparison and difference-in-differences.

Django-free: the caller passes plain records. Method:

* **Matching.** Every treated pupil is matched to at most one untreated candidate with the same grade
  and the same OKI level (bins 0, 1, 2+; an unknown OKI only matches an unknown OKI), a risk-score
  date within ``date_window`` days of the treated pupil's start, and a risk score within ``caliper``
  of the treated pupil's. The nearest risk score wins; ties go to the nearest date, then the lowest
  candidate id. Treated pupils are matched in the order of their id, without replacement (a
  candidate pupil is used once), so the result is deterministic. Treated pupils without a candidate
  inside the caliper stay unmatched and are counted.
* **Estimate.** For the change outcomes (B and Z half-days per month, risk score) the effect is the
  mean over matched pairs of ``(post - pre)_treated - (post - pre)_control`` (difference in
  differences). For the share with a C-attest the following June it is the mean of
  ``post_treated - post_control`` (a difference in shares). Pairs with a missing value are left out
  of that outcome only.
* **Uncertainty.** A 95 % interval from the t distribution of the paired differences
  (``mean +- t(0.975, n-1) * sd / sqrt(n)``): the normal approximation of paired differences, with
  the t quantile because the number of pairs is often small. No randomness, so no seed.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scipy import stats

CHANGE_OUTCOMES = ("b_per_month", "z_per_month", "risk")
LEVEL_OUTCOMES = ("c_attest",)
OUTCOMES = CHANGE_OUTCOMES + LEVEL_OUTCOMES
CALIPER = 0.05
DATE_WINDOW_DAYS = 45


def oki_bin(oki: int | None) -> str:
    if oki is None:
        return "?"
    return "2+" if oki >= 2 else str(int(oki))


@dataclass(frozen=True)
class Unit:
    """A pupil at a moment: ``date`` is the start of the offer (treated) or the risk-score date
    (candidate). ``pre``/``post`` map an outcome name to its value (None or absent: unknown)."""

    id: int
    grade: str
    oki: int | None
    risk: float
    date: datetime.date | None = None
    pre: Mapping[str, float | None] = field(default_factory=dict)
    post: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Pair:
    treated: Unit
    control: Unit


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

    def covers(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high


@dataclass(frozen=True)
class Result:
    treated: int
    matched: int
    unmatched: int
    estimates: dict[str, Estimate]


def match(treated: Iterable[Unit], pool: Iterable[Unit], *, caliper: float = CALIPER,
          date_window: int | None = DATE_WINDOW_DAYS) -> tuple[list[Pair], list[Unit]]:
    """Pairs (treated, control) and the treated pupils left unmatched. A pool unit whose id is a
    treated id is never a control. ``date_window=None`` ignores dates."""
    treated = sorted(treated, key=lambda u: u.id)
    treated_ids = {u.id for u in treated}
    cells: dict[tuple[str, str], list[Unit]] = {}
    for u in pool:
        if u.id not in treated_ids:
            cells.setdefault((u.grade, oki_bin(u.oki)), []).append(u)
    used: set[int] = set()
    pairs, unmatched = [], []
    for t in treated:
        best, best_key = None, None
        for c in cells.get((t.grade, oki_bin(t.oki)), ()):
            if c.id in used:
                continue
            dr = abs(c.risk - t.risk)
            if dr > caliper + 1e-12:
                continue
            dd = 0
            if date_window is not None and t.date is not None and c.date is not None:
                dd = abs((c.date - t.date).days)
                if dd > date_window:
                    continue
            key = (round(dr, 12), dd, c.id, c.date or datetime.date.min)
            if best_key is None or key < best_key:
                best, best_key = c, key
        if best is None:
            unmatched.append(t)
        else:
            used.add(best.id)
            pairs.append(Pair(t, best))
    return pairs, unmatched


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def interval(diffs: list[float], level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Mean of paired differences and its t interval; (mean, None, None) with fewer than 2 pairs."""
    n = len(diffs)
    if n == 0:
        return None, None, None
    mean = sum(diffs) / n
    if n < 2:
        return mean, None, None
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


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
    effect, low, high = interval(diffs)
    return Estimate(
        outcome=outcome, n=len(rows),
        treated_pre=_mean([r[0] for r in rows]) if change else None, treated_post=_mean([r[1] for r in rows]),
        control_pre=_mean([r[2] for r in rows]) if change else None, control_post=_mean([r[3] for r in rows]),
        effect=effect, low=low, high=high,
    )


def evaluate(treated: Iterable[Unit], pool: Iterable[Unit], *, caliper: float = CALIPER, date_window: int | None = DATE_WINDOW_DAYS,
             measure=None, outcomes: Iterable[str] = OUTCOMES) -> Result:
    """Match, then estimate every outcome. ``measure(control, treated) -> Unit`` may fill in the
    control's pre/post measures over the treated pupil's windows (after matching)."""
    treated = list(treated)
    pairs, unmatched = match(treated, pool, caliper=caliper, date_window=date_window)
    if measure is not None:
        pairs = [Pair(p.treated, measure(p.control, p.treated)) for p in pairs]
    return Result(treated=len(treated), matched=len(pairs), unmatched=len(unmatched),
                  estimates={o: estimate(pairs, o) for o in outcomes})
