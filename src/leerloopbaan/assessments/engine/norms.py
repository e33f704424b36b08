"""Norm bands: quintiles of the population's scale scores on one instrument (and scale version).

* ``norm_bands(scores)`` -> the cut points ``(P20, P40, P60, P80)``, ascending: the 20th, 40th,
  60th and 80th percentiles with linear interpolation between order statistics (numpy's default,
  Hyndman-Fan type 7).
* ``band_of(score, cuts)`` -> ``"A"`` (top 20 %: at or above P80) ... ``"E"`` (bottom 20 %: below
  P20). A score equal to a cut point belongs to the higher band.
* ``norm_of(scores)`` -> ``Norm`` (n, mean, SD, cuts), or None below ``MIN_NORM_N`` results: five
  bands need at least five pupils each before a band means anything (and says nothing about one
  pupil).

Which band counts a page may show is decided outside the engine, by the page's disclosure-control
release (``assessments.selectors.norm_table``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

BANDS = ("A", "B", "C", "D", "E")
QUANTILES = (0.2, 0.4, 0.6, 0.8)
MIN_NORM_N = 25

@dataclass(frozen=True)
class Norm:
    n: int
    mean: float
    sd: float
    cuts: tuple[float, float, float, float]

    def band(self, score: float) -> str:
        return band_of(score, self.cuts)


def _clean(scores: Iterable[float]) -> np.ndarray:
    a = np.asarray(list(scores) if not isinstance(scores, np.ndarray) else scores, dtype=np.float64)
    return a[np.isfinite(a)]


def norm_bands(scores: Iterable[float]) -> tuple[float, float, float, float]:
    """The quintile cut points (P20, P40, P60, P80) of ``scores``."""
    a = _clean(scores)
    if a.size == 0:
        raise ValueError("no scores to norm")
    q = np.quantile(a, QUANTILES)
    return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))


def band_index(score: float, cuts: Sequence[float]) -> int:
    """0 for band A (top) ... 4 for band E (bottom)."""
    return len(BANDS) - 1 - bisect_right(list(cuts), float(score))


def band_of(score: float, cuts: Sequence[float]) -> str:
    return BANDS[band_index(score, cuts)]


def band_indices(scores, cuts: Sequence[float]) -> np.ndarray:
    """Vectorised ``band_index``."""
    return len(BANDS) - 1 - np.searchsorted(np.asarray(cuts, dtype=np.float64), np.asarray(scores, dtype=np.float64), side="right")


def band_counts(scores, cuts: Sequence[float]) -> list[int]:
    """Number of scores in band A, B, C, D, E."""
    idx = band_indices(_clean(scores), cuts)
    return [int(x) for x in np.bincount(idx, minlength=len(BANDS))]


def norm_of(scores: Iterable[float], *, min_n: int = MIN_NORM_N) -> Norm | None:
    a = _clean(scores)
    if a.size < max(min_n, 2):
        return None
    sd = float(a.std(ddof=1))
    return Norm(n=int(a.size), mean=float(a.mean()), sd=sd if math.isfinite(sd) else 0.0, cuts=norm_bands(a))
