"""The pure engines: quintile norm bands on known data, the matched growth comparison and the
online/offline comparison on synthetic data with a known effect (and with none)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from leerloopbaan.assessments.engine import growth as G
from leerloopbaan.assessments.engine import norms as N

# --- norms ----------------------------------------------------------------------------------


def test_quintile_cuts_on_known_data():
    cuts = N.norm_bands(range(1, 101))
    assert cuts == pytest.approx((20.8, 40.6, 60.4, 80.2))
    assert N.band_counts(range(1, 101), cuts) == [20, 20, 20, 20, 20]
    assert [N.band_of(s, cuts) for s in (1, 20, 21, 40, 41, 60, 61, 80, 81, 100)] == list("EEDDCCBBAA")


def test_cuts_of_a_small_known_set_and_ties_go_up():
    cuts = N.norm_bands([10, 20, 30, 40, 50, 60])
    assert cuts == pytest.approx((20.0, 30.0, 40.0, 50.0))  # linear interpolation between order statistics
    assert N.band_of(20.0, cuts) == "D" and N.band_of(19.99, cuts) == "E"
    assert N.band_of(50.0, cuts) == "A" and N.band_of(49.9, cuts) == "B"
    assert list(N.band_indices([5, 25, 35, 45, 55], cuts)) == [4, 3, 2, 1, 0]


def test_norm_needs_enough_results():
    assert N.norm_of(range(24)) is None
    norm = N.norm_of(range(25))
    assert norm.n == 25 and norm.mean == pytest.approx(12.0) and norm.sd == pytest.approx(np.std(range(25), ddof=1))
    assert N.norm_of([1, 2, float("nan")] + list(range(30))).n == 32
    with pytest.raises(ValueError):
        N.norm_bands([])


def test_band_counts_through_a_disclosure_release():
    """The engine only counts; the page's release (kernel.disclosure) suppresses, with the row total."""
    from leerloopbaan.kernel.disclosure import Release
    from tests.kernel.attacker import pinned

    def publish(counts):
        release = Release("bands")
        bands = [release.count(b, c) for b, c in zip(N.BANDS, counts, strict=True)]
        release.total("n", bands)
        pub = release.publish()
        assert pinned(pub) == []
        return [str(pub[b]) if not pub[b].shown else pub[b].value for b in N.BANDS], pub["n"]

    assert publish([20, 20, 20, 20, 20]) == ([20] * 5, publish([20] * 5)[1])
    # one small cell: a second cell is hidden as well, so that it cannot be worked out from the total
    cells, n = publish([3, 20, 8, 20, 9])
    assert cells[0] == "<5" and cells.count("×") == 1 and 3 not in cells and n.value == 60
    # two small cells protect each other
    cells, _n = publish([3, 20, 4, 20, 9])
    assert cells == ["<5", 20, "<5", 20, 9]
    # zero names no pupil: shown
    assert publish([0, 30, 30, 30, 30])[0] == [0, 30, 30, 30, 30]


# --- the statistics -------------------------------------------------------------------------


