"""The effect engine on synthetic data where the true effect is known."""

import datetime
import math
import random

from scipy import stats

from leerloopbaan.care.engine.effects import (
    Pair,
    Unit,
    absence_share,
    absence_trend,
    balance,
    enrolled_half_days,
    estimate,
    evaluate,
    holm,
    interval,
    match,
    oki_bin,
    paired_test,
    smd,
)

D = datetime.date(2024, 11, 1)


def synthetic(
    effect_b: float, *, seed: int = 7, n_treated: int = 60, n_pool: int = 400, effect_c: float = 0.0
):
    rng = random.Random(seed)

    def unit(i, treated):
        grade = rng.choice(["S2", "S3", "S4"])
        oki = rng.choice([0, 1, 2, 3])
        risk = min(max(rng.gauss(0.5 if treated else 0.4, 0.15), 0), 1)
        pre_b = max(0.0, 4 * risk + rng.gauss(0, 1))
        trend = 0.5 * risk  # everybody's absence drifts up with risk: the comparison must remove it
        post_b = pre_b + trend + rng.gauss(0, 0.8) + (effect_b if treated else 0)
        pre_z, post_z = rng.uniform(0, 2), rng.uniform(0, 2)
        pre_r, post_r = risk, risk + rng.gauss(0, 0.05)
        c = 1.0 if rng.random() < 0.2 + (effect_c if treated else 0) else 0.0
        return Unit(
            id=i,
            grade=grade,
            oki=oki,
            risk=risk,
            date=D,
            pre={"b_rate": pre_b, "z_rate": pre_z, "risk": pre_r},
            post={"b_rate": post_b, "z_rate": post_z, "risk": post_r, "c_attest": c},
        )

    treated = [unit(i, True) for i in range(n_treated)]
    pool = [unit(1000 + i, False) for i in range(n_pool)]
    return treated, pool


def test_known_effect_is_recovered():
    treated, pool = synthetic(-2.0)
    result = evaluate(treated, pool)
    b = result.estimates["b_rate"]
    assert result.matched >= 40 and b.n == result.matched
    assert b.covers(-2.0)
    assert not b.covers(0.0)
    assert abs(b.effect + 2) < 0.5


def test_no_effect_is_not_significant_after_the_correction():
    """Without an effect no outcome is called lower or higher: the Holm-corrected p-value stays at or
    above 0.05. (One 95 % interval in twenty misses 0 by chance -- seed 2 gives one for B, p 0.012 --
    which is what the correction over the outcomes is for.)"""
    for seed in (1, 2, 3):
        treated, pool = synthetic(0.0, seed=seed)
        result = evaluate(treated, pool)
        for name in ("b_rate", "z_rate", "risk", "c_attest"):
            assert result.estimates[name].p_holm >= 0.05, (seed, name, result.estimates[name])
    treated, pool = synthetic(0.0, seed=2)
    b = evaluate(treated, pool).estimates["b_rate"]
    assert b.p < 0.05 <= b.p_holm


def test_matching_is_exact_on_grade_and_oki_bin_and_within_the_caliper():
    treated, pool = synthetic(0.0)
    pairs, unmatched = match(treated, pool, caliper=0.05)
    assert pairs
    for p in pairs:
        assert p.treated.grade == p.control.grade
        assert oki_bin(p.treated.oki) == oki_bin(p.control.oki)
        assert abs(p.treated.risk - p.control.risk) <= 0.05 + 1e-9
    controls = [p.control.id for p in pairs]
    assert len(controls) == len(set(controls))  # without replacement
    assert len(pairs) + len(unmatched) == len(treated)
    assert oki_bin(3) == oki_bin(2) == "2+" and oki_bin(None) == "?"


def test_deterministic_and_ties_by_id():
    treated, pool = synthetic(-1.0)
    assert evaluate(treated, pool) == evaluate(list(reversed(treated)), list(reversed(pool)))
    t = Unit(id=1, grade="S3", oki=0, risk=0.5)
    a, b = Unit(id=30, grade="S3", oki=0, risk=0.52), Unit(id=20, grade="S3", oki=0, risk=0.48)
    pairs, _ = match([t], [a, b])
    assert pairs[0].control.id == 20


def test_unmatched_are_counted():
    t1 = Unit(id=1, grade="S3", oki=1, risk=0.5, date=D)
    t2 = Unit(id=2, grade="S3", oki=1, risk=0.9)  # nothing near
    t3 = Unit(id=3, grade="S4", oki=1, risk=0.5)  # other grade
    t4 = Unit(id=4, grade="S3", oki=1, risk=0.51, date=D)  # the only near candidate is taken by t1
    t5 = Unit(id=5, grade="S3", oki=1, risk=0.5, date=D)
    late = Unit(id=11, grade="S3", oki=1, risk=0.5, date=D + datetime.timedelta(days=200))  # too far in time
    pool = [Unit(id=10, grade="S3", oki=1, risk=0.52), Unit(id=1, grade="S3", oki=1, risk=0.5), late]
    result = evaluate([t1, t2, t3, t4, t5], pool)
    assert (result.treated, result.matched, result.unmatched) == (5, 1, 4)


