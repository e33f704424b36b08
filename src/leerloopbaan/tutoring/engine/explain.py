"""Explanations: criteria and facts for every assignment, a reason for every unmatched need."""

from __future__ import annotations

import numpy as np

from .eligibility import never_keys, pair_violations, violation_counts
from .encode import OFFLINE, ONLINE, Encoded
from .model import CRITERIA, Assignment, Unmatched
from .scoring import PairScores

_SLOT_LISTS: dict[int, list[int]] = {}


def _slots(mask: int) -> list[int]:
    got = _SLOT_LISTS.get(mask)
    if got is None:
        got = _SLOT_LISTS[mask] = [s for s in range(21) if mask >> s & 1]
    return list(got)


def assignments(enc: Encoded, ni: np.ndarray, tj: np.ndarray, sc: PairScores, *, fixed: np.ndarray,
                kept: np.ndarray, violations: list[list[str]] | None = None,
                waiting_points: np.ndarray | None = None) -> list[Assignment]:
    """One Assignment per pair (need row ni[k], tutor row tj[k]) with its points and facts (the waiting
    points are no part of the 0..100 score: they are the need's, whoever the tutor)."""
    n, t = enc.needs, enc.tutors
    common = (n.modes[ni] & t.modes[tj]).tolist()
    need_modes = n.modes[ni].tolist()
    shared = (n.slots[ni] & t.slots[tj]).tolist()
    points = sc.points.tolist()
    scores = sc.score.tolist()
    ranks = sc.rank.tolist()
    dist = np.round(sc.distance, 1).tolist()
    offline = sc.offline.tolist()
    home = sc.home.tolist()
    reviewed = t.reviewed[tj].tolist()
    quality = t.quality[tj].tolist()
    priority = n.priority[ni].tolist()
    district = [enc.needs.districts[d] for d in n.district[ni].tolist()]
    need_ids = n.ids[ni].tolist()
    waited = n.waiting[ni].tolist()
    wpoints = [0] * len(ni) if waiting_points is None else np.asarray(waiting_points).tolist()
    tutor_ids = t.ids[tj].tolist()
    fixed_l, kept_l = fixed.tolist(), kept.tolist()
    out = []
    for k in range(len(need_ids)):
        if offline[k]:
            mode = "offline"
        elif common[k] & ONLINE:
            mode = "online"
        elif common[k] & OFFLINE:
            mode = "offline"          # a fixed pair out of the travel radius
        else:
            mode = "online" if need_modes[k] & ONLINE else "offline"
        d = dist[k]
        out.append(Assignment(
            need=need_ids[k], tutor=tutor_ids[k], score=scores[k],
            criteria=dict(zip(CRITERIA, points[k], strict=True)),
            details={
                "distance_km": None if d != d else d,
                "mode": mode,
                "shared_slots": _slots(shared[k]),
                "subject_rank": ranks[k] or None,
                "home_language": home[k],
                "tutor_quality": quality[k] if reviewed[k] else None,
                "priority": priority[k],
                "district": district[k],
                "waiting_days": waited[k],
                "waiting_points": wpoints[k],
            },
            mode=mode, fixed=fixed_l[k], kept=kept_l[k],
            violations=list(violations[k]) if violations is not None else [],
        ))
    return out


def _no_eligible_details(enc: Encoded, rows: np.ndarray, never: np.ndarray) -> dict[int, dict]:
    """Per need row: how many tutors fail each hard constraint (and how many only 'never' excludes)."""
    m = len(enc.tutors)
    counts = violation_counts(enc, rows)
    excluded = np.zeros(len(rows), dtype=np.int64)
    if len(never) and len(rows):
        # a need without eligible tutors: the tutors who break no rule are exactly its 'never' pairs
        mine = never[np.isin(never // m, rows)]
        if len(mine):
            ni, tj = mine // m, mine % m
            v = pair_violations(enc, ni, tj)
            ok = ~np.any(np.stack([v[c] for c in v]), axis=0)
            excluded = np.bincount(np.searchsorted(rows, ni[ok]), minlength=len(rows))
    out: dict[int, dict] = {}
    as_lists = {code: c.tolist() for code, c in counts.items()}
    for k, row in enumerate(rows.tolist()):
        detail: dict = {"tutors": m, "eligible_tutors": 0}
        detail.update({code: c[k] for code, c in as_lists.items() if c[k]})
        if excluded[k]:
            detail["never"] = int(excluded[k])
        out[row] = detail
    return out


def unmatched(enc: Encoded, rows: np.ndarray, pair_need: np.ndarray, pair_tutor: np.ndarray,
              tutor_left: np.ndarray, init_left: np.ndarray, never: list[tuple[int, int]]) -> list[Unmatched]:
    """Reasons for the free needs ``rows`` that got no tutor.

    ``pair_need``/``pair_tutor`` are all eligible pairs of the free needs (sorted by need row),
    ``tutor_left``/``init_left`` the places left after the solve (-1 = unlimited initiative).
    """
    t = enc.tutors
    if not len(rows):
        return []
    starts = np.searchsorted(pair_need, rows, side="left")
    ends = np.searchsorted(pair_need, rows, side="right")
    none = _no_eligible_details(enc, rows[starts == ends], never_keys(enc, never))
    # per row with eligible pairs, vectorised over all its pairs: how many tutors are full, whether some
    # tutor with a place is held back only by a full initiative, and whether one with a place is not
    lengths = ends - starts
    k = np.repeat(np.arange(len(rows)), lengths)
    idx = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(int(lengths.sum()))
    tutors = pair_tutor[idx]
    has_place = tutor_left[tutors] > 0
    codes = t.initiative[tutors]
    init_full = np.zeros(len(tutors), dtype=bool)
    if len(init_left):
        init_full = (codes >= 0) & (init_left[np.maximum(codes, 0)] == 0)
    full = np.bincount(k, weights=~has_place, minlength=len(rows)).astype(np.int64).tolist()
    blocked = np.bincount(k, weights=has_place & init_full, minlength=len(rows)) > 0
    free = np.bincount(k, weights=has_place & ~init_full, minlength=len(rows)) > 0
    offset = np.r_[0, np.cumsum(lengths)].tolist()
    out = []
    for i, (row, n_pairs) in enumerate(zip(rows.tolist(), lengths.tolist(), strict=True)):
        need_id = int(enc.needs.ids[row])
        if n_pairs == 0:
            out.append(Unmatched(need_id, "no_eligible_tutor", none[row]))
            continue
        detail = {"eligible_tutors": n_pairs, "full": full[i]}
        if blocked[i] and not free[i]:
            a, b = offset[i], offset[i + 1]
            sel = has_place[a:b] & init_full[a:b]
            detail["initiatives"] = sorted(int(enc.initiatives[c]) for c in set(codes[a:b][sel].tolist()))
            out.append(Unmatched(need_id, "initiative_full", detail))
        else:
            out.append(Unmatched(need_id, "tutors_full", detail))
    return out