def test_paired_t_and_welch_agree_with_scipy():
    rng = np.random.default_rng(7)
    d = list(rng.normal(0.3, 1, 40))
    i = G.paired_t_interval(d)
    ref = stats.ttest_1samp(d, 0).confidence_interval(0.95)
    assert (i.low, i.high) == pytest.approx((ref.low, ref.high))
    a, b = list(rng.normal(1, 1, 30)), list(rng.normal(0.5, 2, 55))
    w = G.welch_interval(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (w.low, w.high) == pytest.approx((ref.low, ref.high))
    assert w.estimate == pytest.approx(np.mean(a) - np.mean(b))
    assert G.paired_t_interval([1.0]) is None and G.welch_interval([1.0], [1.0, 2.0]) is None


def test_welch_interval_covers_the_true_difference_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    hits = 0
    runs = 400
    for _ in range(runs):
        a = rng.normal(0.3, 1.0, 25)
        b = rng.normal(0.0, 2.0, 40)
        hits += G.welch_interval(list(a), list(b)).covers(0.3)
    assert 0.91 <= hits / runs <= 0.99


# --- synthetic cities of results ------------------------------------------------------------

BASE, LATER, START = dt.date(2022, 6, 10), dt.date(2024, 6, 10), dt.date(2023, 1, 15)


def synthetic(effect: float, *, n: int = 3000, seed: int = 1, online_extra: float = 0.0, domain: str = "maths",
              subject: str = "maths", offset: int = 0):
    """Baseline at P4 and follow-up at P6 on one vertical scale. Pupils with a low baseline are far
    more often tutored; the later score regresses towards the mean, so tutored pupils gain more even
    without tutoring: only a comparison with similar pupils recovers the effect. ``effect`` (and
    ``online_extra`` for online tutoring) is in SD units of the P4 norm."""
    rng = np.random.default_rng(seed)
    base = rng.normal(250, 30, n)
    norm = N.norm_of(base)
    treated = rng.random(n) < 1 / (1 + np.exp(2.2 + (base - 250) / 18))
    online = rng.random(n) < 0.5
    later = (280 + 0.7 * (base - 250) + rng.normal(0, 15, n)
             + norm.sd * treated * (effect + online_extra * online))
    results, tutoring = [], []
    for i in range(n):
        pid = offset + i
        results.append(G.Result(pid, BASE, domain, f"{domain}-P4", "P4", "LGT", float(base[i])))
        results.append(G.Result(pid, LATER, domain, f"{domain}-P6", "P6", "LGT", float(later[i])))
        if treated[i]:
            tutoring.append(G.Tutoring(pid, subject, START, G.ONLINE if online[i] else G.OFFLINE))
    return results, tutoring, {(f"{domain}-P4", "LGT"): norm}


def _only(rows, domain):
    (row,) = [r for r in rows if r.domain == domain]
    return row


def test_known_effect_is_recovered_with_an_interval_that_excludes_zero():
    results, tutoring, norms = synthetic(0.35)
    pairs = G.build_pairs(results, tutoring, norms)
    row = _only(G.compare_growth(pairs), "maths")
    assert row.unit == G.SD and row.tutored == len(tutoring) and row.matched + row.unmatched == row.tutored
    assert row.matched >= 0.75 * row.tutored
    assert row.difference.excludes_zero
    assert row.difference.covers(0.35), row.difference
    assert row.mean_gain_tutored - row.mean_gain_control == pytest.approx(row.difference.estimate)


def test_no_effect_interval_covers_zero_although_the_naive_comparison_does_not():
    results, tutoring, norms = synthetic(0.0, seed=2)
    pairs = G.build_pairs(results, tutoring, norms)
    row = _only(G.compare_growth(pairs), "maths")
    assert row.difference.covers(0.0), row.difference
    # tutored pupils started low and regress to the mean: the unmatched comparison is biased
    naive = G.welch_interval([p.gain for p in pairs if p.tutored], [p.gain for p in pairs if not p.tutored])
    assert naive.excludes_zero and naive.estimate > 0.1


@pytest.mark.parametrize(("seed", "effect"), [(3, 0.0), (4, 0.2), (5, -0.15)])
def test_matched_interval_covers_the_true_effect_across_seeds(seed, effect):
    results, tutoring, norms = synthetic(effect, seed=seed, n=2000)
    row = _only(G.compare_growth(G.build_pairs(results, tutoring, norms)), "maths")
    assert row.difference.covers(effect), row.difference


def test_online_against_offline_with_a_known_difference_and_with_none():
    results, tutoring, norms = synthetic(0.2, online_extra=0.3, n=6000, seed=8)
    row = _only(G.compare_modes(G.build_pairs(results, tutoring, norms)), "maths")
    assert row.online >= 5 and row.offline >= 5
    assert row.difference.excludes_zero and row.difference.covers(0.3), row.difference
    results, tutoring, norms = synthetic(0.2, online_extra=0.0, n=6000, seed=9)
    row = _only(G.compare_modes(G.build_pairs(results, tutoring, norms)), "maths")
    assert row.difference.covers(0.0), row.difference


def test_pooled_row_only_over_two_domains_and_small_groups_get_no_estimate():
    r1, t1, n1 = synthetic(0.3, n=1500, seed=12)
    r2, t2, n2 = synthetic(0.3, n=1500, seed=13, domain="dutch", subject="reading", offset=10_000)
    rows = G.compare_growth(G.build_pairs(r1 + r2, t1 + t2, {**n1, **n2}))
    assert [r.domain for r in rows] == ["dutch", "maths", G.ALL_DOMAINS]
    pooled = rows[-1]
    assert pooled.tutored == rows[0].tutored + rows[1].tutored and pooled.difference.covers(0.3)
    small = G.compare_growth(G.build_pairs(r1[:200], t1[:3], n1), min_n=5)
    row = _only(small, "maths")
    assert row.tutored <= 3 and row.difference is None and row.mean_gain_tutored is None


# --- pairs and matching rules ---------------------------------------------------------------

NORM = N.Norm(n=100, mean=250.0, sd=25.0, cuts=(230.0, 245.0, 255.0, 270.0))
NORMS = {("P4", "v1"): NORM, ("P6", "v1"): NORM}


def R(pupil, day, score, instrument="P4", version="v1", domain="maths"):
    return G.Result(pupil, day, domain, instrument, instrument, version, score)


def test_pairs_tutored_controls_and_units():
    d0, d1, d2 = dt.date(2020, 6, 1), dt.date(2022, 6, 1), dt.date(2023, 6, 1)
    results = [
        R(1, d0, 240), R(1, d1, 290, "P6"),  # tutored (start in between)
        R(2, d0, 240), R(2, d1, 280, "P6"),  # control
        R(3, d0, 240), R(3, d1, 280, "P6"),  # tutored before the baseline: neither
        R(4, d0, 240), R(4, d1, 280, "P6", version="v2"),  # another scale version: no pair
        R(5, d0, 240), R(5, d2, 250),  # the same instrument twice: a gain in scale points
        R(6, d0, 240, domain="reading"), R(6, d1, 280, "P6", domain="reading"),  # reading, tutored in Dutch
        R(7, d0, 240), R(7, d1, 280, "P6"), R(7, d2, 300, "P6"),  # control for the first pair, tutored in the second
    ]
    tutoring = [G.Tutoring(1, "maths", dt.date(2021, 1, 1), "online"), G.Tutoring(3, "maths", dt.date(2019, 1, 1), "offline"),
                G.Tutoring(6, "dutch", dt.date(2021, 1, 1), "offline"), G.Tutoring(7, "maths", dt.date(2022, 9, 1), "online"),
                G.Tutoring(2, "french", dt.date(2021, 1, 1), "online")]
    norms = {**NORMS, ("P4", "v1"): NORM}
    pairs = {(p.pupil, p.domain, p.base_moment, p.next_moment): p for p in G.build_pairs(results, tutoring, norms)}
    assert pairs[(1, "maths", "P4", "P6")].tutored and pairs[(1, "maths", "P4", "P6")].mode == "online"
    assert pairs[(1, "maths", "P4", "P6")].gain == pytest.approx(50 / 25) and pairs[(1, "maths", "P4", "P6")].unit == G.SD
    assert not pairs[(2, "maths", "P4", "P6")].tutored  # french is no maths tutoring
    assert not any(k[0] in (3, 4) for k in pairs)
    same = pairs[(5, "maths", "P4", "P4")]
    assert same.unit == G.POINTS and same.gain == pytest.approx(10.0) and not same.tutored
    assert pairs[(6, "reading", "P4", "P6")].tutored
    assert not pairs[(7, "maths", "P4", "P6")].tutored and pairs[(7, "maths", "P6", "P6")].tutored
    assert pairs[(1, "maths", "P4", "P6")].base_band == 3  # 240: band D


def test_matching_nearest_score_lowest_id_without_replacement_same_band():
    def pair(pupil, score, tutored, band=None):
        return G.Pair(pupil=pupil, domain="maths", unit=G.SD, base_moment="P4", next_moment="P6", base_score=score,
                      base_band=band if band is not None else N.band_index(score, NORM.cuts), gain=0.0, tutored=tutored)

    treated = [pair(1, 240, True), pair(2, 240, True), pair(3, 240, True), pair(4, 200, True)]
    controls = [pair(10, 243, False), pair(11, 237, False), pair(12, 243, False), pair(13, 250, False)]
    matched, unmatched = G.match_pairs(treated + controls)
    got = {t.pupil: c.pupil for t, c in matched}
    # 1 -> the nearest (3 away) with the lowest id: 11 (237) and 10 (243) tie; 2 -> 10; 3 -> 12; 13 is band C
    assert got == {1: 10, 2: 11, 3: 12}
    assert [u.pupil for u in unmatched] == [4]


def test_gains_standardised_only_between_different_instruments():
    results = [R(1, dt.date(2020, 6, 1), 240), R(1, dt.date(2021, 6, 1), 265, "P6")]
    (p,) = G.build_pairs(results, [], NORMS)
    assert p.gain == pytest.approx(1.0) and math.isclose(p.base_score, 240)


def test_matched_interval_is_calibrated_over_many_synthetic_cities():
    hits, estimates = 0, []
    runs = 60
    for seed in range(100, 100 + runs):
        results, tutoring, norms = synthetic(0.2, n=1500, seed=seed)
        row = _only(G.compare_growth(G.build_pairs(results, tutoring, norms)), "maths")
        hits += row.difference.covers(0.2)
        estimates.append(row.difference.estimate)
    assert hits / runs >= 0.85
    assert abs(np.mean(estimates) - 0.2) < 0.03