def test_interval_small_samples():
    assert interval([]) == (None, None, None)
    assert interval([1.0]) == (1.0, None, None)
    mean, low, high = interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and low < 2.0 < high


# --- absence per enrolled half-day ------------------------------------------------------------

JAN = datetime.date(2024, 1, 1)  # a Monday


def test_absence_share_counts_the_half_days_enrolled_by_hand():
    """Enrolled Monday 8 to Friday 19 January 2024: 10 weekdays, 20 half-days. Absent: both halves of
    the 9th and the morning of the 15th (3); Saturday the 20th and the 25th (not enrolled) do not
    count. 3 / 20 = 0.15 over the whole of January -- not 5 half-days over 31 calendar days."""
    periods = [(datetime.date(2024, 1, 8), datetime.date(2024, 1, 19))]
    days = [
        datetime.date(2024, 1, 9),
        datetime.date(2024, 1, 9),
        datetime.date(2024, 1, 15),
        datetime.date(2024, 1, 20),
        datetime.date(2024, 1, 25),
    ]
    assert enrolled_half_days(periods, JAN, datetime.date(2024, 2, 1)) == 20
    assert absence_share(days, periods, JAN, datetime.date(2024, 2, 1)) == 0.15
    # the same pupil enrolled the whole month: 23 weekdays, 46 half-days
    assert enrolled_half_days([(datetime.date(2023, 9, 1), None)], JAN, datetime.date(2024, 2, 1)) == 46
    # two periods (a school change) count once each; overlapping periods once; nothing enrolled: unknown
    two = [(JAN, datetime.date(2024, 1, 5)), (datetime.date(2024, 1, 4), datetime.date(2024, 1, 12))]
    assert enrolled_half_days(two, JAN, datetime.date(2024, 2, 1)) == 20
    assert absence_share(days, [(datetime.date(2024, 3, 1), None)], JAN, datetime.date(2024, 2, 1)) is None


def test_absence_trend_by_hand():
    """90 days before 1 April 2024: first half 2 January .. 16 February, second half 16 February ..
    31 March. Enrolled throughout: 33 and 31 weekdays (66 and 62 half-days)."""
    start = datetime.date(2024, 4, 1)
    periods = [(datetime.date(2023, 9, 1), None)]
    days = [datetime.date(2024, 1, 10)] * 2 + [datetime.date(2024, 3, 4)] * 8
    assert enrolled_half_days(periods, datetime.date(2024, 1, 2), datetime.date(2024, 2, 16)) == 66
    assert enrolled_half_days(periods, datetime.date(2024, 2, 16), start) == 62
    assert absence_trend(days, periods, start, 90) == 8 / 62 - 2 / 66
    # not enrolled in the first half (arrived in March): no trend
    assert absence_trend(days, [(datetime.date(2024, 3, 1), None)], start, 90) is None


# --- matching on the pre-start trend, balance, Holm ---------------------------------------------


def _trend_world(n=40, seed=3):
    """Treated pupils whose B share rises before the start (trend +20 pp from the first to the second
    half of the 90 days) and keeps rising after it (+30 pp), without any effect of the offer. For each,
    two candidates with the same level before the start: a "flat" one (no trend, no rise after) with
    exactly the treated pupil's risk, and a "rising" one like the treated with a risk 0.02 higher."""
    rng = random.Random(seed)
    treated, pool = [], []
    for i in range(n):
        risk, level = round(rng.uniform(0.4, 0.8), 3), rng.uniform(0.05, 0.30)
        t_pre, f_pre, r_pre = (level + rng.gauss(0, 0.005) for _ in range(3))
        treated.append(
            Unit(
                id=i,
                grade="S3",
                oki=1,
                risk=risk,
                date=D,
                trend=0.20 + rng.gauss(0, 0.01),
                pre={"b_rate": t_pre},
                post={"b_rate": t_pre + 0.30 + rng.gauss(0, 0.02)},
            )
        )
        pool.append(
            Unit(
                id=1000 + i,
                grade="S3",
                oki=1,
                risk=risk,
                date=D,
                trend=rng.gauss(0, 0.01),
                pre={"b_rate": f_pre},
                post={"b_rate": f_pre + rng.gauss(0, 0.02)},
            )
        )
        pool.append(
            Unit(
                id=2000 + i,
                grade="S3",
                oki=1,
                risk=risk + 0.02,
                date=D,
                trend=0.20 + rng.gauss(0, 0.01),
                pre={"b_rate": r_pre},
                post={"b_rate": r_pre + 0.30 + rng.gauss(0, 0.02)},
            )
        )
    return treated, pool


