"""Honest numbers in the growth report (engine level): the comparisons a page shows together are
Holm-corrected as one family, and online against face-to-face tutoring is adjusted for who got which
mode (baseline band, level, baseline score, domain)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

from leerloopbaan.assessments.engine import growth as G
from leerloopbaan.assessments.engine import norms as N

# --- Holm over a family of comparisons ------------------------------------------------------


def _null_family(rng, k=7, n=30):
    """``k`` paired-t intervals of samples without any true difference."""
    return [G.paired_t_interval(list(rng.normal(0.0, 1.0, n))) for _ in range(k)]


def test_holm_adjusted_p_values_on_a_known_example():
    intervals = [G.Interval(0.0, 0.0, 0.0, 10.0, se=1.0, p=p) for p in (0.01, 0.04, 0.03, 0.005)]
    got = G.holm(intervals)
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max 0.06
    assert [i.p_adjusted for i in got] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [i.family for i in got] == [4] * 4
    # the levels: step 1 (p 0.005) 1 - 0.05/4, step 2 (p 0.01) 1 - 0.05/3; step 3 does not hold, so
    # steps 3 and 4 both get its level 1 - 0.05/2
    assert [i.level for i in got] == pytest.approx([1 - 0.05 / 3, 1 - 0.05 / 2, 1 - 0.05 / 2, 1 - 0.05 / 4])


def test_p_values_and_intervals_at_a_level_agree_with_scipy():
    rng = np.random.default_rng(3)
    d = list(rng.normal(0.2, 1, 40))
    i = G.paired_t_interval(d)
    assert i.p == pytest.approx(stats.ttest_1samp(d, 0).pvalue)
    wide = i.at_level(0.99)
    ref = stats.ttest_1samp(d, 0).confidence_interval(0.99)
    assert (wide.low, wide.high, wide.level) == pytest.approx((ref.low, ref.high, 0.99))
    a, b = list(rng.normal(1, 1, 30)), list(rng.normal(0.5, 2, 55))
    assert G.welch_interval(a, b).p == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_seven_null_comparisons_one_uncorrected_interval_misses_zero_holm_does_not():
    """The finding: seven intervals shown together, no true difference, and one of them "beyond
    chance" uncorrected. After Holm none excludes 0."""
    family = _null_family(np.random.default_rng(7))  # one p-value is 0.011
    assert sum(i.excludes_zero for i in family) >= 1  # what the page used to call a difference
    corrected = G.holm(family)
    assert not any(i.excludes_zero for i in corrected)
    assert all(i.p_adjusted >= 0.05 for i in corrected)
    for before, after in zip(family, corrected, strict=True):
        assert after.estimate == before.estimate and after.low <= before.low and after.high >= before.high


def test_holm_interval_excludes_zero_exactly_when_the_adjusted_p_value_is_under_alpha():
    rng = np.random.default_rng(5)
    for _ in range(200):
        family = [G.paired_t_interval(list(rng.normal(rng.choice([0.0, 0.5]), 1.0, 25))) for _ in range(6)]
        for i in G.holm(family):
            assert i.excludes_zero == (i.p_adjusted < 0.05), i


def test_family_wise_error_of_seven_null_comparisons_is_kept_at_five_percent():
    rng = np.random.default_rng(17)
    runs, raw, holm = 400, 0, 0
    for _ in range(runs):
        family = _null_family(rng)
        raw += any(i.excludes_zero for i in family)
        holm += any(i.excludes_zero for i in G.holm(family))
    # 1 - 0.95^7 = 0.30: the uncorrected page finds a "difference" in a third of the null cities
    assert raw / runs > 0.2
    assert holm / runs <= 0.07


def test_a_real_difference_still_holds_after_holm():
    rng = np.random.default_rng(8)
    family = _null_family(rng, k=6) + [G.paired_t_interval(list(rng.normal(0.8, 1.0, 60)))]
    corrected = G.holm(family)
    assert corrected[-1].excludes_zero and corrected[-1].level == pytest.approx(1 - 0.05 / 7)


# --- online against offline, adjusted -------------------------------------------------------

BASE, MID, LATER = dt.date(2021, 6, 10), dt.date(2023, 6, 10), dt.date(2025, 6, 10)


def confounded(*, n=6000, seed=1, online_extra=0.0, effect=0.2):
    """Two cohorts on one vertical scale: P4 -> P6 and P6 -> S2. Low scorers are far more often
    tutored, and among the tutored the weakest (lower bands) and the older cohort mostly get online
    tutoring. The later score regresses to the mean, so lower starters gain more whatever the mode:
    the raw online minus offline difference is large although ``online_extra`` (in SD) is 0."""
    rng = np.random.default_rng(seed)
    results, tutoring, norms = [], [], {}
    for cohort, (m0, m1, d0, d1, mean0, gap) in enumerate(
        [("P4", "P6", BASE, MID, 250.0, 30.0), ("P6", "S2", MID, LATER, 280.0, 15.0)]
    ):
        base = rng.normal(mean0, 30, n)
        norm = N.norm_of(base)
        norms[(f"maths-{m0}", "LGT")] = norm
        treated = rng.random(n) < 1 / (1 + np.exp(2.2 + (base - mean0) / 18))
        online = rng.random(n) < 1 / (1 + np.exp((base - (mean0 - 25)) / 8 - 1.2 * cohort))
        later = mean0 + gap + 0.7 * (base - mean0) + rng.normal(0, 15, n)
        later = later + norm.sd * treated * (effect + online_extra * online)
        for i in range(n):
            pid = cohort * 100_000 + i
            results.append(G.Result(pid, d0, "maths", f"maths-{m0}", m0, "LGT", float(base[i])))
            results.append(G.Result(pid, d1, "maths", f"maths-{m1}", m1, "LGT", float(later[i])))
            if treated[i]:
                start = d0 + dt.timedelta(days=200)
                tutoring.append(G.Tutoring(pid, "maths", start, G.ONLINE if online[i] else G.OFFLINE))
    return results, tutoring, norms


