"""Match quality of a pair: 0..100 points from five criteria.

Each criterion yields a fraction ``f`` in [0, 1]; it earns ``floor(max_points * f + 0.5)`` points,
where ``max_points`` comes from :meth:`Weights.max_points` (of the tutor's initiative if it has its
own weights) and the maxima sum to 100, so a perfect pair scores 100.

* subject  -- ``1 / rank`` of the need's subject in the tutor's preference list (1st = 1, 2nd = 1/2 ..).
* level    -- headroom: ``min(1, (tutor.max_level - need.level + 1) / LEVEL_HEADROOM)``; a tutor who
  goes at least two levels beyond the pupil is fully comfortable, one at the top of their range gets 1/3.
* distance -- offline: ``1 - distance / travel_km`` (1 next door, 0 at the edge of the tutor's
  radius); online: ``ONLINE_DISTANCE_FRACTION``. A pair that may meet either way takes the better
  of the two (ties go to offline), which also fixes the pair's proposed mode.
* language -- 1 when the pupil's home language is one of the tutor's languages, else 0.
* quality  -- the tutor's peer-review quality (0..1); ``NEUTRAL_QUALITY`` if not reviewed yet.

Everything is elementwise numpy on pair arrays, so the solver's costs and the explanations of the
chosen pairs come from the very same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from .eligibility import _distance, subject_rank
from .encode import OFFLINE, ONLINE, Encoded, encode
from .model import DEFAULT_WEIGHTS, LEVEL_HEADROOM, ONLINE_DISTANCE_FRACTION, Need, Tutor, Weights


@dataclass
class PairScores:
    points: np.ndarray     # (p, 5) int64 points per criterion, in CRITERIA order
    score: np.ndarray      # (p,) int64 = points.sum(axis=1)
    rank: np.ndarray       # subject rank, 0 = not taught
    distance: np.ndarray   # km, NaN if a location is unknown
    offline: np.ndarray    # bool: proposed mode is offline
    home: np.ndarray       # bool: shared home language

    def take(self, idx: np.ndarray) -> PairScores:
        return PairScores(*(getattr(self, f.name)[idx] for f in fields(self)))

    @staticmethod
    def concat(parts: list[PairScores]) -> PairScores:
        return PairScores(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(PairScores)))


def score_arrays(enc: Encoded, ni: np.ndarray, tj: np.ndarray) -> PairScores:
    n, t = enc.needs, enc.tutors
    rank = subject_rank(enc, ni, tj)
    f_subject = np.where(rank > 0, 1.0 / np.maximum(rank, 1), 0.0)
    f_level = np.clip((t.max_level[tj].astype(np.float64) - n.level[ni] + 1) / LEVEL_HEADROOM, 0.0, 1.0)

    common = n.modes[ni] & t.modes[tj]
    online = (common & ONLINE) != 0
    dist = _distance(enc, ni, tj)
    travel = t.travel[tj]
    with np.errstate(invalid="ignore", divide="ignore"):
        f_off = np.where(travel > 0, 1.0 - dist / travel, np.where(dist <= 0, 1.0, 0.0))
        offline_ok = ((common & OFFLINE) != 0) & (dist <= travel)
    f_off = np.clip(np.nan_to_num(f_off, nan=0.0), 0.0, 1.0)
    offline = offline_ok & (~online | (f_off >= ONLINE_DISTANCE_FRACTION))
    f_distance = np.where(offline, f_off, np.where(online, ONLINE_DISTANCE_FRACTION, 0.0))

    h = n.home[ni].astype(np.int64)
    has = h >= 0
    home = np.zeros(len(ni), dtype=bool)
    if has.any():
        hh = h[has]
        words = t.lang[tj[has], hh // 64]
        home[has] = ((words >> (hh % 64).astype(np.uint64)) & np.uint64(1)) == 1
    f_language = home.astype(np.float64)
    f_quality = t.quality[tj]

    fractions = np.stack([f_subject, f_level, f_distance, f_language, f_quality], axis=1)
    points = np.floor(t.max_points[tj] * fractions + 0.5).astype(np.int64)
    return PairScores(points, points.sum(axis=1), rank, dist, offline, home)


def score_pairs(needs: Sequence[Need], tutors: Sequence[Tutor], need_idx, tutor_idx, *,
                weights: Weights = DEFAULT_WEIGHTS, initiative_weights: Mapping[int, Weights] | None = None,
                ) -> np.ndarray:
    """Scores (0..100) of the pairs (index into ``needs``, index into ``tutors``), e.g. from
    :func:`eligible_pairs`; the same numbers :func:`match` optimises."""
    enc = encode(needs, tutors, weights=weights, initiative_weights=initiative_weights)
    need_row = np.empty(len(needs), dtype=np.int64)
    need_row[enc.need_order] = np.arange(len(needs))
    tutor_row = np.empty(len(tutors), dtype=np.int64)
    tutor_row[enc.tutor_order] = np.arange(len(tutors))
    ni = need_row[np.asarray(need_idx, dtype=np.int64)]
    tj = tutor_row[np.asarray(tutor_idx, dtype=np.int64)]
    return score_arrays(enc, ni, tj).score