def test_matching_on_the_pre_start_trend_removes_the_bias_of_different_trends():
    treated, pool = _trend_world()
    pairs, unmatched = match(treated, pool)
    assert len(pairs) >= 36 and len(pairs) + len(unmatched) == 40
    assert all(p.control.id >= 2000 for p in pairs)  # the rising ones, though 0.02 further in risk
    result = evaluate(treated, pool)
    b = result.estimates["b_rate"]
    assert abs(b.effect) < 0.01 and b.covers(0.0)
    # matched on risk alone (the old matching: nearest risk) the flat pupils win and the rise that was
    # already under way looks like an effect of +30 percentage points
    naive = [Pair(t, next(c for c in pool if c.id == 1000 + t.id)) for t in treated]
    assert abs(estimate(naive, "b_rate").effect - 0.30) < 0.01
    trend = next(row for row in result.balance if row.variable == "b_trend")
    assert abs(trend.smd_before) > 0.1 and trend.balanced


def test_smd_by_hand():
    """Treated 1, 2, 3 (mean 2, variance 1); comparison 2, 2, 4, 4 (mean 3, variance 4/3):
    (2 - 3) / sqrt((1 + 4/3) / 2) = -0.9258."""
    assert abs(smd([1.0, 2.0, 3.0], [2.0, 2.0, 4.0, 4.0]) - (-1 / math.sqrt(7 / 6))) < 1e-12
    assert round(smd([1.0, 2.0, 3.0], [2.0, 2.0, 4.0, 4.0]), 4) == -0.9258
    assert smd([1.0, None, 3.0], [2.0, 2.0]) == 0.0 and smd([], [1.0]) is None
    assert smd([1.0, 1.0], [2.0, 2.0]) is None  # no spread: no scale


def test_balance_table_by_hand():
    """Risk of the treated 0.50, 0.60; of the candidates 0.50, 0.62, 0.90, 0.30. Before: mean 0.55
    (variance 0.005) against 0.58 (variance 0.1888 / 3): -0.03 / sqrt(0.03397) = -0.1628. Matched: 0.50 with
    0.50 and 0.60 with 0.62: 0.55 against 0.56, variances 0.005 and 0.0072: -0.01 / sqrt(0.0061) =
    -0.1280 -- not under 0.1, so not balanced."""
    t = [Unit(id=1, grade="S3", oki=0, risk=0.50), Unit(id=2, grade="S3", oki=0, risk=0.60)]
    pool = [Unit(id=10 + i, grade="S3", oki=0, risk=r) for i, r in enumerate((0.50, 0.62, 0.90, 0.30))]
    pairs, unmatched = match(t, pool)
    assert [(p.treated.id, p.control.id) for p in pairs] == [(1, 10), (2, 11)] and not unmatched
    risk = next(b for b in balance(t, pool, pairs) if b.variable == "risk")
    assert round(risk.treated_before, 4) == 0.55 and round(risk.pool_before, 4) == 0.58
    assert (
        round(risk.smd_before, 4) == -0.1628
        and round(-0.03 / math.sqrt((0.005 + 0.1888 / 3) / 2), 4) == -0.1628
    )
    assert round(risk.smd_after, 4) == -0.1280 and not risk.balanced
    grade = next(b for b in balance(t, pool, pairs) if b.variable == "grade")
    assert grade.smd_after == 0.0 and grade.balanced  # matched exactly


def test_holm_by_hand():
    """0.01, 0.04, 0.03, 0.2: sorted 0.01 x 4 = 0.04, 0.03 x 3 = 0.09, 0.04 x 2 = 0.08 -> 0.09 (kept
    non-decreasing), 0.2 x 1 = 0.2."""
    adjusted = holm([0.01, 0.04, 0.03, 0.2])
    assert [round(p, 10) for p in adjusted] == [0.04, 0.09, 0.09, 0.2]
    # an unknown p-value counts as 1 (the family is still 3) and stays unknown; never above 1
    assert [None if p is None else round(p, 10) for p in holm([0.01, None, 0.04])] == [0.03, None, 0.08]
    assert holm([0.5, 0.6]) == [1.0, 1.0] and holm([]) == []


def test_p_value_is_the_paired_t_test():
    mean, low, high, p = paired_test([1.0, 2.0, 3.0, 4.0])
    reference = stats.ttest_1samp([1.0, 2.0, 3.0, 4.0], 0.0)
    assert mean == 2.5 and abs(p - reference.pvalue) < 1e-12 and low < 2.5 < high
    assert paired_test([0.0, 0.0, 0.0])[3] == 1.0 and paired_test([1.0])[3] is None