def _maths(rows):
    (row,) = [r for r in rows if r.domain == "maths"]
    return row


def test_confounded_city_raw_mode_difference_is_large_adjusted_is_about_zero():
    results, tutoring, norms = confounded(seed=21)
    pairs = G.build_pairs(results, tutoring, norms)
    tutored = [p for p in pairs if p.tutored]
    online_bands = np.mean([p.base_band for p in tutored if p.mode == G.ONLINE])
    offline_bands = np.mean([p.base_band for p in tutored if p.mode == G.OFFLINE])
    assert online_bands > offline_bands + 0.5  # online pupils start in lower bands (4 = E)
    row = _maths(G.compare_modes(pairs))
    assert row.online >= 100 and row.offline >= 100
    # the old report: the difference in mean gains, far from 0
    assert row.unadjusted.excludes_zero and row.unadjusted.estimate > 0.2, row.unadjusted
    assert row.mean_online - row.mean_offline == pytest.approx(row.unadjusted.estimate)
    # the report now: adjusted for band, level and baseline score, no difference
    assert row.difference.covers(0.0), row.difference
    assert abs(row.difference.estimate) < 0.05, row.difference


@pytest.mark.parametrize("seed", [31, 33, 34])
def test_adjusted_mode_difference_recovers_a_true_difference_in_a_confounded_city(seed):
    results, tutoring, norms = confounded(seed=seed, online_extra=0.25)
    row = _maths(G.compare_modes(G.build_pairs(results, tutoring, norms)))
    assert row.difference.covers(0.25) and row.difference.excludes_zero, row.difference


def test_adjusted_mode_difference_is_calibrated_over_confounded_null_cities():
    hits, runs = 0, 40
    for seed in range(200, 200 + runs):
        results, tutoring, norms = confounded(seed=seed, n=2000)
        hits += _maths(G.compare_modes(G.build_pairs(results, tutoring, norms))).difference.covers(0.0)
    assert hits / runs >= 0.85


def test_regression_without_covariates_is_welch_with_hc2():
    rng = np.random.default_rng(4)
    a, b = list(rng.normal(1, 1, 30)), list(rng.normal(0.5, 2, 55))
    reg = G.adjusted_difference(a + b, [True] * 30 + [False] * 55, [])
    welch = G.welch_interval(a, b)
    assert reg.estimate == pytest.approx(welch.estimate) and reg.se == pytest.approx(welch.se)


def test_regression_coefficient_matches_least_squares_and_drops_redundant_columns():
    rng = np.random.default_rng(6)
    n = 200
    band = rng.integers(0, 5, n)
    treated = rng.random(n) < 0.3 + 0.1 * band
    z = rng.normal(0, 1, n)
    y = 0.4 * treated - 0.3 * z + 0.2 * band + rng.normal(0, 1, n)
    dummies = [(band == b).astype(float) for b in range(1, 5)]
    got = G.adjusted_difference(y, treated, [*dummies, z, 2 * z])  # 2 z adds nothing: dropped
    x = np.column_stack([np.ones(n), *dummies, z, treated.astype(float)])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    assert got.estimate == pytest.approx(beta[-1]) and got.df == n - x.shape[1]


def test_mode_that_the_covariates_explain_gives_no_estimate():
    """Every online pupil in band E and every offline pupil in band A: the mode cannot be told apart
    from the band, so there is no adjusted difference (rather than a band difference called a mode one)."""

    def pair(i, band, mode):
        return G.Pair(
            pupil=i,
            domain="maths",
            unit=G.SD,
            base_moment="P4",
            next_moment="P6",
            base_score=200.0 + i,
            base_band=band,
            gain=0.1 * i,
            tutored=True,
            mode=mode,
            base_z=0.01 * i,
        )

    pairs = [pair(i, 4, G.ONLINE) for i in range(30)] + [pair(i, 0, G.OFFLINE) for i in range(30, 60)]
    row = _maths(G.compare_modes(pairs))
    assert row.online == 30 and row.offline == 30 and row.difference is None
    assert row.unadjusted is not None  # the raw difference exists; it is not shown as the mode's effect


def test_too_few_pupils_for_the_adjustment_give_no_estimate():
    """A dozen pupils over five bands and three levels: eight coefficients on twelve gains leave four
    degrees of freedom, and the demo's 12 maths pupils got -75 points (p = 0.02) from such a fit."""
    rng = np.random.default_rng(9)

    def pair(i, mode):
        return G.Pair(
            pupil=i,
            domain="maths",
            unit=G.POINTS,
            base_moment=("P4", "P6", "S2")[i % 3],
            next_moment=("P4", "P6", "S2")[i % 3],
            base_score=200.0 + i,
            base_band=i % 5,
            gain=float(rng.normal(0, 10)),
            tutored=True,
            mode=mode,
            base_z=float(rng.normal()),
        )

    pairs = [pair(i, G.ONLINE if i % 2 else G.OFFLINE) for i in range(12)]
    row = _maths(G.compare_modes(pairs))
    assert row.online == 6 and row.offline == 6 and row.difference is None
    many = [pair(i, G.ONLINE if i % 2 else G.OFFLINE) for i in range(40)]
    assert _maths(G.compare_modes(many)).difference is not None
