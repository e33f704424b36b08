"""The arithmetic of monitoring against hand computations: the top of a list, the cells of a list,
stability and rank correlation, and the Population Stability Index."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from leerloopbaan.ews.city.monitoring import metrics


def test_the_top_ten_percent_is_rounded_up_per_school():
    assert [metrics.top_size(n) for n in (0, 1, 9, 10, 11, 30, 45, 50)] == [0, 1, 1, 1, 2, 3, 5, 5]
    scores = pd.DataFrame(
        {
            "pupil_id": [1, 2, 3, 4, 5, 6],
            "school_id": [7, 7, 7, 8, 8, 8],
            "risk": [0.2, 0.9, 0.9, 0.1, 0.3, 0.2],
            "band": "low",
        }
    )
    # one of three per school; equal risks in pupil order (2 before 3)
    assert metrics.top_of_lists(scores).tolist() == [False, True, False, False, True, False]


def test_list_counts_by_hand():
    # school 1: ten pupils, risks 0.9 .. 0.0; the first three in the high band; the top 10 % is pupil 1
    scores = pd.DataFrame(
        {
            "pupil_id": range(1, 11),
            "school_id": 1,
            "risk": [x / 10 for x in range(9, -1, -1)],
            "band": ["high"] * 3 + ["low"] * 7,
        }
    )
    outcome = pd.Series(
        {1: "unqualified", 2: "qualified", 3: "unqualified", 5: "unqualified", 6: "qualified", 7: "qualified"}
    )
    c = metrics.list_counts(scores, outcome).loc[1]
    assert (c.scored, c.pending, c.known, c.unq, c.qual) == (10, 4, 6, 3, 3)
    assert (c.high, c.high_unq, c.high_qual, c.low, c.low_unq, c.low_qual) == (3, 2, 1, 3, 1, 2)
    assert (c.top, c.top_unq, c.top_qual, c.rest, c.rest_unq, c.rest_qual) == (1, 1, 0, 5, 2, 3)
    # precision of the high band 2/3, recall 2/3; of the top 1/1 and 1/3
    for total, parts in metrics.LIST_RELATIONS:
        assert c[total] == sum(c[p] for p in parts), (total, parts)


def test_stability_by_hand():
    before = pd.DataFrame(
        {
            "pupil_id": [1, 2, 3, 4, 5],
            "school_id": [1, 1, 1, 1, 2],
            "risk": [0.9, 0.8, 0.7, 0.1, 0.5],
            "band": ["high", "high", "high", "low", "medium"],
        }
    )
    # pupil 3 is gone; pupil 2 drops out of the high band; pupil 5 changed school (counted at school 2)
    after = pd.DataFrame(
        {
            "pupil_id": [1, 2, 4, 5],
            "school_id": [1, 1, 1, 1],
            "risk": [0.95, 0.3, 0.2, 0.6],
            "band": ["high", "medium", "low", "high"],
        }
    )
    counts, per_school, city = metrics.stability_counts(before, after)
    assert counts.loc[1].to_dict() == {"both": 3, "high": 2, "not_high": 1, "still": 1, "dropped": 1}
    assert counts.loc[2].to_dict() == {"both": 1, "high": 0, "not_high": 1, "still": 0, "dropped": 0}
    # school 1: ranks before (1, 2, 3) for pupils 1, 2, 4 and after (1, 2, 3): the same order
    assert per_school[1] == pytest.approx(1.0)
    assert per_school[2] is None  # one pair
    # the city: pupils 1, 2, 4, 5 ranked before 4, 3, 1, 2 and after 4, 2, 1, 3: d = 0, 1, 0, -1
    assert city == pytest.approx(1 - 6 * 2 / (4 * (16 - 1)))


def test_spearman_needs_three_pairs_that_vary():
    assert metrics.spearman([1, 2], [1, 2]) is None
    assert metrics.spearman([1, 1, 1], [1, 2, 3]) is None
    assert metrics.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_bins_of_a_feature():
    values = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], dtype=float)  # a flag: deciles 0 (up to 60 %) and 1
    edges = metrics.bin_edges(values)
    assert edges == [0.0, 1.0]
    # bins (-inf, 0], (0, 1], (1, inf), unknown
    assert metrics.bin_counts([0, 1, 1, 2, np.nan], edges).tolist() == [1, 2, 1, 1]
    assert metrics.bin_edges([np.nan, np.nan]) == []
    assert metrics.bin_counts([np.nan, 3.0], []).tolist() == [1, 1]


def test_psi_against_a_hand_computation():
    # two bins: 50/50 in training, 25/75 now: (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5)
    assert metrics.psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.25 * math.log(2) + 0.25 * math.log(1.5))
    assert metrics.psi([50, 50], [25, 75]) == pytest.approx(
        metrics.psi([0.5, 0.5], [0.25, 0.75])
    )  # counts or shares
    assert metrics.psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    # an empty bin counts as 0.0001
    e = 1e-4
    assert metrics.psi([1.0, 0.0], [0.5, 0.5]) == pytest.approx(
        (0.5 - 1) * math.log(0.5) + (0.5 - e) * math.log(0.5 / e)
    )


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0.0, "stable"),
        (0.0999, "stable"),
        (0.1, "watch"),
        (0.2499, "watch"),
        (0.25, "shifted"),
        (3.0, "shifted"),
        (None, "unknown"),
    ],
)
def test_psi_levels(value, level):
    assert metrics.psi_level(value) == level


def test_drift_of_a_population_against_the_training_bins():
    training = pd.DataFrame({"grade": [1.0] * 5 + [6.0] * 5, "oki": [0.0] * 10})
    bins = metrics.baseline_bins(training)
    assert bins["grade"] == {"edges": [1.0, 6.0], "shares": [0.5, 0.5, 0.0, 0.0]}
    now = pd.DataFrame({"grade": [1.0, 6.0, 6.0, 6.0], "oki": [0.0, 0.0, np.nan, np.nan], "other": [1.0] * 4})
    psis, shares = metrics.drift(bins, now)
    assert set(psis) == {"grade", "oki"}  # a feature the training rows lack is left out
    assert shares["grade"] == [0.25, 0.75, 0.0, 0.0]
    assert psis["grade"] == pytest.approx(0.25 * math.log(2) + 0.25 * math.log(1.5), abs=1e-6)
    e = 1e-4  # oki: all 0 in training, half unknown now
    assert psis["oki"] == pytest.approx((0.5 - 1) * math.log(0.5) + (0.5 - e) * math.log(0.5 / e), abs=1e-6)
